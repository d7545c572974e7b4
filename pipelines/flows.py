"""Prefect flows: wiring only. The rules live in :mod:`pipelines.rules`, the I/O in :mod:`pipelines.store`.

``nightly`` discovers ``INBOX/<plan_id>/<kind>/*.csv`` for the kinds census, payroll, balances and
distributions (files in name order, so name them by date) and, per plan (in one transaction), runs one
``post-file`` task per file, in that order of kinds; then runs each derived step of
:data:`pipelines.derived.STEPS` (true-ups due by the run's as-of date, terminations dated by then, RMD notices, the rollover-eligibility
report) as a ``derive`` task. Last it runs the invariant checks in ``sql/checks/`` and counts the RMD notices
per plan and status and the leavers per plan and rollover category. Logs carry counts and file names only, never personal data.

A remote inbox (an fsspec URL) is first staged into a folder of the run's own (``stage-inbox``, retried on
transient errors) and, with ``archive``, its handled files moved aside afterwards (``archive-file``). Every run
ends with the morning report (:mod:`pipelines.morning_report`) as a Prefect artifact and files. Served runs
(:func:`serve_nightly`, :func:`deploy_nightly`) take the database's concurrency slot first.
"""

import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.concurrency.sync import concurrency
from prefect.runtime import deployment as deployment_context
from prefect.states import Failed
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from pipelines.balances_batch import process_balances_file
from pipelines.census_batch import process_census_file
from pipelines.distributions_batch import process_distributions_file
from pipelines.derived import STEPS, Step
from pipelines.derived.true_up import post_true_up
from pipelines.file_batch import FileResult
from pipelines.inbox import (
    ARCHIVE_FOLDERS, InboxError, StagedFile, StagedInbox, archive, is_remote, is_transient, masked, stage,
)
from pipelines.progress import current as current_progress
from pipelines.store import (
    CheckFailure, Database, DatabaseBusyError, GroupAborted, calculators, payroll, rmd, rollover, runs,
)
from pipelines.store import plans as store_plans
from pipelines.store.checks import check_names, run_checks
from pipelines.limits import load_irs_limits
from pipelines.payroll_batch import process_payroll_file
from schemas.kinds import FILE_KINDS
from schemas.plan import PlanConfig, load_plan
from schemas.settings import InboxSettings

PROCESSORS = {
    "census": process_census_file, "payroll": process_payroll_file, "balances": process_balances_file,
    "distributions": process_distributions_file,
}


@dataclass(frozen=True)
class PlanFiles:
    """A plan's inbox files as (kind, path) in the order a night processes them."""

    plan_id: str
    plan_file: Path
    files: tuple[tuple[str, Path], ...]


@dataclass(frozen=True)
class Unrecognised:
    """An inbox entry no kind reads: where it is (relative to the inbox, POSIX) and why it is not read."""

    plan_id: str | None  # None for an entry outside any plan folder
    path: str
    reason: str


@dataclass(frozen=True)
class Inventory:
    """What a look at the inbox found: the plans' files and every entry no kind reads."""

    plans: list[PlanFiles]
    unrecognised: list[Unrecognised]

    @property
    def unreadable_plans(self) -> list[str]:
        """Plan folders holding entries but nothing a kind reads: the files are surely misplaced."""
        readable = {p.plan_id for p in self.plans}
        return sorted({u.plan_id for u in self.unrecognised if u.plan_id is not None} - readable)


@dataclass
class RunReport:
    run_id: str
    as_of: date
    files: list[FileResult] = field(default_factory=list)
    check_failures: list[CheckFailure] = field(default_factory=list)
    #: (plan_id, status, notices): the current RMD notices for the as-of year and the year before.
    rmd_counts: list[tuple[str, str, int]] = field(default_factory=list)
    #: (plan_id, category, leavers): the rollover-eligibility report's categories.
    rollover_counts: list[tuple[str, str, int]] = field(default_factory=list)
    #: (plan_id, status, participants): the match windows' statuses.
    window_counts: list[tuple[str, str, int]] = field(default_factory=list)
    #: (plan_id, variance lines, remitted - computed cents, excess lines, excess cents) of tonight's payroll.
    settlements: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    #: Inbox entries no kind reads (reported every run; a plan folder with nothing readable fails the run).
    unrecognised: list[Unrecognised] = field(default_factory=list)
    #: Plan folders holding entries but nothing a kind reads.
    unreadable_plans: list[str] = field(default_factory=list)
    #: (inbox-relative path, reason): remote files still being written, left for the next run.
    left_for_next_run: list[tuple[str, str]] = field(default_factory=list)
    #: The invariant checks run (``sql/checks/`` names); the failed ones are in ``check_failures``.
    checks_run: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.check_failures and all(f.status in ("posted", "skipped") for f in self.files)
                and not self.unreadable_plans)


