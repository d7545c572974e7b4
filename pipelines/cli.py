"""The ``planadmin`` command.

Exit codes (:data:`EXIT_CODES`): 0 done (rejected rows are reported, not fatal); 1 something needs an
administrator (a file rejected whole, a plan folder with nothing readable, a failed check, a busy database, a failed
run); 2 a usage or configuration error, named in the message. No expected outcome prints a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.store import DatabaseBusyError, NotADatabaseError, SchemaVersionError
from pipelines.limits import LimitsTableError, load_irs_limits
from schemas.plan import PlanConfigError
from schemas.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CODES = (
    "Exit codes: 0 done (rows rejected are reported, not fatal); 1 something needs an administrator: a file "
    "rejected whole, a plan folder with nothing readable, a failed invariant check, a busy database, a failed "
    "run; 2 a usage or configuration error, named in one line, and nothing was done."
)
MAX_REJECTIONS_SHOWN = 30

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="401(k) plan administration batch processor.")
# Summaries go to logs and pipes as often as to terminals: never wrap them narrower than 160 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _money(cents: int) -> str:
    """Exact dollars from cents: ``-123456`` -> ``-1,234.56``."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}{dollars:,}.{rest:02d}"


def _print_report(report) -> None:  # noqa: ANN001 - RunReport, imported lazily with Prefect
    table = Table(title=f"planadmin run {report.run_id[:8]} (as of {report.as_of})", show_lines=False)
    for name in ("file", "status", "read", "posted", "rejected", "amount posted", "note"):
        numeric = name in ("read", "posted", "rejected", "amount posted")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=name != "note")
    # Files skipped as already posted are one count below, not a row each: a re-run would list them all.
    for f in (f for f in report.files if f.status != "skipped"):
        posted = sum(f.posted_cents.values())
        table.add_row(
            f.file_name, f.outcome, str(f.rows_read), str(f.rows_posted), str(f.rows_rejected),
            _money(posted) if f.status == "posted" else "", f.error or "",
        )
    if table.row_count:
        out.print(table)
    act_on = [f"{f.file_name}: rejected whole: {f.error}" for f in report.files if f.status == "rejected"]
    act_on += [f"{f.file_name}: all {f.rows_read} rows rejected (see below and the rejections table)"
               for f in report.files if f.all_rows_rejected]
    act_on += [f"{f.file_name}: sent again unchanged, {f.error}" for f in report.files
               if f.status == "skipped" and f.content_rejected]
    act_on += [f"{f.file_name}: failed: {f.error}" for f in report.files if f.status == "failed"]
    act_on += [f"{plan_id}/: nothing in this plan folder is readable (see the unrecognised entries)"
               for plan_id in report.unreadable_plans]
    for line in act_on:
        err.print(f"[bold red]act on:[/] {escape(line)}")
    for entry in report.unrecognised:
        err.print(f"[yellow]unrecognised_file:[/] {escape(entry.path)}: {escape(entry.reason)}")
    for path, reason in report.left_for_next_run:
        out.print(f"Left for the next run: {escape(path)}: {escape(reason)}")
    by_source: dict[str, int] = {}
    for f in report.files:
        for source, cents in f.posted_cents.items():
            by_source[source] = by_source.get(source, 0) + cents
    if by_source:
        out.print("Posted by source: " + ", ".join(f"{s} {_money(c)}" for s, c in sorted(by_source.items())))
    counts = {s: sum(1 for f in report.files if f.outcome == s)
              for s in ("posted", "all rows rejected", "rejected", "skipped", "failed", "not_run")}
    rejected_before = sum(1 for f in report.files if f.status == "skipped" and f.content_rejected)
    counts["skipped"] -= rejected_before
    trouble = f", {counts['failed']} failed, {counts['not_run']} not run" if counts["failed"] + counts["not_run"] else ""
    all_rejected = f", {counts['all rows rejected']} with all rows rejected" if counts["all rows rejected"] else ""
    notices = sum(f.notices for f in report.files)
    out.print(
        f"Files: {counts['posted']} posted{all_rejected}, {counts['rejected']} rejected whole, {counts['skipped']} skipped "
        f"(already posted)" + (f", {rejected_before} skipped (rejected before)" if rejected_before else "") +
        f"{trouble}. Rows: {sum(f.rows_read for f in report.files)} read, "
        f"{sum(f.rows_posted for f in report.files)} posted, {sum(f.rows_rejected for f in report.files)} rejected "
        "(see the rejections table)." + (f" {notices} notices (see the notices table)." if notices else "")
    )
    if report.rmd_counts:
        by_plan: dict[str, dict[str, int]] = {}
        for plan_id, status, notices in report.rmd_counts:
            by_plan.setdefault(plan_id, {})[status] = notices
        years = f"{report.as_of.year - 1}-{report.as_of.year}"
        for plan_id, counts in sorted(by_plan.items()):
            out.print(
                f"RMD notices {plan_id} ({years}): {counts.get('due', 0)} due, {counts.get('overdue', 0)} overdue, "
                f"{counts.get('satisfied', 0)} satisfied (see rmd_notices; letters: planadmin notices rmd)"
            )
    leavers: dict[str, dict[str, int]] = {}
    for plan_id, category, count in report.rollover_counts:
        leavers.setdefault(plan_id, {})[category] = count
    for plan_id, counts in sorted(leavers.items()):
        out.print(
            f"Leavers {plan_id}: {counts.get('cash_out', 0)} cash-out, {counts.get('automatic_rollover', 0)} "
            f"automatic rollover, {counts.get('consent_required', 0)} consent required, {counts.get('rmd_first', 0)} "
            "RMD first (see rollover_eligibility; costs: planadmin withdrawal-cost)"
        )
    windows: dict[str, dict[str, int]] = {}
    for plan_id, status, count in report.window_counts:
        windows.setdefault(plan_id, {})[status] = count
    for plan_id, counts in sorted(windows.items()):
        out.print(
            f"Match windows {plan_id}: {counts.get('in_window', 0)} in the window, {counts.get('below_window', 0)} "
            f"below it (match left uncaptured), {counts.get('above_window', 0)} above it, {counts.get('no_window', 0)} "
            "with no window (see report match_window; projections: report projection, planadmin project)"
        )
    for plan_id, variance_lines, variance_cents, excess_lines, excess_cents in report.settlements:
        out.print(
            f"To settle {plan_id}: {excess_lines} lines withheld {_money(excess_cents)} beyond the limits (excess "
            f"deferrals: refund by 15 April of the next year; see the excess_deferral notices), {variance_lines} lines "
            f"whose remitted match differs from the plan's, remitted - computed {_money(variance_cents)} "
            "(see match_variances)"
        )
    groups: dict[tuple[str, str, str], list[int | None]] = {}
    for f in report.files:
        for line, _employee, column, reason in f.rejected:
            groups.setdefault((f.file_name, column or "", reason), []).append(line)
    if groups:
        shown = Table(title="Rejected rows, grouped by file, column and reason (values and personal data: see the "
                            "rejections table)")
        for name in ("file", "column", "reason", "rows", "first lines"):
            shown.add_column(name, no_wrap=name != "reason", justify="right" if name == "rows" else "left")
        for (file_name, column, reason), lines in list(groups.items())[:MAX_REJECTIONS_SHOWN]:
            first = ", ".join("file" if n is None else str(n) for n in sorted(lines, key=lambda n: n or 0)[:5])
            shown.add_row(file_name, column, reason, str(len(lines)), first + (", ..." if len(lines) > 5 else ""))
        out.print(shown)
        if len(groups) > MAX_REJECTIONS_SHOWN:
            out.print(f"... and {len(groups) - MAX_REJECTIONS_SHOWN} more groups in the rejections table.")
    for failure in report.check_failures:
        err.print(f"[bold red]invariant check failed:[/] {failure.check} ({failure.rows.height} rows)")
        err.print(str(failure.rows.head(10)))


