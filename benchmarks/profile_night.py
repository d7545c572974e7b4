"""A night in-process, phase by phase, on a copy of a history database (no Prefect): where a night's time goes.

    .venv/bin/python benchmarks/profile_night.py HISTORY.duckdb NIGHT_INBOX PLANS 2024-01-05

Each plan's files are posted in one group, then the derived steps, then the run's checks, as the nightly flow
does; the history file is not changed (a copy beside it is). A HISTORY path that does not exist profiles the
inbox into an empty database (a full year: pass a year's inbox).
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.derived import STEPS  # noqa: E402
from pipelines.flows import PROCESSORS, discover, load_plans  # noqa: E402
from pipelines.limits import load_irs_limits  # noqa: E402
from pipelines.store import Database, runs  # noqa: E402
from pipelines.store.checks import run_checks  # noqa: E402


class Laps:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        print(f"{label:<40}{now - self.last:8.3f}")
        self.last = now


def main(history: Path, inbox: Path, plans_dir: Path, as_of: date) -> None:
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
            with db.group():
                for kind, path in plan_files.files:
                    PROCESSORS[kind](db, plan_id=plan_files.plan_id, plan=plan, path=path, file_name=path.name,
                                     run_id="profile", limits=limits, as_of=as_of)
                lap(f"{plan_files.plan_id} files (held)")
            lap(f"{plan_files.plan_id} closing writes and commit")
            for name, step in STEPS:
                step(db, plan, as_of=as_of, run_id="profile", limits=limits)
                lap(f"{plan_files.plan_id} {name}")
        failures = run_checks(db, "profile")
        lap(f"checks ({len(failures)} failed)")
        runs.finish_run(db, "profile", "completed")
    lap("close (checkpoint)")
    print(f"total {time.perf_counter() - lap.started:.2f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), date.fromisoformat(sys.argv[4]))
