"""`make bench-serve`: what a scheduled night with nothing new costs under `planadmin serve`.

    .venv/bin/python benchmarks/serve_night.py [--nights 5]

Builds the demo's database (its two nights, through `planadmin run`), then starts `planadmin serve` (which starts
its own Prefect server, as an administrator's would) on the demo's second inbox, whose files are all posted
already, and asks for ``--nights`` scheduled runs one after another, as the scheduler does. For each it prints
the flow run's own time (Prefect's Running to Completed: what the night costs once the served process is up:
opening the database, looking at the inbox, the derived steps, the checks, the report) and the latency from the
scheduled time to Completed (which adds the poll interval and starting the run's own process, whose imports
cost about 2.5 s: Prefect runs each served night in a fresh process so a crash cannot take the server down).
Prints medians; writes JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLANADMIN = str(Path(sys.executable).with_name("planadmin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nights", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planadmin-serve-bench-"))
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    env.pop("PREFECT_API_URL", None)
    demo = REPO / "fixtures" / "demo"
    db = work / "demo.duckdb"
    for inbox, as_of in ((demo / "INBOX", "2026-01-15"), (demo / "INBOX-2026-01-31", "2026-01-31")):
        subprocess.run([PLANADMIN, "run", "--inbox", str(inbox), "--plans", str(demo / "PLANS"), "--db", str(db),
                        "--as-of", as_of, "--report-dir", str(work / "reports")], env=env, check=True,
                       stdout=subprocess.DEVNULL, cwd=work)
    port = free_port()
    serve = subprocess.Popen(
        [PLANADMIN, "serve", "--port", str(port), "--inbox", str(demo / "INBOX-2026-01-31"), "--plans",
         str(demo / "PLANS"), "--db", str(db), "--report-dir", str(work / "reports")],
        env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_HOME"] = env["PREFECT_HOME"]
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    results = []
    try:
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 180
            while True:
                try:
                    deployment = client.read_deployment_by_name("nightly/planadmin-nightly")
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    if serve.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"planadmin serve did not come up:\n{serve.stdout.read()}") from None
                    time.sleep(0.5)
            for night in range(args.nights):
                at = datetime.now(timezone.utc)
                flow_run = client.create_flow_run_from_deployment(deployment.id, state=Scheduled(scheduled_time=at))
                while not (flow_run := client.read_flow_run(flow_run.id)).state.is_final():
                    time.sleep(0.2)
                assert flow_run.state.is_completed(), flow_run.state
                run_seconds = (flow_run.end_time - flow_run.start_time).total_seconds()
                latency = (flow_run.end_time - at).total_seconds()
                results.append({"night": night, "flow_run_seconds": run_seconds, "scheduled_to_completed_seconds":
                                latency})
                print(f"night {night}: flow run {run_seconds:.2f} s, scheduled to completed {latency:.2f} s")
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    summary = {
        "nights": results,
        "median_flow_run_seconds": statistics.median(r["flow_run_seconds"] for r in results),
        "median_scheduled_to_completed_seconds": statistics.median(r["scheduled_to_completed_seconds"] for r in results),
    }
    print(f"median: flow run {summary['median_flow_run_seconds']:.2f} s, scheduled to completed "
          f"{summary['median_scheduled_to_completed_seconds']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