def _as_of(value: str | None) -> date:
    """--as-of as a date (default today), or exit 2 naming the problem."""
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        err.print(f"--as-of: {value!r} is not a date in YYYY-MM-DD form")
        raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def _store_errors() -> Iterator[None]:
    """A database another process holds exits 1; a file that is not a database, or one whose schema version
    this planadmin cannot use, exits 2. One line each, no traceback."""
    try:
        yield
    except DatabaseBusyError as exc:
        err.print(escape(str(exc)))
        raise typer.Exit(EXIT_FAILED) from None
    except (SchemaVersionError, NotADatabaseError) as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def _existing(db: Path) -> Path:
    if not db.is_file():
        err.print(f"--db: {db} does not exist")
        raise typer.Exit(EXIT_USAGE)
    return db


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"planadmin {version('planadmin')}")
        raise typer.Exit(EXIT_OK)


@app.callback(epilog=EXIT_CODES)
def _root(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print planadmin's version and exit.")] = False,
) -> None:
    """planadmin: employers' payroll files in, an append-only DuckDB ledger out. Run `planadmin COMMAND --help`
    for a command's options."""


def _settings(path: Path | None) -> Settings:
    """The project settings (``--settings``, else ./planadmin.toml, else the defaults), or exit 2."""
    try:
        return load_settings(path)
    except SettingsError as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def _quiet_prefect(verbose: bool) -> None:
    """Before Prefect is imported: no telemetry (Prefect's analytics heartbeat, which, with nowhere to send to,
    trips over its own SQLite file and prints a traceback in half of all runs), and in a terminal its INFO lines
    only with --verbose (the command prints its own summary; a served run logs everything to the Prefect UI)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
        # Prefect's event and log shippers say at exit that they are still sending: its business, not the night's.
        for shipper in ("EventsWorker", "APILogWorker"):
            logging.getLogger(shipper).setLevel(logging.ERROR)


#: Prefect's temporary server: tries and each try's start-up timeout. Under load its first start can pass the
#: default 20 s (seen: ``run failed: RuntimeError`` with no database touched).
SERVER_START_TIMEOUTS = (30, 60, 90)


def _start_prefect_server() -> None:
    """Start Prefect's temporary local server before the flow, trying again with a longer timeout when it does
    not come up, so a slow start is not a failed night. Nothing to do when ``PREFECT_API_URL`` names a server."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return
    failure = ""
    for timeout in SERVER_START_TIMEOUTS:
        server = SubprocessASGIServer()
        try:
            server.start(timeout=timeout)
            return
        except Exception as exc:  # noqa: BLE001 - told to the user below, in one line
            failure = str(exc).splitlines()[0][:200]
            with contextlib.suppress(Exception):
                server.stop()
    err.print(f"[bold red]run failed:[/] Prefect's temporary server did not start ({len(SERVER_START_TIMEOUTS)} "
              f"tries, up to {SERVER_START_TIMEOUTS[-1]} s each): {failure}. Nothing was read or written; set "
              "PREFECT_API_URL to use a running Prefect server")
    raise typer.Exit(EXIT_FAILED)


def _progress_reporter(verbose: bool):  # noqa: ANN202 - a pipelines.progress reporter
    from pipelines.progress import Bar, Lines, Silent

    if verbose:
        return Silent()  # Prefect's own lines say it
    return Bar(out) if out.is_terminal else Lines(sys.stdout)


SettingsOption = Annotated[Path | None, typer.Option(
    "--settings", help="Project settings file (default: ./planadmin.toml when present). The other options "
    "default to its [run], [schedule] and [inbox] values.")]


@app.command(epilog=EXIT_CODES, short_help="Run one night now.")
def run(
    inbox: Annotated[str | None, typer.Option(help=(
        "Where the files are: a folder INBOX/<plan_id>/{census,payroll,balances,distributions}/*.csv, or a URL: "
        "sftp://user@host:port/path (key file from PLANADMIN_SFTP_KEY_FILE or [inbox] key_file), "
        "s3://bucket/prefix (AWS credentials from the environment), file:///path. Default: INBOX."))] = None,
    plans: Annotated[Path | None, typer.Option(help="Plan files folder, PLANS/<plan_id>.toml. Default: PLANS.")] = None,
    db: Annotated[Path | None, typer.Option(
        help="DuckDB database file, created when missing. Default: planadmin.duckdb.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The run's business date, YYYY-MM-DD. Default: today.")] = None,
    report_dir: Annotated[Path | None, typer.Option(
        "--report-dir", help="Folder for the morning report, <as-of>.md and .json. Default: reports.")] = None,
    wait: Annotated[int | None, typer.Option(
        "--wait", help="Seconds to wait for a database another process holds before giving up. Default: 300.")] = None,
    archive: Annotated[bool | None, typer.Option(
        "--archive/--no-archive", help="For a remote inbox: move each handled file to processed/ or rejected/ "
        "beside it. Default: [inbox] archive, else no.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's own log lines.")] = False,
    settings_file: SettingsOption = None,
) -> None:
    """Run one night now: post every new census, payroll, balances and distributions file of the inbox, the
    true-ups and terminations due by --as-of and the derived reports, run the invariant checks, and write the
    morning report. Prints a line per file (a progress bar in a terminal) and a summary."""
    settings = _settings(settings_file)
    run_date = _as_of(as_of)
    options = _run_options(settings, inbox, plans, db, report_dir, wait, archive)
    _quiet_prefect(verbose)
    # Prefect is imported only once the arguments are known to be good: it is slow to import.
    from pipelines.flows import nightly, one_shot
    from pipelines.progress import reporting

    _start_prefect_server()
    with _store_errors():
        try:
            with one_shot(), reporting(_progress_reporter(verbose)):
                report = nightly(as_of=run_date, **options)
        except (DatabaseBusyError, SchemaVersionError, NotADatabaseError):
            raise
        except Exception as exc:  # the run failed: say so plainly
            _run_failed(exc)
    _print_report(report)
    out.print(f"Morning report: {Path(options['report_dir']) / report.as_of.isoformat()}.md (and .json)")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)


def _run_failed(exc: Exception) -> NoReturn:
    """One line for a failed run: an expected outcome (a busy database, a refused or unreachable inbox) says
    what it was; anything else names the error, whose traceback Prefect has logged."""
    from prefect.exceptions import FailedRun

    from pipelines.inbox import InboxError

    if isinstance(exc, FailedRun | InboxError):
        err.print(f"[bold red]run failed:[/] {escape(str(exc))}")
    else:
        first_line = str(exc).splitlines()[0][:300] if str(exc) else ""
        err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {escape(first_line)} (the Prefect log has the traceback)")
    raise typer.Exit(EXIT_FAILED) from None