KIND_NAMES = tuple(spec.kind for spec in FILE_KINDS)


def discover(inbox: Path, plans_dir: Path) -> list[PlanFiles]:
    """Every plan folder in the inbox with its files (``<kind>/*.csv``, kinds in processing order, each kind's
    files sorted by name)."""
    return take_inventory(inbox, plans_dir).plans


def take_inventory(inbox: Path, plans_dir: Path) -> Inventory:
    """The plans' files (``<plan>/<kind>/*.csv``), and every other entry of the inbox, each with why no kind
    reads it: a file outside a kind's folder, a folder no kind has (``Payroll/``: kinds are lower case), a file
    that is not ``.csv``, a folder inside a kind's folder. Hidden entries (``.name``) and a kind's ``processed/``
    and ``rejected/`` archive folders are not reported."""
    plans: list[PlanFiles] = []
    unrecognised: list[Unrecognised] = []

    def stray(plan_id: str | None, entry: Path, reason: str) -> None:
        unrecognised.append(Unrecognised(plan_id, entry.relative_to(inbox).as_posix(), reason))

    for plan_dir in sorted(p for p in inbox.iterdir() if not p.name.startswith(".")):
        if not plan_dir.is_dir():
            stray(None, plan_dir, "a file outside any plan folder (files go in <plan>/<kind>/)")
            continue
        files: list[tuple[str, Path]] = []
        for entry in sorted(p for p in plan_dir.iterdir() if not p.name.startswith(".")):
            if entry.is_dir() and entry.name in KIND_NAMES:
                continue
            if entry.is_dir():
                close = [k for k in KIND_NAMES if k == entry.name.lower()]
                hint = f" (did you mean {close[0]}/? kinds are lower case)" if close else ""
                stray(plan_dir.name, entry, f"a folder no kind reads{hint}; kinds: {', '.join(KIND_NAMES)}")
            else:
                stray(plan_dir.name, entry, "a file directly in the plan folder: put it in <kind>/")
        for spec in FILE_KINDS:
            for f in sorted((plan_dir / spec.kind).glob("*")):
                if f.name.startswith(".") or (f.is_dir() and f.name in ARCHIVE_FOLDERS):
                    continue
                if f.is_file() and f.suffix.lower() == ".csv":
                    files.append((spec.kind, f))
                elif f.is_dir():
                    stray(plan_dir.name, f, f"a folder inside {spec.kind}/: files are read from {spec.kind}/ itself")
                else:
                    stray(plan_dir.name, f, "not a .csv file")
        if files:
            plans.append(PlanFiles(plan_dir.name, plans_dir / f"{plan_dir.name}.toml", tuple(files)))
    return Inventory(plans, unrecognised)


def load_plans(found: list[PlanFiles], plans_dir: Path) -> dict[str, PlanConfig | None]:
    """Every plan file in ``plans_dir``, plus None for an inbox plan with no plan file (its files are
    rejected). A bad plan file raises, so a configuration error stops the run before anything posts."""
    plans: dict[str, PlanConfig | None] = {path.stem: load_plan(path) for path in sorted(plans_dir.glob("*.toml"))}
    return {**{p.plan_id: None for p in found if p.plan_id not in plans}, **plans}


