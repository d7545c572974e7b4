"""One nightly run in a warm process, as a long-running Prefect worker (a served deployment) runs it night
after night: the imports, the Prefect client and DuckDB are loaded by a first run on an empty inbox (into a
scratch database), then the measured run posts the real inbox. Prints ``{"seconds": ...}`` for the measured
run only; exits 1 when any file failed or a check did not hold.

    .venv/bin/python benchmarks/warm_run.py --inbox INBOX --plans PLANS --db planadmin.duckdb --as-of 2025-01-10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.flows import nightly, one_shot  # noqa: E402

SETTLE_SECONDS = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--plans", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    # As `planadmin run` runs it (one_shot: no flow heartbeats, which cost a served deployment's run up to 1 s).
    with one_shot(), tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "INBOX"
        empty.mkdir()
        nightly(str(empty), args.plans, Path(scratch) / "warm-up.duckdb", args.as_of)
        # Nights are a day apart: right after a run, Prefect's local server is still writing that run's logs and
        # events to its SQLite database and answered the next flow run's creation with 503, which the client
        # retried after 2 s (seen with PREFECT_LOGGING_LEVEL=DEBUG). Let it settle, outside the timed part.
        time.sleep(SETTLE_SECONDS)
        started = time.perf_counter()
        report = nightly(str(args.inbox), args.plans, args.db, args.as_of)
        seconds = time.perf_counter() - started
    if report.check_failures or any(f.status in ("failed", "not_run") for f in report.files):
        print(f"run not clean: {len(report.check_failures)} failed checks", file=sys.stderr)
        return 1
    print(json.dumps({"seconds": seconds, "files": len(report.files)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