def _run_options(settings: Settings, inbox: str | None, plans: Path | None, db: Path | None,
                 report_dir: Path | None, wait: int | None, archive: bool | None) -> dict:
    """The nightly flow's parameters: each option, else its settings value; checked, or exit 2."""
    from pipelines.inbox import has_password, is_remote, masked

    inbox_text = inbox if inbox is not None else settings.run.inbox
    plans_dir = plans if plans is not None else Path(settings.run.plans)
    db_path = db if db is not None else Path(settings.run.db)
    remote = is_remote(inbox_text)
    if remote and has_password(inbox_text):
        # Refused before anything records the run's parameters (Prefect stores them, a deployment keeps them).
        err.print(f"--inbox: {escape(masked(inbox_text))}: a password in the URL is refused; give it in "
                  "PLANADMIN_SFTP_PASSWORD, or use a key file (PLANADMIN_SFTP_KEY_FILE or [inbox] key_file)")
        raise typer.Exit(EXIT_USAGE)
    if not remote and not Path(inbox_text).is_dir():
        err.print(f"--inbox: {inbox_text} is not a folder")
        raise typer.Exit(EXIT_USAGE)
    if not plans_dir.is_dir():
        err.print(f"--plans: {plans_dir} is not a folder")
        raise typer.Exit(EXIT_USAGE)
    if db_path.exists() and not db_path.is_file():
        err.print(f"--db: {db_path} is not a file")
        raise typer.Exit(EXIT_USAGE)
    try:
        from schemas.plan import load_plan

        for plan_file in sorted(plans_dir.glob("*.toml")):
            load_plan(plan_file)
        load_irs_limits()
    except (PlanConfigError, LimitsTableError) as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    inbox_options = settings.inbox
    if archive is not None:
        inbox_options = inbox_options.model_copy(update={"archive": archive})
    if archive and not remote:
        err.print(f"--archive: only a remote inbox is archived; {masked(inbox_text)} is a local folder")
        raise typer.Exit(EXIT_USAGE)
    return {
        "inbox": inbox_text if remote else str(Path(inbox_text).resolve()),
        "plans_dir": plans_dir.resolve(),
        "db_path": db_path.resolve(),
        "report_dir": (report_dir if report_dir is not None else Path(settings.run.report_dir)).resolve(),
        "wait_seconds": wait if wait is not None else settings.run.wait_seconds,
        "inbox_options": inbox_options,
    }


def _schedule(settings: Settings, cron: str | None, timezone: str | None) -> tuple[str, str]:
    from schemas.settings import ScheduleSettings

    try:
        chosen = ScheduleSettings(cron=cron or settings.schedule.cron, timezone=timezone or settings.schedule.timezone)
    except ValueError as exc:
        err.print("configuration error: " + "; ".join(
            f"--{e['loc'][0]}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()))  # type: ignore[attr-defined]
        raise typer.Exit(EXIT_USAGE) from None
    return chosen.cron, chosen.timezone


def _served_parameters(options: dict) -> dict:
    """The run options as a deployment stores them (JSON: paths as text)."""
    return {key: (str(value) if isinstance(value, Path) else value.model_dump() if hasattr(value, "model_dump")
                  else value) for key, value in options.items()}


#: Where `planadmin serve` starts its own Prefect server when PREFECT_API_URL names none.
SERVER_PORT = 4200


@contextmanager
def _prefect_server(port: int) -> Iterator[str]:
    """A real Prefect server (API, UI and the scheduler that turns a cron into runs; the temporary server a
    one-off run uses has no scheduler) for as long as `planadmin serve` runs; yields its API URL. Its output goes
    to ``planadmin-server.log`` in Prefect's home folder (a pipe nobody reads would fill and stall it)."""
    import subprocess
    import time

    import httpx

    url = f"http://127.0.0.1:{port}/api"
    # (not through prefect.settings: importing Prefect before PREFECT_API_URL is set fixes its settings without it)
    log_path = Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser() / "planadmin-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUTS[-1]
        while time.monotonic() < deadline:
            if server.poll() is not None:
                last = log_path.read_text(errors="replace").strip().splitlines()[-1:] or [""]
                err.print(f"[bold red]serve failed:[/] the Prefect server did not start: {escape(last[0][:300])} "
                          f"(whole log: {log_path})")
                raise typer.Exit(EXIT_FAILED)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            err.print(f"[bold red]serve failed:[/] the Prefect server did not answer on port {port} within "
                      f"{SERVER_START_TIMEOUTS[-1]} s")
            raise typer.Exit(EXIT_FAILED)
        yield url
    finally:
        server.terminate()
        with contextlib.suppress(Exception):
            server.wait(timeout=20)


@app.command(epilog=EXIT_CODES, short_help="Run the night on a schedule (a Prefect deployment).")
def serve(
    cron: Annotated[str | None, typer.Option(help="When to run, a cron expression. Default: [schedule] cron, "
                                             "else 0 2 * * * (02:00 every day).")] = None,
    timezone: Annotated[str | None, typer.Option(help="The cron's time zone, which also dates each run: --as-of "
                                                 "is the scheduled date there. Default: [schedule] timezone, "
                                                 "else America/New_York.")] = None,
    inbox: Annotated[str | None, typer.Option(help="As for run.")] = None,
    plans: Annotated[Path | None, typer.Option(help="As for run.")] = None,
    db: Annotated[Path | None, typer.Option(help="As for run.")] = None,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="As for run.")] = None,
    wait: Annotated[int | None, typer.Option("--wait", help="Seconds a run waits for the database while another "
                                             "run (or any process) holds it, then fails. As for run.")] = None,
    archive: Annotated[bool | None, typer.Option("--archive/--no-archive", help="As for run.")] = None,
    port: Annotated[int, typer.Option(help="Port of the Prefect server (and its UI) that serve starts when "
                                      "PREFECT_API_URL names none.")] = SERVER_PORT,
    settings_file: SettingsOption = None,
) -> None:
    """Run the night on a schedule, as the Prefect deployment nightly/planadmin-nightly, until stopped (Ctrl-C).
    Each run, its parameters, its logs and its morning report (artifact nightly-<date>) appear in the Prefect UI;
    two runs never overlap on one database. With PREFECT_API_URL set it uses that server; otherwise it starts
    one on --port (UI at http://127.0.0.1:PORT)."""
    settings = _settings(settings_file)
    chosen_cron, chosen_timezone = _schedule(settings, cron, timezone)
    options = _run_options(settings, inbox, plans, db, report_dir, wait, archive)
    _quiet_prefect(verbose=True)  # a served night logs to the Prefect UI; the terminal shows the runner
    with contextlib.ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            os.environ["PREFECT_API_URL"] = stack.enter_context(_prefect_server(port))
            out.print(f"Prefect server and UI: {os.environ['PREFECT_API_URL'].removesuffix('/api')}")
        from pipelines.flows import serve_nightly

        out.print(f"Serving nightly ({chosen_cron!r}, {chosen_timezone}) on {options['db_path']}; Ctrl-C stops.")
        # Ctrl-C is how serve stops. Prefect's runner takes it once it is running; one that comes between the
        # deployment's registration and the runner's start would otherwise end serve as interrupted (exit 130).
        with contextlib.suppress(KeyboardInterrupt):
            serve_nightly(settings.schedule.deployment, chosen_cron, chosen_timezone, _served_parameters(options))