@task(name="post-file", task_run_name="{plan_id}/{kind}/{path.name}", cache_policy=NO_CACHE)
def post_file(
    db: Database, kind: str, plan_id: str, plan: PlanConfig | None, path: Path, inbox: Path, run_id: str,
    limits: pl.DataFrame, as_of: date,
) -> FileResult:
    result = PROCESSORS[kind](
        db,
        plan_id=plan_id,
        plan=plan,
        path=path,
        file_name=path.relative_to(inbox).as_posix(),
        run_id=run_id,
        limits=limits,
        as_of=as_of,
    )
    line = (f"{result.file_name}: {result.outcome} (read {result.rows_read}, posted {result.rows_posted}, "
            f"rejected {result.rows_rejected})" + (f": {result.error}" if result.error else ""))
    get_run_logger().info(line)
    current_progress().advance(line)
    return result


#: The input bytes a plan's files may add up to in one :meth:`Database.group`. DuckDB holds a transaction's changes
#: in memory until it commits: a whole year's files for 250,000 people in one group took a 1,000,000-employee year to
#: 6.1 GiB, groups of 5-6 files (about 100 MB) to 2-3 GiB. A night (one file per plan) is one group at any size
#: measured: a 100,000-employee plan-year is 45 MB of files.
GROUP_MAX_BYTES = 96 * 2**20


def file_groups(files: tuple[tuple[str, Path], ...], max_bytes: int,
                size: Callable[[Path], int] = lambda p: p.stat().st_size) -> list[tuple[tuple[str, Path], ...]]:
    """A plan's files in processing order, cut into consecutive groups whose sizes add up to at most ``max_bytes``
    (a file larger than that is a group of its own).

    >>> files = tuple(("payroll", Path(f"{n}.csv")) for n in (40, 40, 30, 200, 10))
    >>> [[p.stem for _, p in g] for g in file_groups(files, 100, size=lambda p: int(p.stem))]
    [['40', '40'], ['30'], ['200'], ['10']]
    """
    groups: list[list[tuple[str, Path]]] = []
    group_bytes = 0
    for kind, path in files:
        n = size(path)
        if not groups or group_bytes + n > max_bytes:
            groups.append([])
            group_bytes = 0
        groups[-1].append((kind, path))
        group_bytes += n
    return [tuple(g) for g in groups]


def post_plan_files(
    db: Database, plan_files: PlanFiles, plan: PlanConfig | None, inbox: Path, run_id: str, limits: pl.DataFrame,
    as_of: date,
) -> list[FileResult]:
    """Post a plan's files in order, many to a transaction (:meth:`Database.group`: the write path's cost is per
    statement and per commit), in groups of at most :data:`GROUP_MAX_BYTES` of input. Should anything fail inside
    a group, it is rolled back and its files are posted again one transaction each, so a failure rejects only its
    own file; the groups before it stand, and the plan's files after a failed one wait for the next run."""
    results: list[FileResult] = []
    for files in file_groups(plan_files.files, GROUP_MAX_BYTES):
        if _plan_stopped(results):
            results.extend(_not_run(plan_files.plan_id, path, inbox) for _, path in files)
            continue
        try:
            with db.group():
                posted = _post_in_order(db, plan_files.plan_id, files, plan, inbox, run_id, limits, as_of)
        except GroupAborted as exc:  # the commit too: nothing of the group stands
            get_run_logger().warning("%s: %s; posting its files one at a time", plan_files.plan_id, exc)
            posted = _post_in_order(db, plan_files.plan_id, files, plan, inbox, run_id, limits, as_of)
        results.extend(posted)
    return results


def _plan_stopped(results: list[FileResult]) -> bool:
    """After a file fails, the plan's later files wait for the next run (their year-to-date would otherwise skip
    the failed file's amounts)."""
    return bool(results) and results[-1].status in ("failed", "not_run")


def _not_run(plan_id: str, path: Path, inbox: Path) -> FileResult:
    return FileResult(plan_id, path.relative_to(inbox).as_posix(), "not_run", None,
                      error="not processed: an earlier file of this plan failed")


def _post_in_order(
    db: Database, plan_id: str, files: tuple[tuple[str, Path], ...], plan: PlanConfig | None, inbox: Path,
    run_id: str, limits: pl.DataFrame, as_of: date,
) -> list[FileResult]:
    """Post a group's files one after another; once one fails, the rest are not run (:func:`_plan_stopped`)."""
    results: list[FileResult] = []
    for kind, path in files:
        if _plan_stopped(results):
            results.append(_not_run(plan_id, path, inbox))
            continue
        results.append(post_file(db, kind, plan_id, plan, path, inbox, run_id, limits, as_of))
    return results


