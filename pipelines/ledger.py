"""The ledger gateway: the only code that reads or writes the DuckDB database.

Tables come from the DDL in ``sql/ddl/`` (one statement per file, applied in name order); seed tables from
``sql/seeds/`` are reloaded at every open so SQL users see the figures the rules use. Money crosses this
boundary as Int64 cents in polars and DECIMAL(18,2) in DuckDB. A payroll file posts in one transaction:
batch row, payroll lines, ledger entries, rejections, year-to-date totals and participant facts together.

A night may post many files in one transaction (:meth:`Ledger.group`): each file is still all or nothing, and
the high-volume append-only tables (:data:`STAGED`) are held as polars frames and appended in one bulk insert
per table, because DuckDB's write path costs per statement and per commit far more than per row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.money import hundredths_to_decimal
from pipelines.resources import CHECKS_DIR, DDL_DIR, IRS_LIMITS_CSV

# entry_id: a hash of the entry's business key, JSON-encoded so no separator can make two keys collide. The
# plan year is part of the key: a true-up for two years can be posted on the same day. A forfeiture's key also
# holds its batch: a later run on the same as-of date may forfeit money posted since (each batch's forfeitures
# are computed from what the ledger holds, so re-running never forfeits twice).
ENTRY_ID_SQL = (
    "left(sha256(to_json([entry_type, plan_id, employee_id, CAST(plan_year AS VARCHAR), "
    "CAST(effective_date AS VARCHAR), source, CASE WHEN entry_type = 'forfeiture' THEN batch_id END])), 32)"
)


#: Append-only tables whose rows a :meth:`Ledger.group` holds in memory and appends in bulk. A read flushes
#: them first unless it names the tables it reads (``reads=``), so no query ever sees a table without them.
STAGED = ("payroll_lines", "ledger", "rejections", "notices", "limit_events", "ytd_totals")
#: Held rows that trigger a flush inside a group, so memory stays bounded however many files a night holds.
STAGE_FLUSH_ROWS = 2_000_000


@dataclass
class _Staged:
    table: str
    view: str
    combine: Callable[[pl.DataFrame], pl.DataFrame] | None
    frames: list[pl.DataFrame] = field(default_factory=list)


class GroupAborted(Exception):
    """A failure inside :meth:`Ledger.group`: everything the group wrote was rolled back. The caller posts
    the same files again one transaction per file, where a failure rejects only its own file."""


_INSERT_LEDGER_SQL = f"""
INSERT INTO ledger (entry_id, plan_id, employee_id, effective_date, plan_year, entry_type, source, amount, batch_id,
                    line_number)
SELECT {ENTRY_ID_SQL}, plan_id, employee_id, effective_date, plan_year, entry_type, source, amount, batch_id,
       line_number
FROM new_entries
"""


_UPSERT_YTD_SQL = """INSERT INTO ytd_totals BY NAME SELECT * FROM new_ytd
ON CONFLICT (plan_id, employee_id, plan_year) DO UPDATE SET
    regular_deferral = ytd_totals.regular_deferral + excluded.regular_deferral,
    regular_room_used = ytd_totals.regular_room_used + excluded.regular_room_used,
    catch_up_deferral = ytd_totals.catch_up_deferral + excluded.catch_up_deferral,
    employer_match = ytd_totals.employer_match + excluded.employer_match,
    nonelective = ytd_totals.nonelective + excluded.nonelective,
    match_true_up = ytd_totals.match_true_up + excluded.match_true_up,
    annual_additions = ytd_totals.annual_additions + excluded.annual_additions,
    plan_compensation = ytd_totals.plan_compensation + excluded.plan_compensation,
    gross_pay = ytd_totals.gross_pay + excluded.gross_pay,
    hours_worked = ytd_totals.hours_worked + excluded.hours_worked,
    last_pay_date = greatest(ytd_totals.last_pay_date, excluded.last_pay_date),
    true_up_posted_on = coalesce(ytd_totals.true_up_posted_on, excluded.true_up_posted_on)