@app.command(epilog=EXIT_CODES, short_help="Register the night with a Prefect work pool.")
def deploy(
    pool: Annotated[str, typer.Option(help="The work pool (a process pool) whose workers will run the night.")],
    cron: Annotated[str | None, typer.Option(help="As for serve.")] = None,
    timezone: Annotated[str | None, typer.Option(help="As for serve.")] = None,
    inbox: Annotated[str | None, typer.Option(help="As for run.")] = None,
    plans: Annotated[Path | None, typer.Option(help="As for run.")] = None,
    db: Annotated[Path | None, typer.Option(help="As for run.")] = None,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="As for run.")] = None,
    wait: Annotated[int | None, typer.Option("--wait", help="As for serve.")] = None,
    archive: Annotated[bool | None, typer.Option("--archive/--no-archive", help="As for run.")] = None,
    settings_file: SettingsOption = None,
) -> None:
    """Register the night as a deployment with a work pool on the Prefect server PREFECT_API_URL names, for
    teams that run one: its workers run it from this project's folder on the schedule. Exits when registered."""
    settings = _settings(settings_file)
    chosen_cron, chosen_timezone = _schedule(settings, cron, timezone)
    options = _run_options(settings, inbox, plans, db, report_dir, wait, archive)
    if not os.environ.get("PREFECT_API_URL"):
        err.print("configuration error: deploy registers with a Prefect server: set PREFECT_API_URL "
                  "(planadmin serve runs one itself)")
        raise typer.Exit(EXIT_USAGE)
    _quiet_prefect(verbose=False)
    from prefect.exceptions import ObjectNotFound

    from pipelines.flows import deploy_nightly

    try:
        deployment_id = deploy_nightly(settings.schedule.deployment, pool, chosen_cron, chosen_timezone,
                                       _served_parameters(options), Path(__file__).resolve().parent.parent)
    except (ObjectNotFound, ValueError) as exc:
        err.print(f"configuration error: --pool {pool}: {str(exc).splitlines()[0] if str(exc) else 'not found'}")
        raise typer.Exit(EXIT_USAGE) from None
    out.print(f"Deployed nightly/{settings.schedule.deployment} ({deployment_id}) to work pool {pool}: "
              f"{chosen_cron!r} {chosen_timezone}. Start a worker: prefect worker start --pool {pool}")


@app.command("true-up", short_help="Post a plan year's match true-up now.")
def true_up_command(
    plan: Annotated[str, typer.Option("--plan", help="Plan id (PLANS/<plan>.toml)")],
    year: Annotated[int, typer.Option("--year", help="Plan year to true up")],
    plans: Annotated[Path, typer.Option(help="Plan files folder")] = Path("PLANS"),
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
    as_of: Annotated[str | None, typer.Option("--as-of", help="Effective date of the entries (default: today)")] = None,
) -> None:
    """Post a plan year's year-end match true-up now, before its due date if need be. Idempotent."""
    run_date = _as_of(as_of)
    from schemas.plan import load_plan

    plan_file = plans / f"{plan}.toml"
    try:
        config = load_plan(plan_file)
        limits = load_irs_limits()
    except (PlanConfigError, LimitsTableError) as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    if not config.true_up.enabled:
        err.print(f"configuration error: {plan_file}: the plan has no true-up (true_up.enabled is false)")
        raise typer.Exit(EXIT_USAGE)
    if year not in limits["plan_year"].to_list():
        err.print(f"configuration error: no IRS limits for {year} in sql/seeds/irs_limits.csv")
        raise typer.Exit(EXIT_USAGE)
    _existing(db)
    from pipelines.flows import one_shot, true_up

    with _store_errors():
        try:
            with one_shot():
                report = true_up(plan_file=plan_file.resolve(), plan_year=year, db_path=db.resolve(), as_of=run_date)
        except (DatabaseBusyError, SchemaVersionError):
            raise
        except Exception as exc:  # the run failed: Prefect has logged the traceback
            err.print(f"[bold red]true-up failed:[/] {type(exc).__name__}")
            raise typer.Exit(EXIT_FAILED) from None
    (result,) = report.files
    if result.status == "skipped":
        out.print(f"{result.file_name}: nothing to do, {result.error}")
    else:
        posted = sum(result.posted_cents.values())
        out.print(f"{result.file_name}: {result.rows_posted} people trued up, {_money(posted)} posted as match_true_up")
    for failure in report.check_failures:
        err.print(f"[bold red]invariant check failed:[/] {failure.check} ({failure.rows.height} rows)")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)


@app.command(short_help="Run the invariant checks on a database.")
def check(
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
) -> None:
    """Run the invariant checks (sql/checks/*.sql) against a database, opened read-only: exit 0 when every
    check returns no rows, 1 naming each check that does."""
    from pipelines.store import Database
    from pipelines.store.checks import check_names, run_checks

    with _store_errors(), Database(_existing(db), read_only=True) as database:
        failures = run_checks(database)
        checked = check_names()
    for failure in failures:
        err.print(f"[bold red]invariant check failed:[/] {failure.check} ({failure.rows.height} rows)")
        err.print(str(failure.rows.head(10)))
    out.print(f"{len(checked) - len(failures)} of {len(checked)} invariant checks pass on {db}")
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)


notices_app = typer.Typer(no_args_is_help=True, help="Letters to participants, from the database (read-only).",
                          short_help="Letters to participants.")
app.add_typer(notices_app, name="notices")


