"""Prefect flows: wiring only. The rules live in :mod:`pipelines.rules`, the I/O in :mod:`pipelines.store`.

``nightly`` discovers ``INBOX/<plan_id>/<kind>/*.csv`` for the kinds census, payroll, balances and
distributions (files in name order, so name them by date) and, per plan (in one transaction), runs one
``post-file`` task per file, in that order of kinds; then runs each derived step of
:data:`pipelines.derived.STEPS` (true-ups due by the run's as-of date, terminations dated by then, RMD notices, the rollover-eligibility
report) as a ``derive`` task. Last it runs the invariant checks in ``sql/checks/`` and counts the RMD notices
per plan and status and the leavers per plan and rollover category. Logs carry counts and file names only, never personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from pipelines.balances_batch import process_balances_file
from pipelines.census_batch import process_census_file
from pipelines.distributions_batch import process_distributions_file
from pipelines.derived import STEPS, Step
from pipelines.derived.true_up import post_true_up
from pipelines.file_batch import FileResult
from pipelines.store import CheckFailure, Database, GroupAborted, calculators, payroll, rmd, rollover, runs
from pipelines.store import plans as store_plans
from pipelines.store.checks import run_checks
from pipelines.limits import load_irs_limits
from pipelines.payroll_batch import process_payroll_file
from schemas.kinds import FILE_KINDS
from schemas.plan import PlanConfig, load_plan

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

    @property
    def ok(self) -> bool:
        return not self.check_failures and all(f.status in ("posted", "skipped") for f in self.files)


def discover(inbox: Path, plans_dir: Path) -> list[PlanFiles]:
    """Every plan folder in the inbox with its files (``<kind>/*.csv``, kinds in processing order, each kind's
    files sorted by name)."""
    found = []
    for plan_dir in sorted(p for p in inbox.iterdir() if p.is_dir()):
        files = tuple(
            (spec.kind, f)
            for spec in FILE_KINDS
            for f in sorted((plan_dir / spec.kind).glob("*"))
            if f.is_file() and f.suffix.lower() == ".csv"
        )
        if files:
            found.append(PlanFiles(plan_dir.name, plans_dir / f"{plan_dir.name}.toml", files))
    return found


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
    get_run_logger().info(
        "%s: %s (read %d, posted %d, rejected %d)%s",
        result.file_name,
        result.status,
        result.rows_read,
        result.rows_posted,
        result.rows_rejected,
        f": {result.error}" if result.error else "",
    )
    return result


def post_plan_files(
    db: Database, plan_files: PlanFiles, plan: PlanConfig | None, inbox: Path, run_id: str, limits: pl.DataFrame,
    as_of: date,
) -> list[FileResult]:
    """Post a plan's files in order, all in one transaction (:meth:`Database.group`: the write path's cost is
    per statement and per commit). Should anything fail inside it, the group is rolled back and the files are
    posted again one transaction each, so a failure rejects only its own file."""
    try:
        with db.group():
            return _post_in_order(db, plan_files, plan, inbox, run_id, limits, as_of)
    except GroupAborted as exc:
        get_run_logger().warning("%s: %s; posting its files one at a time", plan_files.plan_id, exc)
    return _post_in_order(db, plan_files, plan, inbox, run_id, limits, as_of)


def _post_in_order(
    db: Database, plan_files: PlanFiles, plan: PlanConfig | None, inbox: Path, run_id: str, limits: pl.DataFrame,
    as_of: date,
) -> list[FileResult]:
    """After a file fails, the plan's later files wait for the next run (their year-to-date would otherwise
    skip the failed file's amounts)."""
    results: list[FileResult] = []
    for kind, path in plan_files.files:
        if results and results[-1].status in ("failed", "not_run"):
            results.append(FileResult(plan_files.plan_id, path.relative_to(inbox).as_posix(), "not_run", None,
                                      error="not processed: an earlier file of this plan failed"))
            continue
        results.append(post_file(db, kind, plan_files.plan_id, plan, path, inbox, run_id, limits, as_of))
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


@flow(name="nightly")
def nightly(inbox: Path, plans_dir: Path, db_path: Path, as_of: date) -> RunReport:
    logger = get_run_logger()
    found = discover(inbox, plans_dir)
    plans = load_plans(found, plans_dir)
    limits = load_irs_limits()
    report = RunReport(run_id=uuid.uuid4().hex, as_of=as_of)
    with Database(db_path) as db:
        runs.start_run(db, report.run_id, as_of)
        try:
            configs = [c for c in plans.values() if c is not None]
            with db.transaction():  # SQL sees the rules this run uses (reports read vesting from here)
                store_plans.replace_plans(db, store_plans.plan_rows(
                    configs, {c.plan_id: plans_dir / f"{c.plan_id}.toml" for c in configs}, as_of, report.run_id))
            files_by_plan = {p.plan_id: p for p in found}
            for plan_id in sorted(plans.keys() | files_by_plan.keys()):
                # Per plan, its files post one after another in one transaction, since each file's
                # year-to-date state starts where the previous one ended. The derived steps follow, for every
                # plan with a plan file (its inbox may be empty), unless one of its files failed tonight: the
                # year's totals and balances would miss that file's amounts.
                plan = plans.get(plan_id)
                results = []
                if plan_id in files_by_plan:
                    results = post_plan_files(db, files_by_plan[plan_id], plan, inbox, report.run_id, limits, as_of)
                report.files.extend(results)
                if plan is not None and all(r.status in ("posted", "skipped", "rejected") for r in results):
                    for name, step in STEPS:
                        report.files.extend(derive(db, name, step, plan, as_of, report.run_id, limits))
            report.check_failures = run_checks(db, report.run_id)
            report.rmd_counts = list(rmd.status_counts(db, as_of.year - 1, as_of.year).iter_rows())
            report.rollover_counts = list(rollover.category_counts(db).iter_rows())
            report.window_counts = list(calculators.status_counts(db).iter_rows())
            report.settlements = list(payroll.run_variances_and_excess(db, report.run_id).iter_rows())
        except BaseException:
            runs.finish_run(db, report.run_id, "failed")
            raise
        runs.finish_run(db, report.run_id, "completed" if not report.check_failures else "failed")
    for failure in report.check_failures:
        logger.error("invariant check %s failed for %d rows", failure.check, failure.rows.height)
    return report


@contextmanager
def one_shot() -> Iterator[None]:
    """Settings for a flow run that is its own process (``planadmin run``, ``planadmin true-up``): no flow
    heartbeats. Heartbeats let a Prefect server notice a served deployment's run that crashed; a one-shot
    command's exit code already says so, and at the end of every flow run Prefect waits for the heartbeat
    thread's one-second sleep (measured: an empty flow run takes 1.09 s with heartbeats, 0.10 s without)."""
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
