"""A night in-process, phase by phase, on a copy of a history database (no Prefect): where a night's time goes.

    .venv/bin/python benchmarks/profile_night.py HISTORY.duckdb NIGHT_INBOX PLANS 2024-01-05 [--stages]

Each plan's files are posted in one group, then the derived steps, then the run's checks, as the nightly flow
does; the history file is not changed (a copy beside it is). A HISTORY path that does not exist profiles the
inbox into an empty database (a full year: pass a year's inbox). ``--stages`` also splits each plan's files into
the stages of a payroll file (:data:`STAGES`), by timing those functions where the file path calls them.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.derived import STEPS  # noqa: E402
from pipelines.flows import PROCESSORS, discover, load_plans  # noqa: E402
from pipelines.limits import load_irs_limits  # noqa: E402
from pipelines.store import Database, runs  # noqa: E402
from pipelines.store.checks import run_checks  # noqa: E402


#: (stage, module, function): where a payroll file's path calls each stage, looked up at call time.
STAGES = (
    ("read", "pipelines.file_batch", "read_csv_bytes"),
    ("validate (typing, the screen, pandera)", "pipelines.file_batch", "validate_rows"),
    ("already posted, prior state", "pipelines.store.payroll", "already_posted"),
    ("already posted, prior state", "pipelines.store.payroll", "prior_ytd"),
    ("rules", "pipelines.payroll_batch", "compute_contributions"),
    ("rules", "pipelines.payroll_batch", "limit_events"),
    ("store writes (held)", "pipelines.store.payroll", "post_payroll"),
)


@contextmanager
def timed_stages(seconds: dict[str, float]) -> Iterator[None]:
    """Add each :data:`STAGES` function's time to ``seconds[stage]`` while inside."""
    originals = []
    for stage, module_name, name in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*args, _f=original, _stage=stage, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                seconds[_stage] += time.perf_counter() - started

        originals.append((module, name, original))
        setattr(module, name, timed)
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


class Laps:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        print(f"{label:<40}{now - self.last:8.3f}")
        self.last = now


def main(history: Path, inbox: Path, plans_dir: Path, as_of: date, stages: bool = False) -> None:
    db_path = history.with_name(f"{history.stem}-profiled.duckdb")
    db_path.unlink(missing_ok=True)
    if history.exists():
        shutil.copy(history, db_path)
    limits = load_irs_limits()
    found = discover(inbox, plans_dir)
    plans = load_plans(found, plans_dir)
    lap = Laps()
    with Database(db_path) as db:
        lap("open")
        runs.start_run(db, "profile", as_of)
        for plan_files in found:
            plan = plans[plan_files.plan_id]
            seconds: dict[str, float] = defaultdict(float)
            with db.group(), timed_stages(seconds) if stages else nullcontext():
                for kind, path in plan_files.files:
                    PROCESSORS[kind](db, plan_id=plan_files.plan_id, plan=plan, path=path, file_name=path.name,
                                     run_id="profile", limits=limits, as_of=as_of)
                files_seconds = time.perf_counter() - lap.last
                lap(f"{plan_files.plan_id} files (held)")
            lap(f"{plan_files.plan_id} closing writes and commit")
            for stage, spent in seconds.items():  # within the files' lap above
                print(f"{'  ' + stage:<40}{spent:8.3f}")
            if seconds:
                print(f"{'  the rest of the file path':<40}{files_seconds - sum(seconds.values()):8.3f}")
            lap.last = time.perf_counter()  # printing is no step's time
            for name, step in STEPS:
                step(db, plan, as_of=as_of, run_id="profile", limits=limits)
                lap(f"{plan_files.plan_id} {name}")
        failures = run_checks(db, "profile")
        lap(f"checks ({len(failures)} failed)")
        runs.finish_run(db, "profile", "completed")
    lap("close (checkpoint)")
    print(f"total {time.perf_counter() - lap.started:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("history", type=Path)
    parser.add_argument("inbox", type=Path)
    parser.add_argument("plans", type=Path)
    parser.add_argument("as_of", type=date.fromisoformat)
    parser.add_argument("--stages", action="store_true", help="split each plan's files into a payroll file's stages")
    args = parser.parse_args()
    main(args.history, args.inbox, args.plans, args.as_of, args.stages)