@notices_app.command("rmd", short_help="Write RMD letters for a plan and year.")
def rmd_letters(
    plan: Annotated[str, typer.Option("--plan", help="Plan id (PLANS/<plan>.toml)")],
    year: Annotated[int, typer.Option("--year", help="Distribution year")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the letters and summary.csv (created)")],
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
    plans: Annotated[Path, typer.Option(help="Plan files folder")] = Path("PLANS"),
) -> None:
    """Write a PDF letter for each participant whose required minimum distribution for --year is due or overdue
    (as of the last run), and summary.csv listing them. Reads the database only."""
    from schemas.plan import load_plan

    plan_file = plans / f"{plan}.toml"
    try:
        config = load_plan(plan_file)
    except PlanConfigError as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    _existing(db)
    if out_dir.exists() and not out_dir.is_dir():
        err.print(f"--out: {out_dir} is not a folder")
        raise typer.Exit(EXIT_USAGE)
    from pipelines.letters import write_letters
    from pipelines.store import Database, rmd

    with _store_errors(), Database(db, read_only=True) as database:
        notices = rmd.letters(database, plan, year)
    written = write_letters(notices, config.name, year, out_dir)
    due = notices.filter(notices["status"] == "due").height
    out.print(
        f"{plan} {year}: {len(written.letters)} letter{'' if len(written.letters) == 1 else 's'} ({due} due, {notices.height - due} overdue) and "
        f"{written.summary.name} in {out_dir}"
    )
    raise typer.Exit(EXIT_OK)


forfeitures_app = typer.Typer(no_args_is_help=True, help="The plan's forfeiture account.",
                              short_help="The plan's forfeiture account.")
app.add_typer(forfeitures_app, name="forfeitures")


@forfeitures_app.command("use", short_help="Record a use of forfeited money.")
def forfeiture_use(
    plan: Annotated[str, typer.Option("--plan", help="Plan id")],
    year: Annotated[int, typer.Option("--year", help="The plan year the forfeited money arose in")],
    source: Annotated[str, typer.Option("--source", help="The employer source forfeited (match, nonelective, ...)")],
    amount: Annotated[str, typer.Option("--amount", help="Dollars used (negative with --use reversal)")],
    use: Annotated[str, typer.Option(
        "--use", help="plan_expenses, reduce_employer_contributions, allocate, or reversal (undoes an earlier use)")],
    used_on: Annotated[str, typer.Option("--date", help="Date of the use, YYYY-MM-DD")],
    reference: Annotated[str | None, typer.Option("--reference", help="Invoice, deposit or allocation reference")] = None,
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
) -> None:
    """Record a use of a plan year's forfeitures of a source (append only; recording the same use again records
    nothing). It may not use more than is left, nor be dated before the money was forfeited. The
    forfeiture_account report shows forfeited, used and unused."""
    from decimal import Decimal, InvalidOperation

    from pipelines.store import Database, forfeitures

    day = _as_of(used_on)
    try:
        dollars = Decimal(amount)
        if dollars != dollars.quantize(Decimal("0.01")) or not dollars.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        err.print(f"--amount: {amount!r} is not an amount in dollars and cents")
        raise typer.Exit(EXIT_USAGE) from None
    if use not in forfeitures.USES:
        err.print(f"--use: {use!r} is not one of {', '.join(forfeitures.USES)}")
        raise typer.Exit(EXIT_USAGE)
    if (use == "reversal") != (dollars < 0) or dollars == 0:
        err.print("--amount: a use is positive, a reversal negative, never zero")
        raise typer.Exit(EXIT_USAGE)
    if reference is not None and len(reference) > 200:
        err.print("--reference: at most 200 characters")
        raise typer.Exit(EXIT_USAGE)
    with _store_errors(), Database(_existing(db)) as database:
        with database.transaction():
            uid = forfeitures.use_id(plan, year, source, day, use, dollars, reference)
            if forfeitures.is_recorded(database, uid):
                out.print(f"already recorded: use {uid} ({plan} {year} {source} {dollars} {use} on {day}); nothing changed")
                raise typer.Exit(EXIT_OK)
            found = forfeitures.account(database, plan, year, source)
            if found is None:
                err.print(f"{plan} has no {source} forfeitures of plan year {year} (see: planadmin report forfeiture_account)")
                raise typer.Exit(EXIT_USAGE)
            left = found["forfeited"] - found["used"]
            if dollars > left or found["used"] + dollars < 0:
                err.print(f"--amount: {dollars} is more than can be {'reversed' if dollars < 0 else 'used'}: "
                          f"{found['forfeited']} forfeited, {found['used']} used, {left} left")
                raise typer.Exit(EXIT_USAGE)
            if day < found["first_forfeited_on"]:
                err.print(f"--date: {day} is before the money was forfeited ({found['first_forfeited_on']})")
                raise typer.Exit(EXIT_USAGE)
            forfeitures.record_use(database, plan, year, source, day, use, dollars, reference)
    out.print(f"recorded use {uid}: {plan} {year} {source} {_money(int(dollars * 100))} {use} on {day}; "
              f"{_money(int((left - dollars) * 100))} left, to use by {year + 1}-12-31")
    raise typer.Exit(EXIT_OK)


def _rate_bp(label: str, value: str) -> int:
    """A tax rate given in percent (``22``, ``4.5``) as basis points, or exit 2."""
    from decimal import Decimal, InvalidOperation

    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal(-1)
    if not (0 <= rate <= 100 and rate == rate.quantize(Decimal("0.01"))):
        err.print(f"{label}: {value!r} is not a percent from 0 to 100 with at most 2 decimals")
        raise typer.Exit(EXIT_USAGE)
    return int(rate * 100)


@app.command("withdrawal-cost", short_help="What cashing out really costs a leaver.")
def withdrawal_cost_command(
    plan: Annotated[str, typer.Option("--plan", help="Plan id")],
    employee: Annotated[str, typer.Option("--employee", help="The leaver's employee id")],
    amount: Annotated[str | None, typer.Option(help="Dollars to take in cash (default: the whole vested balance)")] = None,
    federal_rate: Annotated[str, typer.Option("--federal-rate", help="Federal income tax rate, percent")] = "22",
    state_rate: Annotated[str, typer.Option("--state-rate", help="State income tax rate, percent")] = "0",
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """What cashing out really costs a leaver, from their own ledger (as of the last run's rollover report): the
    taxable part, the 20% withholding, the 10% early penalty, estimated income tax at the given rates, what is
    left in hand, and what a direct rollover keeps instead. Reads the database only."""
    import json
    from decimal import Decimal, InvalidOperation

    from pipelines.distribution_rules import load_distribution_rules, rules_for_year
    from pipelines.rules.rollover import withdrawal_cost
    from pipelines.store import Database, rollover

    if output_format not in ("table", "json"):
        err.print(f"--format: {output_format!r} is not table or json")
        raise typer.Exit(EXIT_USAGE)
    federal_bp, state_bp = _rate_bp("--federal-rate", federal_rate), _rate_bp("--state-rate", state_rate)
    with _store_errors(), Database(_existing(db), read_only=True) as database:
        found = rollover.one_person(database, plan, employee)
    if found.height == 0:
        err.print(f"{plan}/{employee} is not in the rollover-eligibility report: only a leaver with a vested balance "
                  "(as of the last run) can be paid out")
        raise typer.Exit(EXIT_USAGE)
    row = found.row(0, named=True)
    person = {
        "vested_balance_cents": int(row["vested_balance"] * 100),
        "taxable_if_cashed_out_cents": int(row["taxable_if_cashed_out"] * 100),
        "rmd_due_cents": int(row["rmd_due"] * 100),
        "early_penalty_applies": row["early_penalty_applies"],
    }
    try:
        amount_cents = person["vested_balance_cents"] if amount is None else int(Decimal(amount) * 100)
        if amount is not None and Decimal(amount) * 100 != amount_cents:
            raise InvalidOperation
        costs = withdrawal_cost(person, amount_cents, federal_bp, state_bp,
                                rules_for_year(load_distribution_rules(), row["as_of"].year))
    except (InvalidOperation, ValueError) as exc:
        err.print(f"--amount: {amount!r}: {exc if isinstance(exc, ValueError) else 'not an amount in dollars and cents'}")
        raise typer.Exit(EXIT_USAGE) from None
    labels = {
        "amount_cents": "cash-out amount (gross)",
        "taxable_cents": "taxable part",
        "withholding_cents": "mandatory federal withholding (20%, a prepayment of the tax)",
        "cash_at_payment_cents": "cash received at payment",
        "penalty_cents": "10% early-distribution penalty" + ("" if row["early_penalty_applies"] else " (does not apply)"),
        "federal_tax_cents": f"estimated federal income tax ({federal_rate}%)",
        "state_tax_cents": f"estimated state income tax ({state_rate}%)",
        "net_after_tax_cents": "kept after tax and penalty",
        "rollover_keeps_cents": "a direct rollover keeps instead (no tax now)",
        "rmd_part_cents": "of it, RMD paid first (cannot be rolled over)",
    }
    if output_format == "json":
        out.print_json(json.dumps({
            "plan_id": plan, "employee_id": employee, "as_of": str(row["as_of"]), "category": row["category"],
            "vested_balance": _money(person["vested_balance_cents"]).replace(",", ""),
            **{k.removesuffix("_cents"): _money(v).replace(",", "") for k, v in costs.items()},
        }))
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"Cashing out {plan}/{employee} (as of {row['as_of']}; vested balance "
                        f"{_money(person['vested_balance_cents'])}, {row['category'].replace('_', ' ')})")
    table.add_column("")
    table.add_column("dollars", justify="right")
    for key, label in labels.items():
        table.add_row(label, _money(costs[key]))
    out.print(table)
    out.print("Withholding is a prepayment, not the final tax: the tax owed is settled on the return. The income tax "
              "figures are estimates at the rates given.")
    raise typer.Exit(EXIT_OK)


def _bp_pct(bp: int) -> str:
    """Basis points as a percent: ``650`` -> ``6.5``, ``600`` -> ``6``."""
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".")