@task(name="derive", task_run_name="{plan.plan_id}/{name}", cache_policy=NO_CACHE)
def derive(
    db: Database, name: str, step: Step, plan: PlanConfig, as_of: date, run_id: str, limits: pl.DataFrame
) -> list[FileResult]:
    """One derived step for one plan; logs a line per batch it posted."""
    results = step(db, plan, as_of=as_of, run_id=run_id, limits=limits)
    for result in results:
        get_run_logger().info("%s: %s (%d rows, %d notices)", result.file_name, result.status, result.rows_posted,
                              result.notices)
    return results


@task(name="post-true-up", task_run_name="{plan.plan_id}/true-up/{plan_year}", cache_policy=NO_CACHE)
def post_true_up_task(
    db: Database, plan: PlanConfig, plan_year: int, as_of: date, run_id: str, limits: pl.DataFrame
) -> FileResult:
    result = post_true_up(db, plan_id=plan.plan_id, plan=plan, plan_year=plan_year, as_of=as_of, run_id=run_id,
                          limits=limits)
    get_run_logger().info("%s: %s (%d people)", result.file_name, result.status, result.rows_posted)
    return result


@flow(name="true-up")
def true_up(plan_file: Path, plan_year: int, db_path: Path, as_of: date) -> RunReport:
    """Post one plan year's true-up on demand, whatever the date (idempotent), then run the checks."""
    plan = load_plan(plan_file)
    limits = load_irs_limits()
    report = RunReport(run_id=uuid.uuid4().hex, as_of=as_of)
    with Database(db_path) as db:
        runs.start_run(db, report.run_id, as_of)
        try:
            report.files.append(post_true_up_task(db, plan, plan_year, as_of, report.run_id, limits))
            report.check_failures = run_checks(db, report.run_id)
        except BaseException:
            runs.finish_run(db, report.run_id, "failed")
            raise
        runs.finish_run(db, report.run_id, "completed" if not report.check_failures else "failed")
    return report


def _retry_transient(task: object, task_run: object, state: State) -> bool:
    """Retry a remote inbox's I/O only when what failed may work the next time (a dropped connection, a
    timeout); a refused login or a missing folder fails at once."""
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 - the failure being classified
        return is_transient(exc)
    return False


def _key_file(options: InboxSettings) -> Path | None:
    """The SSH key for an sftp:// inbox: ``PLANADMIN_SFTP_KEY_FILE``, else ``[inbox] key_file``."""
    chosen = os.environ.get("PLANADMIN_SFTP_KEY_FILE") or options.key_file
    return Path(chosen).expanduser() if chosen else None


@dataclass(frozen=True)
class InboxRefused:
    """A remote inbox that cannot be read tonight and will not be by trying again (a refused login, an unknown
    host key, a missing folder): a value, so the task ends quietly and the flow fails with this one line."""

    message: str


@task(name="stage-inbox", cache_policy=NO_CACHE, retry_condition_fn=_retry_transient)
def stage_inbox(inbox: str, options: InboxSettings, staging: Path) -> StagedInbox | InboxRefused:
    """Copy a remote inbox's finished files to ``staging`` (with their sha256). A transient error raises, so the
    task tries again (``[inbox] retry_delays_seconds``: :func:`_with_retries`); a permanent one, or a transient
    one on the last try, is returned as :class:`InboxRefused` (the night fails in one line, no traceback)."""
    from prefect.runtime import task_run

    try:
        staged = stage(inbox, staging, quiet_seconds=options.quiet_seconds,
                       look_interval_seconds=options.look_interval_seconds, key_file=_key_file(options))
    except InboxError as exc:
        return InboxRefused(str(exc))
    except Exception as exc:
        tries = len(options.retry_delays_seconds) + 1
        if is_transient(exc) and task_run.get_run_count() >= tries:
            # (the exception's class only: a library's message may quote a host's banner or a request)
            return InboxRefused(f"inbox {masked(inbox)}: could not be reached after {tries} tries "
                                f"({type(exc).__name__}); the files stay for the next run")
        raise
    get_run_logger().info("%s: %d files staged, %d left for the next run", masked(inbox), len(staged.files),
                          len(staged.left_for_next_run))
    return staged