"""

#: prior_ytd's cents columns and the ytd_totals columns they come from.
_PRIOR_YTD_CENTS = {
    "ytd_regular_deferral_cents": "regular_room_used",
    "ytd_catch_up_deferral_cents": "catch_up_deferral",
    "ytd_plan_compensation_cents": "plan_compensation",
    "ytd_annual_additions_cents": "annual_additions",
    "ytd_gross_pay_cents": "gross_pay",
}


def _fold_ytd(rows: pl.DataFrame, keys: list[str], last_pay_date: str) -> pl.DataFrame:
    """One row per ``keys`` from many year-to-date rows, as the ``ytd_totals`` upsert folds them row by row:
    amounts add up, ``last_pay_date`` is the latest, the first ``true_up_posted_on`` stands."""
    dates = (last_pay_date, "true_up_posted_on")
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(
            pl.col(last_pay_date).max(),
            pl.col("true_up_posted_on").drop_nulls().first(),
            *[pl.col(c).sum() for c in rows.columns if c not in (*keys, *dates)],
        )
        .select(rows.columns)
        .cast(rows.schema)
    )


def _sum_ytd_increments(increments: pl.DataFrame) -> pl.DataFrame:
    """One row per (plan, person, year) of ``ytd_totals`` increments."""
    return _fold_ytd(increments, ["plan_id", "employee_id", "plan_year"], "last_pay_date")


class DatabaseBusyError(RuntimeError):
    """Another process holds the database file."""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    run_id: str
    plan_id: str
    file_kind: str
    file_name: str
    file_sha256: str
    rows_read: int
    rows_posted: int
    rows_rejected: int
    blank_lines: int
    status: str
    error: str | None
    started_at: datetime
    finished_at: datetime


@dataclass(frozen=True)
class ParticipantUpdates:
    """How a file's facts change a known person's participant columns. Facts dated on or after the stored
    ones win: ``replace`` columns take the file's value (an empty one clears it), ``fill`` columns take it when
    the file has one; older facts only fill columns still empty.

    The termination date and reason are one fact (a new date never keeps an old reason). ``termination``:
    ``"replace"`` (the file has the date column: empty means not terminated; without a reason column the
    stored reason stays only while the date does), ``"add"`` (a date in the file sets both, an empty one changes
    nothing: payroll), ``"keep"`` (the file says nothing about terminations).
    """

    replace: tuple[str, ...]
    fill: tuple[str, ...] = ()
    termination: str = "keep"
    has_reason: bool = True


@dataclass(frozen=True)
class CheckFailure:
    check: str
    rows: pl.DataFrame


def _cents(column: str, alias: str) -> str:
    """SQL for a DECIMAL(·,2) column as an exact BIGINT count of hundredths (the inverse of :func:`_dec`)."""
    return f"CAST({column} * 100 AS BIGINT) AS {alias}"


def _dec(column: str, precision: int = 18) -> pl.Expr:
    return hundredths_to_decimal(pl.col(column), precision)


class Ledger:
    """A connection to the planadmin database.

    Parameters
    ----------
    path : the DuckDB file; created (readable by its owner only) when missing.
    read_only : open for reporting; nothing can be written.
    """

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = Path(path)
        is_new = not self.path.exists()
        if is_new and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds participants' data: DuckDB creates it (and its WAL) under an owner-only umask.
        old_umask = os.umask(0o077)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseBusyError(
                    f"database {self.path} is in use by another process; try again when it has finished"
                ) from None
            raise
        finally:
            os.umask(old_umask)
        if is_new and not read_only:
            os.chmod(self.path, 0o600)
        #: insert SQL -> the frames waiting for it while a group is open
        self._staged: dict[str, _Staged] = {}
        self._staged_rows = 0
        self.grouped = False
        if not read_only:
            self._apply_ddl()
            self._load_seeds()

    def close(self) -> None:
        # Drop the connection object too: Prefect may keep task parameters (this object) alive until exit.
        # Closing twice is harmless.
        con = self.__dict__.pop("con", None)
        if con is not None:
            con.close()

    def _exec(self, sql: str, params: list | None = None, reads: tuple[str, ...] | None = None) -> None:
        """Run a statement to completion (DuckDB 2 keeps a result pending until it is completed). ``reads``:
        see :meth:`frame`."""
        self._flush(reads)
        self.con.execute(sql, params or [])
        self.con.complete()

    @contextmanager
    def group(self) -> Iterator[None]:
        """One transaction around many batches: committed whole at the end, rolled back whole on any error
        (then :class:`GroupAborted` is raised, or the error itself for a broken invariant or an interrupt).
        Inside it, :meth:`_in_transaction` adds to the group instead of committing, and rows for
        :data:`STAGED` tables are appended in bulk."""
        if self.grouped:
            raise AssertionError("ledger groups do not nest")
        self._exec("BEGIN TRANSACTION", reads=())
        self.grouped = True
        try:
            yield
            self._flush()
            self.grouped = False
            self._exec("COMMIT", reads=())
        except BaseException as exc:
            self._staged.clear()
            self._staged_rows = 0
            self.grouped = False
            with suppress(duckdb.Error):  # a failed COMMIT may have ended the transaction already
                self._exec("ROLLBACK", reads=())
            if isinstance(exc, Exception) and not isinstance(exc, (AssertionError, GroupAborted)):
                # e.g. the closing bulk insert or the commit failed: the caller retries file by file, as for any
                # other failure. No chained cause: its message may quote file content, and Prefect logs it.
                raise GroupAborted(f"the group's transaction failed ({type(exc).__name__})") from None
            raise

    def _stage(self, table: str, view: str, frame: pl.DataFrame, sql: str,
               combine: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> None:
        """Run ``sql`` (a write into ``table`` from ``view``) over ``frame`` now, or inside a group with every
        other frame staged for the same statement (``combine`` folds them into one frame first: an upsert
        must not meet one key twice)."""
        if frame.height == 0:
            return
        if not self.grouped:
            with self._visible(view, frame):
                self._exec(sql, reads=())
            return
        staged = self._staged.setdefault(sql, _Staged(table, view, combine))
        if combine is None:
            staged.frames.append(frame)
        else:  # folded as it comes, so what a group holds stays one row per key
            self._staged_rows -= sum(f.height for f in staged.frames)
            frame = combine(pl.concat([*staged.frames, frame], how="diagonal_relaxed"))
            staged.frames = [frame]
        self._staged_rows += frame.height
        if self._staged_rows >= STAGE_FLUSH_ROWS:
            self._flush()

    def _staged_frames(self, table: str) -> list[pl.DataFrame]:
        """The frames a group holds for ``table`` (not yet in the database)."""
        return [frame for staged in self._staged.values() if staged.table == table for frame in staged.frames]

    def _flush(self, reads: tuple[str, ...] | None = None) -> None:
        """Write the staged frames of the tables in ``reads`` (None: every table), one statement each."""
        if not self._staged:
            return
        for sql, staged in list(self._staged.items()):
            if reads is not None and staged.table not in reads:
                continue
            del self._staged[sql]
            self._staged_rows -= sum(f.height for f in staged.frames)
            with self._visible(staged.view, pl.concat(staged.frames, how="diagonal_relaxed")):
                self._exec(sql, reads=())

    @contextmanager
    def _visible(self, name: str, frame: pl.DataFrame) -> Iterator[None]:
        """Make a polars frame queryable as ``name`` (through Arrow, no copy into the database) for a block."""
        self.con.register(name, frame.to_arrow())
        try:
            yield
        finally:
            self.con.unregister(name)

    def _append(self, table: str, frame: pl.DataFrame) -> None:
        """Bulk-append a frame (columns named as the table's) through Arrow; nothing for an empty frame. Rows
        for a :data:`STAGED` table wait for the group's bulk insert."""
        if frame.height == 0:
            return
        sql = f"INSERT INTO {table} BY NAME SELECT * FROM incoming"
        if table in STAGED:
            self._stage(table, "incoming", frame, sql)
            return
        with self._visible("incoming", frame):
            self._exec(sql, reads=())

    def _rows(self, sql: str, params: list | None = None, reads: tuple[str, ...] | None = None) -> list[tuple]:
        self._flush(reads)
        return self.con.execute(sql, params or []).fetchall()

    def frame(self, sql: str, params: list | None = None, reads: tuple[str, ...] | None = None) -> pl.DataFrame:
        """A query's whole result as a polars frame (via Arrow). Staged rows are appended first: all of them,
        or with ``reads`` (the tables the query reads, views expanded) only those of the tables named."""
        self._flush(reads)
        return pl.from_arrow(self.con.sql(sql, params=params or None).to_arrow_table())

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------------------
    def _apply_ddl(self) -> None:
        for ddl in sorted(DDL_DIR.glob("*.sql")):
            self._exec(ddl.read_text(encoding="utf-8"))

    def _load_seeds(self) -> None:
        self._exec(
            """
            CREATE OR REPLACE TABLE irs_limits AS
            SELECT year, elective_deferral_402g, catchup_50plus, catchup_60_63, annual_additions_415c,
                   compensation_401a17, hce_threshold, key_employee_threshold,
                   roth_catchup_prior_year_wage_threshold, source
            FROM read_csv(?, header = true, columns = {
                'year': 'INTEGER', 'elective_deferral_402g': 'DECIMAL(18,2)', 'catchup_50plus': 'DECIMAL(18,2)',
                'catchup_60_63': 'DECIMAL(18,2)', 'annual_additions_415c': 'DECIMAL(18,2)',
                'compensation_401a17': 'DECIMAL(18,2)', 'hce_threshold': 'DECIMAL(18,2)',
                'key_employee_threshold': 'DECIMAL(18,2)',
                'roth_catchup_prior_year_wage_threshold': 'DECIMAL(18,2)', 'source': 'VARCHAR'})
            ORDER BY year
            """,
            [str(IRS_LIMITS_CSV)],
        )

    # -- runs -----------------------------------------------------------------------------------------------
    def start_run(self, run_id: str, as_of: date) -> None:
        self._exec(
            "INSERT INTO runs VALUES (?, ?, now()::TIMESTAMP, NULL, 'running')", [run_id, as_of]
        )

    def finish_run(self, run_id: str, status: str) -> None:
        # runs is an operational log, not the ledger: its status moves from running to completed/failed.
        self._exec(
            "UPDATE runs SET finished_at = now()::TIMESTAMP, status = ? WHERE run_id = ?", [status, run_id]
        )

    # -- reads ----------------------------------------------------------------------------------------------
    def last_outcome(self, plan_id: str, file_kind: str, file_sha256: str) -> tuple[str, str, str | None] | None:
        """(batch_id, status, file-level reason code) of the latest batch for this content and kind, if any."""
        rows = self._rows(
            """
            SELECT b.batch_id, b.status, any_value(r.reason_code) AS reason_code
            FROM batches b
            LEFT JOIN rejections r ON r.batch_id = b.batch_id AND r.line_number IS NULL
            WHERE b.plan_id = ? AND b.file_kind = ? AND b.file_sha256 = ?
            GROUP BY b.batch_id, b.status, b.started_at
            ORDER BY b.status = 'posted' DESC, b.started_at DESC, b.batch_id DESC
            LIMIT 1
            """,
            [plan_id, file_kind, file_sha256],
            reads=("batches", "rejections"),
        )
        return rows[0] if rows else None

    def attempts(self, plan_id: str, file_kind: str, file_sha256: str) -> int:
        return self._rows(
            "SELECT count(*) FROM batches WHERE plan_id = ? AND file_kind = ? AND file_sha256 = ?",
            [plan_id, file_kind, file_sha256],
            reads=("batches",),
        )[0][0]

    def prior_ytd(self, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
        """Year-to-date totals already posted for the (employee_id, plan_year) pairs in ``keys``, in cents
        (see ``pipelines.rules.contributions.PRIOR_YTD_SCHEMA``), plus ``ytd_gross_pay_cents``,
        ``ytd_last_pay_date`` and ``true_up_posted_on`` (including increments a group holds)."""
        wanted = keys.select("employee_id", pl.col("plan_year").cast(pl.Int32)).unique()
        with self._visible("wanted_keys", wanted):
            stored = self.frame(
                f"""
                SELECT t.employee_id, t.plan_year::INTEGER AS plan_year,
                       {", ".join(_cents(f"t.{column}", name) for name, column in _PRIOR_YTD_CENTS.items())},
                       t.last_pay_date AS ytd_last_pay_date,
                       t.true_up_posted_on
                FROM ytd_totals t
                SEMI JOIN wanted_keys k ON t.employee_id = k.employee_id AND t.plan_year = k.plan_year
                WHERE t.plan_id = ?
                """,
                [plan_id],
                reads=(),  # the staged increments are added below, in memory
            )
        staged = self._staged_frames("ytd_totals")
        if not staged:
            return stored
        held = (
            pl.concat(staged, how="diagonal_relaxed")
            .filter(pl.col("plan_id") == plan_id)
            .with_columns(pl.col("plan_year").cast(pl.Int32))
            .join(wanted, on=["employee_id", "plan_year"], how="semi")
            .select(
                "employee_id",
                "plan_year",
                *[(pl.col(column) * 100).cast(pl.Int64).alias(name) for name, column in _PRIOR_YTD_CENTS.items()],
                pl.col("last_pay_date").alias("ytd_last_pay_date"),
                "true_up_posted_on",
            )
        )
        # The stored row first: its true-up date wins, as coalesce(stored, new) does in the upsert.
        both = pl.concat([stored, held.cast(stored.schema)])
        return _fold_ytd(both, ["employee_id", "plan_year"], "ytd_last_pay_date")

    def already_posted(self, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
        """The (employee_id, pay_date) pairs of ``keys`` that payroll_lines already holds for the plan
        (including lines a group holds for it)."""
        if keys.height == 0:
            return keys.select("employee_id", "pay_date").clear()
        wanted = keys.select("employee_id", "pay_date").unique()
        low, high = wanted["pay_date"].min(), wanted["pay_date"].max()
        with self._visible("wanted_keys", wanted):
            # The pay_date range lets DuckDB's zone maps skip history outside the file's dates.
            stored = self.frame(
                """
                SELECT DISTINCT p.employee_id, p.pay_date
                FROM payroll_lines p
                SEMI JOIN wanted_keys k ON p.employee_id = k.employee_id AND p.pay_date = k.pay_date
                WHERE p.plan_id = ? AND p.pay_date BETWEEN ? AND ?
                """,
                [plan_id, low, high],
                reads=(),  # the staged lines are matched below, in memory
            )
        in_range = (pl.col("plan_id") == plan_id) & pl.col("pay_date").is_between(low, high)
        staged = [f.filter(in_range).select("employee_id", "pay_date") for f in self._staged_frames("payroll_lines")]
        held = pl.concat([stored, *staged]).join(wanted, on=["employee_id", "pay_date"], how="semi")
        return held.unique().sort("employee_id", "pay_date")

    # -- writes ---------------------------------------------------------------------------------------------
    def _insert_batch(self, b: BatchRecord) -> None:
        self._exec(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                b.batch_id, b.run_id, b.plan_id, b.file_kind, b.file_name, b.file_sha256, b.rows_read,
                b.rows_posted, b.rows_rejected, b.blank_lines, b.status, b.error, b.started_at, b.finished_at,
            ],
            reads=(),
        )

    @staticmethod
    def _from_file(b: BatchRecord) -> list[pl.Expr]:
        return [pl.lit(b.batch_id).alias("batch_id"), pl.lit(b.plan_id).alias("plan_id"),
                pl.lit(b.file_name).alias("file_name")]

    def _insert_notices(self, b: BatchRecord, notices: pl.DataFrame) -> None:
        self._append("notices", notices.select(
            *self._from_file(b), pl.col("line_number").cast(pl.Int32), "employee_id", "code", "message"
        ))

    def _insert_rejections(self, b: BatchRecord, rejections: pl.DataFrame) -> None:
        self._append("rejections", rejections.select(
            *self._from_file(b), pl.col("line_number").cast(pl.Int32), "employee_id", "column_name", "value",
            "reason_code", "reason",
        ))

    def record_rejected_file(self, batch: BatchRecord, rejection: pl.DataFrame) -> None:
        """A whole file rejected: its batch row and the file-level rejection, in one transaction."""
        self._in_transaction(lambda: (self._insert_batch(batch), self._insert_rejections(batch, rejection)))

    def post_batch(
        self,
        batch: BatchRecord,
        contributions: pl.DataFrame,
        entries: pl.DataFrame,
        ytd: pl.DataFrame,
        rejections: pl.DataFrame,
        notices: pl.DataFrame,
        events: pl.DataFrame,
        payroll_facts: pl.DataFrame,
        participant_updates: ParticipantUpdates,
    ) -> None:
        """Post an accepted payroll file in one transaction (all or nothing). ``payroll_facts``: one row per
        person (participant columns, ``ownership_bp``, ``facts_as_of``)."""
        self._in_transaction(
            lambda: self._post(
                batch, contributions, entries, ytd, rejections, notices, events, payroll_facts, participant_updates
            )
        )

    @staticmethod
    def _termination_sets(updates: ParticipantUpdates, newer: str) -> list[str]:
        """SET clauses for the termination date and reason, kept together (see :class:`ParticipantUpdates`)."""
        new_date, old_date = "excluded.termination_date", "participants.termination_date"
        new_reason, old_reason = "excluded.termination_reason", "participants.termination_reason"
        if updates.termination == "keep":
            return []
        if updates.termination == "add":
            takes = f"{new_date} IS NOT NULL AND ({newer} OR {old_date} IS NULL)"
            return [
                f"termination_date = CASE WHEN {takes} THEN {new_date} ELSE {old_date} END",
                f"termination_reason = CASE WHEN {takes} THEN {new_reason} ELSE {old_reason} END",
            ]
        if updates.termination != "replace":
            raise ValueError(f"unknown termination update {updates.termination!r}")
        takes = f"{newer} OR {old_date} IS NULL"
        reason = new_reason if updates.has_reason else (
            f"CASE WHEN {new_date} IS NOT DISTINCT FROM {old_date} THEN {old_reason} END"
        )
        return [
            f"termination_date = CASE WHEN {takes} THEN {new_date} ELSE {old_date} END",
            f"termination_reason = CASE WHEN {takes} THEN {reason} ELSE {old_reason} END",
        ]

    def _upsert_participants(self, b: BatchRecord, facts: pl.DataFrame, updates: ParticipantUpdates) -> None:
        """Insert new people; for known ones apply ``updates`` column by column (see
        :class:`ParticipantUpdates`): facts dated on or after the stored ones win, older facts only fill gaps."""
        facts = facts.with_columns(
            pl.lit(b.plan_id).alias("plan_id"), pl.lit(b.batch_id).alias("updated_batch_id"),
            pl.col("first_hire_date" if "first_hire_date" in facts.columns else "hire_date").alias("first_hire_date"),
        )
        newer = "excluded.facts_as_of >= participants.facts_as_of"
        sets = [f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE participants.{c} END" for c in updates.replace]
        sets += [
            f"{c} = CASE WHEN {newer} THEN coalesce(excluded.{c}, participants.{c}) "
            f"ELSE coalesce(participants.{c}, excluded.{c}) END"
            for c in updates.fill
        ]
        sets += self._termination_sets(updates, newer)
        sets += [
            "first_hire_date = least(excluded.first_hire_date, participants.first_hire_date)",
            "facts_as_of = greatest(excluded.facts_as_of, participants.facts_as_of)",
            "updated_batch_id = excluded.updated_batch_id",
        ]
        with self._visible("new_facts", facts):
            self._exec(
                f"""
                INSERT INTO participants BY NAME SELECT * FROM new_facts
                ON CONFLICT (plan_id, employee_id) DO UPDATE SET {", ".join(sets)}
                """,
                reads=(),
            )

    def _in_transaction(self, work) -> None:
        """``work`` in its own transaction, or as part of the open :meth:`group` (a failure there can leave
        part of ``work`` written: the group's rollback undoes it, see :meth:`group`)."""
        if self.grouped:
            work()
            return
        self._exec("BEGIN TRANSACTION", reads=())
        try:
            work()
        except BaseException:
            self._exec("ROLLBACK", reads=())
            raise
        self._exec("COMMIT", reads=())

    def _post(
        self,
        b: BatchRecord,
        contributions: pl.DataFrame,
        entries: pl.DataFrame,
        ytd: pl.DataFrame,
        rejections: pl.DataFrame,
        notices: pl.DataFrame,
        events: pl.DataFrame,
        payroll_facts: pl.DataFrame,
        participant_updates: ParticipantUpdates,
    ) -> None:
        self._insert_batch(b)
        plan, batch_id = pl.lit(b.plan_id), pl.lit(b.batch_id)
        lines = contributions.select(
            plan.alias("plan_id"),
            "employee_id",
            "pay_date",
            "plan_year",
            batch_id.alias("batch_id"),
            pl.col("line_number").cast(pl.Int32),
            _dec("gross_pay_cents").alias("gross_pay"),
            _dec("plan_compensation_cents").alias("plan_compensation"),
            _dec("counted_compensation_cents").alias("counted_compensation"),
            _dec("pretax_deferral_bp", 5).alias("pretax_deferral_pct"),
            _dec("roth_deferral_bp", 5).alias("roth_deferral_pct"),
            _dec("pretax_elected_cents").alias("pretax_elected"),
            _dec("roth_elected_cents").alias("roth_elected"),
            _dec("not_deferred_cents").alias("not_deferred"),
            _dec("catch_up_limit_cents").alias("catch_up_limit"),
            _dec("prior_year_wages_cents").alias("prior_year_wages_used"),
            "is_roth_catch_up_only",
            _dec("hours_worked_hundredths", 9).alias("hours_worked"),
            _dec("prior_year_fica_wages_cents").alias("prior_year_fica_wages"),
            _dec("ownership_bp", 5).alias("ownership_pct"),
        )
        self._append("payroll_lines", lines)

        self._insert_ledger(b, entries)

        self._add_to_ytd(b.plan_id, ytd)

        facts = payroll_facts.with_columns(_dec("ownership_bp", 5).alias("ownership_pct")).drop("ownership_bp")
        self._upsert_participants(b, facts, participant_updates)
        self._insert_rejections(b, rejections)
        self._insert_notices(b, notices)
        self._insert_limit_events(b, events)

    def _add_to_ytd(self, plan_id: str, ytd: pl.DataFrame, true_up_posted_on: date | None = None) -> None:
        """Add a batch's per person-year amounts (cents; absent columns count 0) to ``ytd_totals``."""
        money = ("regular_deferral", "regular_room_used", "catch_up_deferral", "match", "nonelective", "match_true_up",
                 "annual_additions", "plan_compensation", "gross_pay")
        names = {"match": "employer_match"}
        increments = ytd.select(
            pl.lit(plan_id).alias("plan_id"),
            "employee_id",
            "plan_year",
            *[
                (_dec(f"{m}_cents") if f"{m}_cents" in ytd.columns else pl.lit(0).cast(pl.Decimal(18, 2)))
                .alias(names.get(m, m))
                for m in money
            ],
            (_dec("hours_worked_hundredths", 12) if "hours_worked_hundredths" in ytd.columns
             else pl.lit(0).cast(pl.Decimal(12, 2))).alias("hours_worked"),
            pl.col("last_pay_date") if "last_pay_date" in ytd.columns else pl.lit(None, pl.Date).alias("last_pay_date"),
            pl.lit(true_up_posted_on, pl.Date).alias("true_up_posted_on"),
        )
        self._stage("ytd_totals", "new_ytd", increments, _UPSERT_YTD_SQL, combine=_sum_ytd_increments)

    def _insert_ledger(self, b: BatchRecord, entries: pl.DataFrame, entry_type: str = "contribution") -> None:
        """Append entries (``employee_id, effective_date, plan_year, source, amount_cents, line_number``, and
        ``entry_type`` when they are not all of type ``entry_type``)."""
        ledger_rows = entries.select(
            pl.lit(b.plan_id).alias("plan_id"),
            "employee_id",
            "effective_date",
            pl.col("plan_year").cast(pl.Int32),
            pl.col("entry_type") if "entry_type" in entries.columns else pl.lit(entry_type).alias("entry_type"),
            "source",
            _dec("amount_cents").alias("amount"),
            pl.lit(b.batch_id).alias("batch_id"),
            pl.col("line_number").cast(pl.Int32),
        )
        self._stage("ledger", "new_entries", ledger_rows, _INSERT_LEDGER_SQL)

    def _insert_limit_events(self, b: BatchRecord, events: pl.DataFrame) -> None:
        self._append("limit_events", events.select(
            pl.lit(b.plan_id).alias("plan_id"),
            "employee_id",
            "plan_year",
            "limit_name",
            "reached_on",
            _dec("limit_cents").alias("limit_amount"),
            "source",
            _dec("amount_cents").alias("amount"),
            pl.lit(b.batch_id).alias("batch_id"),
            pl.col("line_number").cast(pl.Int32),
        ))

    # -- true-up --------------------------------------------------------------------------------------------
    def pending_true_up_years(self, plan_id: str) -> list[int]:
        """Plan years with someone whose true-up has not been computed yet."""
        rows = self._rows(
            "SELECT DISTINCT plan_year FROM ytd_totals WHERE plan_id = ? AND true_up_posted_on IS NULL ORDER BY 1",
            [plan_id],
        )
        return [r[0] for r in rows]

    def true_up_candidates(self, plan_id: str, plan_year: int) -> pl.DataFrame:
        """The year's totals (cents) for everyone whose true-up is still to be computed, with the termination
        date that applies to the year (see ``pipelines.rules.true_up.ANNUAL_SCHEMA``): the latest known one,
        unless a later rehire ended it before 31 December of the year."""
        return self.frame(
            f"""
            SELECT t.employee_id, t.plan_year::INTEGER AS plan_year,
                   {_cents("t.plan_compensation", "plan_compensation_cents")},
                   {_cents("t.regular_deferral", "regular_deferral_cents")},
                   {_cents("t.catch_up_deferral", "catch_up_deferral_cents")},
                   {_cents("t.employer_match", "match_cents")},
                   {_cents("t.annual_additions", "annual_additions_cents")},
                   {_cents("t.hours_worked", "hours_worked_hundredths")},
                   CASE WHEN p.termination_date >= p.hire_date OR p.hire_date > make_date(t.plan_year, 12, 31)
                        THEN p.termination_date END AS termination_date
            FROM ytd_totals t
            LEFT JOIN participants p USING (plan_id, employee_id)
            WHERE t.plan_id = ? AND t.plan_year = ? AND t.true_up_posted_on IS NULL
            ORDER BY t.employee_id
            """,
            [plan_id, plan_year],
        )

    def count_batches(self, plan_id: str, file_name: str) -> int:
        return self._rows("SELECT count(*) FROM batches WHERE plan_id = ? AND file_name = ?", [plan_id, file_name])[0][0]

    def post_true_up(
        self, b: BatchRecord, results: pl.DataFrame, entries: pl.DataFrame, events: pl.DataFrame, posted_on: date
    ) -> None:
        """Record a year's true-up computations, post the amounts and mark the people done: one transaction."""

        def work() -> None:
            self._insert_batch(b)
            rows = results.select(
                pl.lit(b.plan_id).alias("plan_id"),
                "employee_id",
                "plan_year",
                _dec("plan_compensation_cents").alias("annual_compensation"),
                _dec("counted_compensation_cents").alias("counted_compensation"),
                _dec("matchable_deferral_cents").alias("matchable_deferral"),
                _dec("formula_match_cents").alias("formula_match"),
                _dec("match_cents").alias("period_match"),
                _dec("reduced_415c_cents").alias("reduced_415c"),
                _dec("true_up_cents").alias("true_up"),
                "ineligible_reason",
                pl.lit(posted_on, pl.Date).alias("posted_on"),
                pl.lit(b.batch_id).alias("batch_id"),
            )
            self._append("true_ups", rows)
            self._insert_ledger(b, entries)
            self._add_to_ytd(
                b.plan_id,
                results.select(
                    "employee_id",
                    "plan_year",
                    pl.col("true_up_cents").alias("match_true_up_cents"),
                    pl.col("true_up_cents").alias("annual_additions_cents"),
                ),
                true_up_posted_on=posted_on,
            )
            self._insert_limit_events(b, events)

        self._in_transaction(work)

    # -- census -------------------------------------------------------------------------------------------
    def post_census(
        self, b: BatchRecord, rows: pl.DataFrame, updates: ParticipantUpdates, rejections: pl.DataFrame
    ) -> None:
        """A census file's accepted rows (participant columns, ``ownership_bp``, ``facts_as_of``,
        ``line_number``) into ``census_lines`` and ``participants``, with its
        batch and rejections: one transaction."""
        lines = rows.with_columns(
            pl.lit(b.plan_id).alias("plan_id"),
            pl.lit(b.batch_id).alias("batch_id"),
            pl.col("line_number").cast(pl.Int32),
            _dec("ownership_bp", 5).alias("ownership_pct"),
        ).drop("ownership_bp")
        facts = lines.sort("line_number").drop("plan_id", "batch_id", "line_number")

        def work() -> None:
            self._insert_batch(b)
            self._append("census_lines", lines)
            self._upsert_participants(b, facts, updates)
            self._insert_rejections(b, rejections)

        self._in_transaction(work)

    def known_participants(self, plan_id: str, employee_ids: pl.Series) -> pl.Series:
        """The ids among ``employee_ids`` that ``participants`` holds for the plan."""
        with self._visible("wanted_ids", employee_ids.unique().to_frame("employee_id")):
            return self.frame(
                "SELECT p.employee_id FROM participants p SEMI JOIN wanted_ids w USING (employee_id) "
                "WHERE p.plan_id = ?",
                [plan_id],
            )["employee_id"]

    # -- balance statements ---------------------------------------------------------------------------------
    def latest_statements(self, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
        """Per (employee_id, source) of ``keys``: the newest imported statement's date
        (``latest_statement_date``) and the newest forfeiture's (``latest_forfeiture_date``), either may be null."""
        with self._visible("wanted_keys", keys.select("employee_id", "source").unique()):
            return self.frame(
                """
                WITH dated AS (
                    SELECT employee_id, source, as_of_date AS statement_day, NULL::DATE AS forfeiture_day
                    FROM balance_statements WHERE plan_id = ?
                    UNION ALL
                    SELECT employee_id, source, NULL, effective_date FROM ledger
                    WHERE plan_id = ? AND entry_type = 'forfeiture'
                )
                SELECT d.employee_id, d.source, max(d.statement_day) AS latest_statement_date,
                       max(d.forfeiture_day) AS latest_forfeiture_date
                FROM dated d
                SEMI JOIN wanted_keys k ON d.employee_id = k.employee_id AND d.source = k.source
                GROUP BY ALL
                """,
                [plan_id, plan_id],
            )

    def balances_on(self, plan_id: str, keys: pl.DataFrame) -> pl.DataFrame:
        """Per (employee_id, source, as_of_date) of ``keys``: the ledger's balance from entries dated on or
        before that day (``ledger_balance_cents``) and whether there are any (``has_entries``)."""
        with self._visible("wanted_keys", keys.select("employee_id", "source", "as_of_date").unique()):
            return self.frame(
                f"""
                SELECT k.employee_id, k.source, k.as_of_date,
                       {_cents("sum(l.amount)", "ledger_balance_cents")}, true AS has_entries
                FROM wanted_keys k
                JOIN ledger l
                  ON l.employee_id = k.employee_id AND l.source = k.source AND l.effective_date <= k.as_of_date
                WHERE l.plan_id = ?
                GROUP BY ALL
                """,
                [plan_id],
            )

    def post_balances(self, b: BatchRecord, statements: pl.DataFrame, rejections: pl.DataFrame) -> None:
        """A balances file: its statements, the ledger entries that make the ledger agree with them, its
        rejections and batch row, in one transaction."""
        entries = statements.filter(pl.col("amount_cents") != 0).select(
            "employee_id",
            pl.col("as_of_date").alias("effective_date"),
            pl.col("as_of_date").dt.year().alias("plan_year"),
            "entry_type",
            "source",
            "amount_cents",
            "line_number",
        )
        rows = statements.select(
            pl.lit(b.plan_id).alias("plan_id"),
            "employee_id",
            "source",
            "as_of_date",
            _dec("statement_balance_cents").alias("statement_balance"),
            _dec("ledger_balance_cents").alias("ledger_balance"),
            _dec("amount_cents").alias("amount"),
            "entry_type",
            pl.lit(b.batch_id).alias("batch_id"),
            pl.col("line_number").cast(pl.Int32),
        )

        def work() -> None:
            self._insert_batch(b)
            self._append("balance_statements", rows)
            self._insert_ledger(b, entries)
            self._insert_rejections(b, rejections)

        self._in_transaction(work)

    # -- terminations ---------------------------------------------------------------------------------------
    #: A termination dated before the person's (latest) hire date is over: they were rehired since.
    _IN_FORCE = "CASE WHEN p.termination_date >= p.hire_date THEN {} END"

    def pending_terminations(self, plan_id: str, as_of: date) -> pl.DataFrame:
        """People with a termination in force dated on or before ``as_of``, no processed termination (a later
        change to a processed one is reported instead: see :meth:`termination_changes`) and some payroll or
        money on record here (until then there is nothing to vest, and statements may still come), with the date
        of their earliest ledger entry (``first_entry_date``, null when there is none) and whether any payroll
        of theirs was posted (``has_payroll``)."""
        return self.frame(
            """
            WITH pending AS (
                SELECT p.employee_id, p.date_of_birth, p.hire_date, p.first_hire_date, p.termination_date,
                       p.termination_reason, p.prior_vesting_years
                FROM participants p
                ANTI JOIN (SELECT employee_id FROM terminations WHERE plan_id = ?) d USING (employee_id)
                WHERE p.plan_id = ? AND p.termination_date <= ? AND p.termination_date >= p.hire_date
            ),
            first_entries AS (
                SELECT l.employee_id, min(l.effective_date) AS first_entry_date
                FROM ledger l SEMI JOIN pending USING (employee_id)
                WHERE l.plan_id = ?
                GROUP BY ALL
            ),
            on_payroll AS (
                SELECT DISTINCT employee_id FROM ytd_totals SEMI JOIN pending USING (employee_id) WHERE plan_id = ?
            )
            SELECT p.*, f.first_entry_date, o.employee_id IS NOT NULL AS has_payroll
            FROM pending p
            LEFT JOIN first_entries f USING (employee_id)
            LEFT JOIN on_payroll o USING (employee_id)
            -- someone with neither payroll nor money here waits: their statements may come on a later night
            WHERE f.first_entry_date IS NOT NULL OR o.employee_id IS NOT NULL
            ORDER BY p.employee_id
            """,
            [plan_id, plan_id, as_of, plan_id, plan_id],
        )

    def termination_changes(self, plan_id: str) -> pl.DataFrame:
        """Processed terminations the participant facts no longer agree with, not reported yet: the date or
        reason changed (a correction, or a new termination after a rehire), or the termination is no longer in
        force (``current_termination_date`` null: withdrawn, or a later hire date)."""
        current_date = self._IN_FORCE.format("p.termination_date")
        current_reason = self._IN_FORCE.format("p.termination_reason")
        return self.frame(
            f"""
            WITH changed AS (
                SELECT d.employee_id, d.termination_date AS processed_date,
                       d.termination_reason AS processed_reason, d.forfeited_amount,
                       {current_date} AS current_termination_date,
                       {current_reason} AS current_termination_reason
                FROM terminations d
                JOIN participants p ON p.plan_id = d.plan_id AND p.employee_id = d.employee_id
                WHERE d.plan_id = ?
                  AND ({current_date} IS DISTINCT FROM d.termination_date
                       OR {current_reason} IS DISTINCT FROM d.termination_reason)
            )
            SELECT c.*
            FROM changed c
            WHERE NOT EXISTS (
                SELECT 1 FROM termination_reports r
                WHERE r.plan_id = ? AND r.employee_id = c.employee_id AND r.processed_date = c.processed_date
                  AND r.current_termination_date IS NOT DISTINCT FROM c.current_termination_date
                  AND r.current_termination_reason IS NOT DISTINCT FROM c.current_termination_reason
            )
            ORDER BY c.employee_id
            """,
            [plan_id, plan_id],
        )

    def forfeitable_since_processing(self, plan_id: str) -> pl.DataFrame:
        """For each processed termination still in force and never reported changed, per employer source: the
        recorded vested percent (``vested_bp``); the money subject to it (``subject_cents``: contributions for
        plan years up to the termination's, such as the final paycheck and the year-end true-up; opening
        balances whenever imported; earnings dated on or before processing, since later earnings are the
        person's own); what was forfeited so far (``forfeited_cents``) and the source's balance
        (``balance_cents``)."""
        return self.frame(
            f"""
            WITH in_force AS (
                SELECT t.employee_id, t.termination_date, t.processed_on, t.vested_pct
                FROM terminations t
                JOIN participants p ON p.plan_id = t.plan_id AND p.employee_id = t.employee_id
                WHERE t.plan_id = ? AND p.termination_date = t.termination_date
                  AND p.termination_date >= p.hire_date
                  AND p.termination_reason IS NOT DISTINCT FROM t.termination_reason
                  AND t.vested_pct < 100
                  AND NOT EXISTS (SELECT 1 FROM termination_reports r WHERE r.plan_id = t.plan_id
                                  AND r.employee_id = t.employee_id AND r.processed_date = t.termination_date)
            )
            SELECT f.employee_id, f.termination_date, l.source, {_cents("any_value(f.vested_pct)", "vested_bp")},
                   {_cents("coalesce(sum(l.amount) FILTER (WHERE "
                           "(l.entry_type = 'contribution' AND l.plan_year <= year(f.termination_date)) "
                           "OR l.entry_type = 'opening_balance' "
                           "OR (l.entry_type = 'earnings' AND l.effective_date <= f.processed_on)), 0)",
                           "subject_cents")},
                   {_cents("coalesce(-sum(l.amount) FILTER (WHERE l.entry_type = 'forfeiture'), 0)", "forfeited_cents")},
                   {_cents("sum(l.amount)", "balance_cents")}
            FROM in_force f
            JOIN ledger l ON l.employee_id = f.employee_id
            WHERE l.plan_id = ? AND l.source IN ('match', 'match_true_up', 'nonelective')
            GROUP BY f.employee_id, f.termination_date, l.source
            ORDER BY ALL
            """,
            [plan_id, plan_id],
        )

    def employer_balances(self, plan_id: str, employee_ids: pl.Series) -> pl.DataFrame:
        """Each person's ledger balance per employer source (all entry types: contributions and earnings)."""
        with self._visible("wanted_ids", employee_ids.unique().to_frame("employee_id")):
            return self.frame(
                f"""
                SELECT l.employee_id, l.source, {_cents("sum(l.amount)", "balance_cents")}
                FROM ledger l SEMI JOIN wanted_ids w USING (employee_id)
                WHERE l.plan_id = ? AND l.source IN ('match', 'match_true_up', 'nonelective')
                GROUP BY ALL
                ORDER BY ALL
                """,
                [plan_id],
            )

    def hours_by_year(self, plan_id: str, employee_ids: pl.Series) -> pl.DataFrame:
        """Payroll hours per person and calendar year (``hours_worked_hundredths``)."""
        with self._visible("wanted_ids", employee_ids.unique().to_frame("employee_id")):
            return self.frame(
                f"""
                SELECT t.employee_id, t.plan_year::INTEGER AS plan_year,
                       {_cents("t.hours_worked", "hours_worked_hundredths")}
                FROM ytd_totals t SEMI JOIN wanted_ids w USING (employee_id)
                WHERE t.plan_id = ?
                """,
                [plan_id],
            )

    def post_terminations(
        self, b: BatchRecord, rows: pl.DataFrame, entries: pl.DataFrame, changes: pl.DataFrame, notices: pl.DataFrame,
        processed_on: date,
    ) -> None:
        """Terminations processed on ``processed_on``, their forfeiture entries, and the changes to earlier
        terminations reported (notices): one transaction."""
        terminations = rows.select(
            pl.lit(b.plan_id).alias("plan_id"),
            "employee_id",
            "termination_date",
            "termination_reason",
            "years_of_service",
            _dec("vested_bp", 5).alias("vested_pct"),
            "vesting_basis",
            _dec("employer_balance_cents").alias("employer_balance"),
            _dec("vested_employer_balance_cents").alias("vested_employer_balance"),
            _dec("forfeited_cents").alias("forfeited_amount"),
            pl.lit(processed_on, pl.Date).alias("processed_on"),
            pl.lit(b.batch_id).alias("batch_id"),
        )
        ledger_rows = entries.select(
            "employee_id",
            pl.lit(processed_on, pl.Date).alias("effective_date"),
            pl.lit(processed_on.year).alias("plan_year"),
            "source",
            "amount_cents",
            pl.lit(None, pl.Int32).alias("line_number"),
        )
        reports = changes.select(
            pl.lit(b.plan_id).alias("plan_id"), "employee_id", "processed_date", "current_termination_date",
            "current_termination_reason",
            pl.lit(processed_on, pl.Date).alias("reported_on"), pl.lit(b.batch_id).alias("batch_id"),
        )

        def work() -> None:
            self._insert_batch(b)
            self._append("terminations", terminations)
            self._insert_ledger(b, ledger_rows, entry_type="forfeiture")
            self._append("termination_reports", reports)
            self._insert_notices(b, notices)

        self._in_transaction(work)

    # -- checks ---------------------------------------------------------------------------------------------
    @staticmethod
    def check_names() -> list[str]:
        return [check.stem for check in sorted(CHECKS_DIR.glob("*.sql"))]

    def run_checks(self, run_id: str | None = None) -> list[CheckFailure]:
        """Run every ``sql/checks/*.sql``; each returns the rows that violate an invariant (none expected).

        With ``run_id``, the per-year checks look only at the (plan, plan year) pairs that run's batches posted
        to (``check_years``, see ``sql/ddl/140_check_years.sql``): earlier runs proved the rest and the ledger
        is append only, so a night's checks cost what its years hold, not all history. Without it, every pair.
        """
        scoped = run_id is not None
        if scoped:
            self._exec(
                """
                CREATE OR REPLACE TEMP TABLE check_years AS
                WITH run_batches AS (SELECT batch_id FROM batches WHERE run_id = ?)
                SELECT DISTINCT plan_id, plan_year FROM ledger SEMI JOIN run_batches USING (batch_id)
                UNION
                SELECT DISTINCT plan_id, plan_year FROM payroll_lines SEMI JOIN run_batches USING (batch_id)
                """,
                [run_id],
            )
        try:
            failures = []
            for check in sorted(CHECKS_DIR.glob("*.sql")):
                rows = self.frame(check.read_text(encoding="utf-8"))
                if rows.height:
                    failures.append(CheckFailure(check.stem, rows))
            return failures
        finally:
            if scoped:
                self._exec("DROP TABLE IF EXISTS temp.main.check_years")