def _pct_bp(label: str, value: str, high: int = 20) -> int:
    """A percent option (``6``, ``2.5``) as basis points, or exit 2."""
    bp = _rate_bp(label, value)
    if bp > high * 100:
        err.print(f"{label}: {value}% is more than {high}%")
        raise typer.Exit(EXIT_USAGE)
    return bp


@app.command(short_help="Project a participant's balance to retirement.")
def project(
    plan: Annotated[str, typer.Option("--plan", help="Plan id (PLANS/<plan>.toml)")],
    employee: Annotated[str, typer.Option("--employee", help="An active participant's employee id")],
    retirement_age: Annotated[int, typer.Option("--retirement-age", help="Age at retirement")] = 67,
    annual_return: Annotated[str, typer.Option("--return", help="Annual investment return, percent")] = "6",
    salary_growth: Annotated[str, typer.Option("--salary-growth", help="Annual pay rise, percent")] = "3",
    inflation: Annotated[
        str, typer.Option("--inflation", help="Annual inflation, percent (also raises the IRS limits)")] = "2.5",
    withdrawal_rate: Annotated[
        str, typer.Option("--withdrawal-rate", help="Yearly withdrawal, percent of the balance at retirement")] = "4",
    annuity_years: Annotated[int, typer.Option("--annuity-years", help="Years a level annuity pays")] = 25,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Chart file, .svg or .png (default: projection-PLAN-EMPLOYEE.svg)")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Project from this date (default: the last run's)")] = None,
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
    plans: Annotated[Path, typer.Option(help="Plan files folder")] = Path("PLANS"),
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Project an active participant's balance to retirement from their own ledger (balance now, pay, rates, the
    plan's match) under the assumptions given, contributions stopping at the IRS limits every year, and the yearly
    income it supports; writes a chart of the balance by year. Reads the database only."""
    import json

    import polars as pl

    from pipelines.charts import write_projection_chart
    from pipelines.derived.calculators import project_people
    from pipelines.rules.projection import Assumptions
    from pipelines.store import Database, calculators, reports, runs
    from schemas.plan import load_plan

    if output_format not in ("table", "json"):
        err.print(f"--format: {output_format!r} is not table or json")
        raise typer.Exit(EXIT_USAGE)
    chart = chart or Path(f"projection-{plan}-{employee}.svg")
    if chart.suffix.lower() not in (".svg", ".png"):
        err.print(f"--chart: {chart} must end in .svg or .png")
        raise typer.Exit(EXIT_USAGE)
    try:
        config = load_plan(plans / f"{plan}.toml")
        assumptions = Assumptions(
            retirement_age=retirement_age, annual_return_bp=_pct_bp("--return", annual_return),
            salary_growth_bp=_pct_bp("--salary-growth", salary_growth), inflation_bp=_pct_bp("--inflation", inflation),
            withdrawal_rate_bp=_pct_bp("--withdrawal-rate", withdrawal_rate), annuity_years=annuity_years)
        limits = load_irs_limits()
    except (PlanConfigError, LimitsTableError, ValueError) as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    with _store_errors(), Database(_existing(db), read_only=True) as database:
        day = _as_of(as_of) if as_of else runs.last_as_of(database)
        if day is None:
            err.print(f"{db} has no completed run: give --as-of")
            raise typer.Exit(EXIT_USAGE)
        with reports.parameters(database, as_of=day):
            schedule = calculators.pay_frequency(database, plan)
            active = calculators.active_participants(database, plan, day).filter(pl.col("employee_id") == employee)
            remaining = calculators.remaining_pay_dates(database, plan, day).height
    if active.height == 0 or schedule is None or schedule[1] is None:
        err.print(f"{plan}/{employee} is not an active participant as of {day} (paid in the plan's latest payroll, "
                  "no termination in force, a regular pay frequency): a projection needs current pay and rates")
        raise typer.Exit(EXIT_USAGE)
    _, people, years, found = project_people(active, remaining, schedule[1], config, limits, assumptions, day)
    summary = found.row(0, named=True)
    person = people.row(0, named=True)
    # The whole years start from the balance at the end of this year (the rest of it added).
    year_end_cents = (summary["balance_now_cents"] + summary["rest_deferral_cents"] + summary["rest_employer_cents"]
                      + summary["rest_growth_cents"])
    written = write_projection_chart(
        years, year_end_cents,
        f"Projected balance: {plan}/{employee} (retires {summary['retirement_year']} at {retirement_age})", chart,
    ) if years.height else None
    stated = {
        "retirement_age": retirement_age, "annual_return_pct": annual_return, "salary_growth_pct": salary_growth,
        "inflation_pct": inflation, "withdrawal_rate_pct": withdrawal_rate, "annuity_years": annuity_years,
    }
    figures = {
        "balance_now": summary["balance_now_cents"], "contributions": summary["contributions_cents"],
        "growth": summary["growth_cents"], "balance_at_retirement": summary["balance_at_retirement_cents"],
        "balance_at_retirement_today": summary["balance_today_dollars_cents"],
        "yearly_income_withdrawal_rate": summary["income_4pct_cents"],
        "yearly_income_withdrawal_rate_today": summary["income_4pct_today_cents"],
        "yearly_annuity": summary["annuity_cents"], "yearly_annuity_today": summary["annuity_today_cents"],
    }
    if output_format == "json":
        out.print_json(json.dumps({
            "plan_id": plan, "employee_id": employee, "as_of": str(day), "assumptions": stated,
            "annual_compensation": _money(person["annual_compensation_cents"]).replace(",", ""),
            "deferral_rate_pct": str(_bp_pct(person["pretax_deferral_bp"] + person["roth_deferral_bp"])),
            "retirement_year": summary["retirement_year"], "years_to_retirement": summary["years_to_retirement"],
            **{k: _money(v).replace(",", "") for k, v in figures.items()}, "chart": None if written is None else str(written),
        }))
        raise typer.Exit(EXIT_OK)
    out.print(f"Projection for {plan}/{employee} as of {day}: pay {_money(person['annual_compensation_cents'])} a year, "
              f"deferring {_bp_pct(person['pretax_deferral_bp'] + person['roth_deferral_bp'])}%, balance now "
              f"{_money(summary['balance_now_cents'])}; retires in {summary['retirement_year']} "
              f"({summary['years_to_retirement']} years).")
    out.print(f"The rest of {day.year} ({remaining} pay dates left) adds deferrals "
              f"{_money(summary['rest_deferral_cents'])}, employer money {_money(summary['rest_employer_cents'])} and "
              f"growth {_money(summary['rest_growth_cents'])} before the first whole year, {day.year + 1}.")
    out.print(f"Assumptions: retirement at {retirement_age}, annual return {annual_return}%, salary growth "
              f"{salary_growth}%, inflation {inflation}%, withdrawal rate {withdrawal_rate}%, annuity over "
              f"{annuity_years} years"
              + " (change with --retirement-age, --return, --salary-growth, --inflation, --withdrawal-rate, "
              "--annuity-years). IRS limits rise with inflation after the last year in sql/seeds/irs_limits.csv; "
              "contributions stop at them every year.")
    table = Table(title="At retirement")
    table.add_column("")
    table.add_column("future dollars", justify="right")
    table.add_column("today's dollars", justify="right")
    table.add_row("balance", _money(figures["balance_at_retirement"]), _money(figures["balance_at_retirement_today"]))
    table.add_row(f"yearly income at {withdrawal_rate}% withdrawal", _money(figures["yearly_income_withdrawal_rate"]),
                  _money(figures["yearly_income_withdrawal_rate_today"]))
    table.add_row(f"yearly level annuity over {annuity_years} years", _money(figures["yearly_annuity"]),
                  _money(figures["yearly_annuity_today"]))
    out.print(table)
    by_year = Table(title="By year (every 5th year and the last)")
    for name in ("year", "age", "pay", "deferrals", "employer", "growth", "balance"):
        by_year.add_column(name, justify="right")
    for i, r in enumerate(years.iter_rows(named=True)):
        if i % 5 == 4 or i == years.height - 1:
            by_year.add_row(str(r["year"]), str(r["age"]), _money(r["compensation_cents"]), _money(r["deferral_cents"]),
                            _money(r["employer_cents"]), _money(r["growth_cents"]), _money(r["balance_end_cents"]))
    out.print(by_year)
    out.print(f"Contributions {_money(figures['contributions'])} and growth {_money(figures['growth'])} over "
              f"{summary['years_to_retirement']} years." + (f" Chart: {written}" if written else " No whole year is left to chart."))
    raise typer.Exit(EXIT_OK)


REPORT_FORMATS = ("table", "csv", "json", "parquet")
#: Rows a terminal table shows; the rest are counted (the full result: --format csv, --out).
MAX_TABLE_ROWS = 50


def _report_text(frame, output_format: str) -> str:  # noqa: ANN001 - a polars frame
    """CSV, or JSON records with money as exact decimal strings (never binary floats) and dates in ISO form."""
    import polars as pl

    if output_format == "csv":  # CSV has no lists: a list column (rejections' first_lines) as "3 17 42"
        return frame.with_columns(
            pl.col(c).cast(pl.List(pl.Utf8)).list.join(" ") for c, t in frame.schema.items() if t.is_nested()
        ).write_csv()
    exact = frame.with_columns(
        pl.col(c).cast(pl.Utf8) for c, t in frame.schema.items() if t.is_decimal() or t.is_temporal()
    )
    return exact.write_json() + "\n"


def _print_report_table(name: str, description: str, frame) -> None:  # noqa: ANN001 - a polars frame
    """A terminal table: the columns that fit the terminal's width, in order, and the first rows; says what it left
    out and how to get everything."""
    width = out.size.width
    shown_rows = frame.head(MAX_TABLE_ROWS)
    texts = {c: ["" if v is None else str(v) for v in shown_rows[c].to_list()] for c in frame.columns}
    fits, used = [], 4
    for c in frame.columns:
        need = max([len(c), *map(len, texts[c])]) + 3
        if fits and used + need > width:
            break
        fits.append(c)
        used += need
    table = Table(title=f"{name}: {description}", title_justify="left")
    for c in fits:
        numeric = frame.schema[c].is_numeric()
        table.add_column(c, justify="right" if numeric else "left", no_wrap=True, overflow="ellipsis")
    for i in range(shown_rows.height):
        table.add_row(*(texts[c][i] for c in fits))
    out.print(table)
    notes = [f"{frame.height} rows" + (f", the first {MAX_TABLE_ROWS} shown" if frame.height > MAX_TABLE_ROWS else "")]
    if len(fits) < len(frame.columns):
        notes.append(f"{len(frame.columns) - len(fits)} columns not shown: {', '.join(frame.columns[len(fits):])}")
    if len(notes) > 1 or frame.height > MAX_TABLE_ROWS:
        notes.append("everything: --format csv|json|parquet [--out FILE]")
    out.print("; ".join(notes) + ".")


@app.command(short_help="Run a named report.")
def report(
    name: Annotated[str | None, typer.Argument(help="The report's name (see --list)")] = None,
    list_reports: Annotated[bool, typer.Option("--list", help="List the reports with what each answers")] = False,
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan's rows")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Plan year (default: the year of --as-of)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the report answers for, YYYY-MM-DD (default: the last run's)")
    ] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", help="table, csv, json or parquet (default: table on a terminal, else csv)")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the screen")] = None,
    db: Annotated[Path, typer.Option(help="DuckDB database file")] = Path("planadmin.duckdb"),
) -> None:
    """Run a named report (sql/reports/NAME.sql, also the view report_NAME in the database) and print or write it.
    Reads the database only."""
    from pipelines.store import Database
    from pipelines.store.reports import UnknownReportError, all_reports, get_report, run_report

    if list_reports or name is None:
        listing = Table(title="planadmin reports (planadmin report NAME; in SQL: SELECT * FROM report_NAME)",
                        title_justify="left")
        listing.add_column("name", no_wrap=True)
        listing.add_column("what it answers")
        listing.add_column("parameters")
        for r in all_reports():
            listing.add_row(r.name, r.description, r.parameters)
        out.print(listing)
        raise typer.Exit(EXIT_OK if list_reports else EXIT_USAGE)
    try:
        found = get_report(name)
    except UnknownReportError:
        err.print(f"no report named {name!r}: planadmin report --list shows them")
        raise typer.Exit(EXIT_USAGE) from None
    if output_format is None:
        output_format = "table" if out_file is None and sys.stdout.isatty() else "csv"
    if output_format not in REPORT_FORMATS:
        err.print(f"--format: {output_format!r} is not one of {', '.join(REPORT_FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    if output_format == "parquet" and out_file is None:
        err.print("--format parquet needs --out FILE")
        raise typer.Exit(EXIT_USAGE)
    if output_format == "table" and out_file is not None:
        err.print("--out needs --format csv, json or parquet")
        raise typer.Exit(EXIT_USAGE)
    day = _as_of(as_of) if as_of else None
    with _store_errors(), Database(_existing(db), read_only=True) as database:
        frame = run_report(database, found.name, plan_id=plan, year=year, as_of=day)
    if output_format == "table":
        _print_report_table(found.name, found.description, frame)
    elif out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        if output_format == "parquet":
            frame.write_parquet(out_file)
        else:
            out_file.write_text(_report_text(frame, output_format), encoding="utf-8")
        err.print(f"{found.name}: {frame.height} rows written to {out_file}")
    else:
        sys.stdout.write(_report_text(frame, output_format))
    raise typer.Exit(EXIT_OK)


profile_app = typer.Typer(no_args_is_help=True, short_help="Check an employer's import profile.",
                          help="Import profiles: how an employer's export maps onto a file kind.")
app.add_typer(profile_app, name="profile")


@profile_app.command("check", short_help="Try an import profile on an export file.")
def profile_check(
    file: Annotated[Path, typer.Argument(help="The export file to read")],
    plan: Annotated[str, typer.Option("--plan", help="The plan whose plan file names the profile")],
    kind: Annotated[str, typer.Option("--kind", help="payroll, census, balances or distributions")],
    plans: Annotated[Path, typer.Option(help="Plan files folder: PLANS/<plan_id>.toml, PLANS/profiles/")] = Path("PLANS"),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The run date two-digit years are read against (default: today)")
    ] = None,
    sample: Annotated[int, typer.Option("--rows", help="How many parsed rows to show")] = 5,
) -> None:
    """Read one file with the plan's import profile for KIND, without touching any database: what each export
    column maps to, a sample of the rows as planadmin reads them (personal data masked) and every rejection
    (line, the export's column, the value masked, why). Checks that need the database (a row already posted, a
    person the plan does not know) are not made. Exit 0 when the file can be read (rows may still be rejected,
    as listed), 1 when it would be rejected whole, 2 for a usage or configuration error."""
    import polars as pl

    from pipelines.ingest import mask_personal, read_csv_bytes, validate_rows
    from pipelines.profiles import read_export
    from schemas.kinds import FILE_KINDS, ValidationContext
    from schemas.plan import load_plan

    specs = {spec.kind: spec for spec in FILE_KINDS}
    if kind not in specs:
        err.print(f"--kind: {kind!r} is not one of {', '.join(specs)}")
        raise typer.Exit(EXIT_USAGE)
    if not file.is_file():
        err.print(f"{file} is not a file")
        raise typer.Exit(EXIT_USAGE)
    run_date = _as_of(as_of)
    spec = specs[kind]
    try:
        plan_config = load_plan(plans / f"{plan}.toml")
        limits = load_irs_limits()
    except (PlanConfigError, LimitsTableError) as exc:
        err.print(f"configuration error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    profile = plan_config.profile(kind)
    name = getattr(plan_config.imports, kind)
    data = file.read_bytes()
    if profile is None:
        out.print(f"plan {plan} names no {kind} profile: {file.name} is read in planadmin's own format")
        read = read_csv_bytes(data, spec.fields)
    else:
        out.print(f"profile {name} ({plans / 'profiles' / f'{name}.toml'}), {kind}"
                  + (f": {profile.description}" if profile.description else ""))
        mapping = Table(title="columns", title_justify="left")
        for column in ("export column", "reads into", "field kind", "required"):
            mapping.add_column(column)
        fields = spec.by_name
        for header, field_name in profile.columns.items():
            f = fields[field_name]
            required = ("yes" if f.alternative is None else f"yes, or {f.alternative}") if f.required else ""
            mapping.add_row(header, field_name, f.kind, required)
        for field_name, value in profile.constants.items():
            mapping.add_row(f"(constant {value!r})", field_name, fields[field_name].kind, "")
        for header in profile.ignored:
            mapping.add_row(header, "(ignored)", "", "")
        out.print(mapping)
        out.print(f"dates: {' or '.join(profile.dates.formats)}"
                  + (f"; no date: {', '.join(repr(t) for t in profile.dates.no_date)}" if profile.dates.no_date else "")
                  + f"; money: {profile.money.currency_symbol}1{profile.money.thousands_separator}234"
                  f"{profile.money.decimal_separator}56, negatives -12.50 or (12.50); percents with or without %")
        read = read_export(data, spec, profile, name or "", run_date)
    if read.error is not None or read.text is None:
        message = read.error.message if read.error is not None else "unreadable"
        err.print(f"[bold red]{file.name} would be rejected whole:[/] {message}")
        raise typer.Exit(EXIT_FAILED)
    years = tuple(limits["plan_year"].to_list())
    validated = validate_rows(read.text, spec, ValidationContext(years, run_date), read.malformed, read.shown)
    rejections = read.as_exported(validated.rejections)
    accepted_lines = validated.accepted["line_number"].head(sample).implode()
    values = [c for c in read.text.columns if c != "line_number"]
    masked = {
        name: frame.filter(pl.col("line_number").is_in(accepted_lines)).with_columns(
            mask_personal(pl.col(c), spec.by_name.get(c)).alias(c) for c in values)
        for name, frame in (("read", read.text), ("given", read.values if read.values is not None else read.text))
    }
    # One column per sample row: an export's many fields read down the page, each as given and as read.
    table = Table(title=f"the first {masked['read'].height} accepted rows, as given -> as planadmin reads them "
                  "(personal data masked)", title_justify="left")
    table.add_column("field")
    table.add_column("export column")
    for line in masked["read"]["line_number"].to_list():
        table.add_column(f"line {line}", overflow="fold")
    for c in values:
        cells = []
        for given, read_as in zip(masked["given"][c].to_list(), masked["read"][c].to_list()):
            given_text, read_text = ("" if v is None else str(v) for v in (given, read_as))
            cells.append(read_text if given_text == read_text else f"{given_text} -> {read_text}")
        table.add_row(c, "(constant)" if profile is not None and c in profile.constants else read.headers.get(c, c),
                      *cells)
    out.print(table)
    if rejections.height:
        listing = Table(title="rejections (values masked)", title_justify="left")
        for column in ("line", "column", "value", "reason"):
            listing.add_column(column, overflow="fold")
        for line, column, value, reason in rejections.select(
                "line_number", "column_name", "value", "reason").iter_rows():
            listing.add_row("" if line is None else str(line), column or "", value or "", reason)
        out.print(listing)
    out.print(f"{file.name}: {read.rows_read} rows read, {validated.accepted.height} accepted, "
              f"{validated.rows_rejected} rejected, {read.blank_lines} blank lines skipped (database checks not made).")
    raise typer.Exit(EXIT_OK)


def main() -> None:
    sys.exit(app())


if __name__ == "__main__":
    main()