@task(name="archive-file", task_run_name="archive/{result.file_name}", cache_policy=NO_CACHE,
      retry_condition_fn=_retry_transient)
def archive_file(inbox: str, staged: StagedFile, result: FileResult, options: InboxSettings) -> str | None:
    """Move a handled file aside on the remote side; a file that cannot be (changed since it was staged, say)
    stays where it is, with a warning: the night's postings stand either way."""
    outcome = "rejected" if result.content_rejected else "processed"
    try:
        moved = archive(inbox, staged, outcome, result.batch_id or "none", key_file=_key_file(options))
    except InboxError as exc:
        get_run_logger().warning("%s: left in place: %s", result.file_name, exc)
        return None
    get_run_logger().info("%s: moved to %s", result.file_name, outcome)
    return moved


def business_date(scheduled: datetime, timezone: str) -> date:
    """A night's business date: the scheduled start's date in the plan administrator's time zone. A 02:00 New
    York run is that date's night though it is 07:00 UTC; a 23:00 run on the 15th is the 15th's, though UTC
    says the 16th.

    >>> from datetime import timezone as tz
    >>> business_date(datetime(2026, 1, 16, 7, 0, tzinfo=tz.utc), "America/New_York")
    datetime.date(2026, 1, 16)
    >>> business_date(datetime(2026, 1, 16, 4, 0, tzinfo=tz.utc), "America/New_York")  # 23:00 on the 15th there
    datetime.date(2026, 1, 15)
    """
    return scheduled.astimezone(ZoneInfo(timezone)).date()


def _with_retries(remote_task, options: InboxSettings):  # noqa: ANN001, ANN202 - a Prefect task
    """A remote inbox's task with the configured backoff: one retry per delay."""
    return remote_task.with_options(retries=len(options.retry_delays_seconds),
                                    retry_delay_seconds=list(options.retry_delays_seconds))


def scheduled_as_of(timezone: str) -> date:
    """The business date of this flow run's scheduled start (now, for a run nobody scheduled)."""
    from prefect.runtime import flow_run

    return business_date(flow_run.get_scheduled_start_time(), timezone)


def database_lock_name(db_path: Path) -> str:
    """The Prefect global concurrency limit (of one) that keeps two served runs off one database file."""
    return "planadmin-db-" + hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:12]


@flow(name="nightly")
def nightly(
    inbox: str, plans_dir: Path, db_path: Path, as_of: date | None = None, timezone: str = "America/New_York",
    report_dir: Path | None = None, wait_seconds: float = 0, inbox_options: InboxSettings = InboxSettings(),
) -> RunReport | State:
    """One night: fetch the inbox (when remote), post every plan's files and derived steps, run the checks,
    write the morning report. A database another run holds is waited for ``wait_seconds``, then the run fails
    (state message, no traceback)."""
    run_date = as_of or scheduled_as_of(timezone)
    with ExitStack() as held:
        if deployment_context.get_id() is not None:
            # Served runs take the database's slot first: a second one waits here, then fails clearly.
            try:
                held.enter_context(concurrency(database_lock_name(db_path), occupy=1, timeout_seconds=wait_seconds,
                                               strict=False))
            except TimeoutError:
                return Failed(message=f"database {db_path} is in use by another planadmin run: waited "
                                      f"{wait_seconds:g} s")
        try:
            return _night(inbox, plans_dir, db_path, run_date, report_dir, wait_seconds, inbox_options)
        except (DatabaseBusyError, InboxError) as exc:
            return Failed(message=str(exc))


def _night(
    inbox: str, plans_dir: Path, db_path: Path, as_of: date, report_dir: Path | None, wait_seconds: float,
    inbox_options: InboxSettings,
) -> RunReport:
    run_id = uuid.uuid4().hex
    if not is_remote(inbox):
        return _post_night(Path(inbox), None, inbox, plans_dir, db_path, as_of, report_dir, wait_seconds,
                           inbox_options, run_id)
    # A folder of this run's own under the staging folder: another run (a one-off beside a served one) never
    # empties it under this one, and the copies (participants' data) are removed when the night is over.
    with staging_folder(Path(inbox_options.staging_dir).resolve(), run_id) as staging:
        staged = _with_retries(stage_inbox, inbox_options)(inbox, inbox_options, staging)
        if isinstance(staged, InboxRefused):
            raise InboxError(staged.message)
        return _post_night(staged.local_root, staged, inbox, plans_dir, db_path, as_of, report_dir, wait_seconds,
                           inbox_options, run_id)


@contextmanager
def staging_folder(root: Path, run_id: str) -> Iterator[Path]:
    """``root/<run_id>``, held with an exclusive lock on ``root/<run_id>.lock`` for the run, removed after it. A
    run killed outright leaves its folder and an unheld lock: the next run removes such leftovers first (their
    copies are participants' data), and never a folder whose run still holds its lock."""
    root.mkdir(parents=True, exist_ok=True)
    for lock_path in root.glob("*.lock"):
        with open(lock_path, "a") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # that run is going
            shutil.rmtree(root / lock_path.stem, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
    lock_path = root / f"{run_id}.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield root / run_id
        finally:
            shutil.rmtree(root / run_id, ignore_errors=True)
            lock_path.unlink(missing_ok=True)


def _post_night(
    local_inbox: Path, staged: StagedInbox | None, inbox: str, plans_dir: Path, db_path: Path, as_of: date,
    report_dir: Path | None, wait_seconds: float, inbox_options: InboxSettings, run_id: str,
) -> RunReport:
    logger = get_run_logger()
    inventory = take_inventory(local_inbox, plans_dir)
    found = inventory.plans
    plans = load_plans(found, plans_dir)
    limits = load_irs_limits()
    report = RunReport(run_id=run_id, as_of=as_of, unrecognised=inventory.unrecognised,
                       unreadable_plans=inventory.unreadable_plans,
                       left_for_next_run=list(staged.left_for_next_run) if staged else [])
    for entry in inventory.unrecognised:
        logger.warning("%s: not read (unrecognised_file): %s", entry.path, entry.reason)
    for path, reason in report.left_for_next_run:
        logger.info("%s: left for the next run: %s", path, reason)
    with Database(db_path, wait_seconds=wait_seconds) as db:
        runs.start_run(db, report.run_id, as_of)
        try:
            configs = [c for c in plans.values() if c is not None]
            with db.transaction():  # SQL sees the rules this run uses (reports read vesting from here)
                store_plans.replace_plans(db, store_plans.plan_rows(
                    configs, {c.plan_id: plans_dir / f"{c.plan_id}.toml" for c in configs}, as_of, report.run_id))
                runs.record_unrecognised(db, report.run_id, inventory.unrecognised)
            files_by_plan = {p.plan_id: p for p in found}
            progress = current_progress()
            for plan_id in sorted(plans.keys() | files_by_plan.keys()):
                # Per plan, its files post one after another in one transaction, since each file's
                # year-to-date state starts where the previous one ended. The derived steps follow, for every
                # plan with a plan file (its inbox may be empty), unless one of its files failed tonight: the
                # year's totals and balances would miss that file's amounts.
                plan = plans.get(plan_id)
                results = []
                progress.begin(plan_id, len(files_by_plan[plan_id].files) if plan_id in files_by_plan else 0)
                if plan_id in files_by_plan:
                    results = post_plan_files(db, files_by_plan[plan_id], plan, local_inbox, report.run_id, limits,
                                              as_of)
                report.files.extend(results)
                if plan is not None and all(r.status in ("posted", "skipped", "rejected") for r in results):
                    for name, step in STEPS:
                        report.files.extend(derive(db, name, step, plan, as_of, report.run_id, limits))
                progress.end()
            progress.begin("checks", 1)
            report.check_failures = run_checks(db, report.run_id)
            report.checks_run = check_names()
            progress.advance(f"{len(report.checks_run) - len(report.check_failures)} of {len(report.checks_run)} pass")
            progress.end()
            report.rmd_counts = list(rmd.status_counts(db, as_of.year - 1, as_of.year).iter_rows())
            report.rollover_counts = list(rollover.category_counts(db).iter_rows())
            report.window_counts = list(calculators.status_counts(db).iter_rows())
            report.settlements = list(payroll.run_variances_and_excess(db, report.run_id).iter_rows())
            publish_report(db, report, report_dir)
        except BaseException:
            runs.finish_run(db, report.run_id, "failed")
            raise
        runs.finish_run(db, report.run_id, "completed" if not report.check_failures else "failed")
    for failure in report.check_failures:
        logger.error("invariant check %s failed for %d rows", failure.check, failure.rows.height)
    if staged is not None and inbox_options.archive:
        by_name = {f.relative_path: f for f in staged.files}
        for result in report.files:
            # Only a final outcome moves a file: posted (now or before) or rejected for its content. A file
            # rejected for a missing plan file stays, to be posted once the plan file is added.
            final = result.status in ("posted", "skipped", "rejected") and not result.tried_again
            if final and result.file_name in by_name:
                try:
                    _with_retries(archive_file, inbox_options)(inbox, by_name[result.file_name], result,
                                                               inbox_options)
                except Exception as exc:  # noqa: BLE001 - retries spent: the night's postings stand regardless
                    logger.warning("%s: not archived (tried again next night): %s", result.file_name,
                                   type(exc).__name__)
    return report


def publish_report(db: Database, report: RunReport, report_dir: Path | None) -> None:
    """The morning report: a Prefect markdown artifact ``nightly-<as-of>`` and, with ``report_dir``, the same as
    ``<as-of>.md`` and ``.json`` there."""
    from pipelines import morning_report

    data = morning_report.build(db, report)
    markdown = morning_report.to_markdown(data)
    create_markdown_artifact(markdown, key=f"nightly-{report.as_of.isoformat()}",
                             description=f"planadmin night of {report.as_of}")
    if report_dir is not None:
        morning_report.write(report_dir, data, markdown)


@contextmanager
def one_shot() -> Iterator[None]:
    """Settings for a flow run that is its own process (``planadmin run``, ``planadmin true-up``): no flow
    heartbeats. Heartbeats let a Prefect server notice a served deployment's run that crashed; a one-shot
    command's exit code already says so, and at the end of every flow run Prefect waits for the heartbeat
    thread's one-second sleep (measured: an empty flow run takes 1.09 s with heartbeats, 0.10 s without)."""
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def nightly_schedule(cron: str, timezone: str):  # noqa: ANN201 - a Prefect CronSchedule
    from prefect.client.schemas.schedules import CronSchedule

    return CronSchedule(cron=cron, timezone=timezone)


def ensure_database_lock(db_path: Path) -> str:
    """Create the global concurrency limit of one that serialises served runs on ``db_path`` (a run waits for
    it up to its ``wait_seconds``); returns its name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    name = database_lock_name(db_path)
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    return name


def serve_nightly(deployment: str, cron: str, timezone: str, parameters: dict) -> None:
    """Serve ``nightly`` as a deployment on this schedule until stopped (each run in its own process, with the
    flow heartbeats a served run keeps). ``parameters`` are the run's options; ``as_of`` stays unset so each run
    takes its scheduled date in ``timezone``."""
    ensure_database_lock(Path(parameters["db_path"]))
    nightly.serve(name=deployment, schedules=[nightly_schedule(cron, timezone)],
                  parameters={**parameters, "timezone": timezone}, pause_on_shutdown=False,
                  print_starting_message=True)


def deploy_nightly(deployment: str, pool: str, cron: str, timezone: str, parameters: dict, source: Path) -> str:
    """Register ``nightly`` with a work pool on a Prefect server (its workers run it from ``source``, this
    project's folder); returns the deployment id."""
    ensure_database_lock(Path(parameters["db_path"]))
    deployed = nightly.from_source(source=str(source), entrypoint="pipelines/flows.py:nightly").deploy(
        name=deployment, work_pool_name=pool, schedules=[nightly_schedule(cron, timezone)],
        parameters={**parameters, "timezone": timezone}, build=False, push=False, print_next_steps=False,
    )
    return str(deployed)
