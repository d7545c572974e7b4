"""The database: one DuckDB file and what it holds. Knows tables, never domains.

:class:`Database` opens the file (read-write, or read-only for reporting), brings its schema to the current
version (``sql/ddl/`` for a new file, ``sql/migrations/`` for an older one, in one transaction; a newer one
is refused), recreates the macros, views and report views (``sql/macros/``, ``sql/views/``, ``sql/reports/`` as ``report_<name>``) and reloads the seed tables and
code lists at every read-write open. It runs named statements (``sql/queries/<domain>/<name>.sql``, whose
header says which tables each reads or writes), appends polars frames through Arrow, and groups many batches
into one transaction.

Inside a :meth:`Database.group`, rows for the high-volume tables (:data:`STAGED`) are held as polars frames
and written with one bulk statement per table, because DuckDB's write path costs per statement and per commit
far more than per row. A read flushes what is held for the tables its header names, and only those.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterator
import contextlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from pipelines.resources import DDL_DIR, MACROS_DIR, MIGRATIONS_DIR, QUERIES_DIR, REPORTS_DIR, SEEDS_DIR, VIEWS_DIR
from schemas.reasons import FileReject, NoticeCode, RowReject
from schemas.sources import PAYROLL_SOURCES

#: Tables a group holds rows for and writes in bulk: the append-only audit and ledger tables, and the state
#: tables kept by increments (their held increments are folded per key as they come).
STAGED = (
    "payroll_postings", "ledger_entries", "rejections", "notices", "limit_events", "ytd_totals", "balance_by_year",
    "pay_dates",
)
#: The order a bulk append writes a table's rows in. A group holding many payroll files writes each person's lines
#: together: what stays the same for a person from one pay date to the next (elected percents, the catch-up limit,
#: pay) then compresses into runs, and a year at 100,000 employees stores 274 blocks of payroll lines instead of 323.
APPEND_ORDER = {"payroll_postings": "plan_id, employee_id, pay_date"}
#: Held rows that trigger a flush inside a group, so memory stays bounded however many files a night holds.
STAGE_FLUSH_ROWS = 2_000_000
#: Write-ahead log size at which DuckDB checkpoints during a run (measured on a 97,000-row night: a 16 MB
#: threshold checkpointed once mid-run and again at close; 256 MB leaves only the one at close).
CHECKPOINT_THRESHOLD = "256MB"
#: The schema 1 of planadmin before versions were recorded: it had a `ledger` table.
LEGACY_VERSION = 1


class DatabaseBusyError(RuntimeError):
    """Another process holds the database file (after waiting, when asked to wait)."""


class NotADatabaseError(RuntimeError):
    """The file exists but is not a DuckDB database."""


#: How often a waiting open tries the file again.
BUSY_POLL_SECONDS = 1.0


def lock_holder(message: str) -> str | None:
    """Who holds the file, from DuckDB's lock error, when it says.

    >>> lock_holder('Could not set lock on file "a.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 42). See')
    '/usr/bin/python3 (PID 42)'
    >>> lock_holder("Could not set lock on file") is None
    True
    """
    found = re.search(r"Conflicting lock is held in (.+?\(PID \d+\))", message)
    return found.group(1) if found else None


class SchemaVersionError(RuntimeError):
    """The database's schema version is not one this planadmin can use: newer than it knows, or older and
    opened read-only (only a read-write open upgrades)."""


class GroupAborted(Exception):
    """A failure inside :meth:`Database.group`: everything the group wrote was rolled back. The caller posts
    the same files again one transaction per file, where a failure rejects only its own file."""


@dataclass(frozen=True)
class Statement:
    """A named SQL statement: ``sql/queries/<name>.sql``, headed by comments that say what it answers, its
    parameters (``$name``) and ``-- reads:`` / ``-- writes:`` the tables it touches (so a group flushes just
    those before a read, and stages a write into a staged table)."""

    name: str
    sql: str
    reads: tuple[str, ...]
    writes: str | None
    #: Tables it reads whose held rows the caller merges in memory instead (``-- unflushed:``).
    unflushed: tuple[str, ...] = ()

    @property
    def flushes(self) -> tuple[str, ...]:
        return tuple(t for t in self.reads if t not in self.unflushed)


@functools.cache
def statement(name: str) -> Statement:
    """The statement ``sql/queries/<name>.sql``; its header must list the tables it reads.

    >>> statement("runs/attempts").reads
    ('batches',)
    """
    path = QUERIES_DIR / f"{name}.sql"
    sql = path.read_text(encoding="utf-8")
    header = {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^-- (reads|writes|unflushed):(.*)$", sql, re.MULTILINE)
    }
    if "reads" not in header:
        raise AssertionError(f"{path}: the header must say which tables it reads (-- reads: a, b, or none)")

    def tables(key: str) -> tuple[str, ...]:
        value = header.get(key, "none")
        return () if value == "none" else tuple(t.strip() for t in value.split(","))

    return Statement(name, sql, tables("reads"), header.get("writes"), tables("unflushed"))


@dataclass
class _Held:
    table: str
    sql: str
    combine: Callable[[pl.DataFrame], pl.DataFrame] | None
    frames: list[pl.DataFrame] = field(default_factory=list)


def migrations() -> dict[int, Path]:
    """``sql/migrations/NNN_name.sql`` by version: each takes a database from version NNN - 1 to NNN."""
    found = {int(p.name.split("_", 1)[0]): p for p in MIGRATIONS_DIR.glob("*.sql")}
    expected = list(range(LEGACY_VERSION + 1, LEGACY_VERSION + 1 + len(found)))
    if sorted(found) != expected:
        raise AssertionError(f"migrations must be numbered {expected}, found {sorted(found)}")
    return found


#: The schema version this code writes.
CURRENT_VERSION = max(migrations(), default=LEGACY_VERSION)


class Database:
    """A connection to a planadmin database.

    Parameters
    ----------
    path : the DuckDB file; created (readable by its owner only) when missing.
    read_only : open for reporting; nothing can be written (the schema must be current).
    """

    def __init__(self, path: Path, read_only: bool = False, wait_seconds: float = 0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        is_new = not self.path.exists()
        if is_new and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = self._connect(wait_seconds)
        if is_new and not read_only:
            os.chmod(self.path, 0o600)
        if not read_only:
            # DuckDB checkpoints when its write-ahead log passes this size (default 16 MB) and when the
            # connection closes. A night's few commits then pay one checkpoint, at close, instead of one more
            # mid-run; the bound keeps what a full year holds in memory before checkpointing small.
            self.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        self._held: dict[str, _Held] = {}
        self._held_rows = 0
        self._grouped = False
        try:
            if read_only:
                self._require_current()
            else:
                self._upgrade()
        except BaseException:
            self.con.close()
            raise

    def _connect(self, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        """Connect, trying again every :data:`BUSY_POLL_SECONDS` for up to ``wait_seconds`` while another process
        holds the file (a night's run, an administrator's read-write session): DuckDB lets one process write, or
        any number read, never both."""
        deadline = time.monotonic() + wait_seconds
        while True:
            # The file holds participants' data: DuckDB creates it (and its WAL) under an owner-only umask.
            old_umask = os.umask(0o077)
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.IOException as exc:
                message = str(exc)
                if "not a valid DuckDB database" in message:
                    raise NotADatabaseError(f"{self.path} is not a DuckDB database") from None
                if "lock" not in message.lower():
                    raise
                if time.monotonic() >= deadline:
                    holder = lock_holder(message)
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise DatabaseBusyError(
                        f"database {self.path} is in use by {f'process {holder}' if holder else 'another process'}"
                        f"{waited}; try again when it has finished"
                    ) from None
            finally:
                os.umask(old_umask)
            time.sleep(BUSY_POLL_SECONDS)

    # -- lifetime -------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close (twice is harmless). DuckDB checkpoints the write-ahead log into the file as a read-write
        connection closes: the database file alone then holds everything, so a copy or backup of it is whole.
        (Leaving a small log for the next run was measured and rejected: a copy of the file without its log
        silently lacks the last runs, and a stale log beside a restored file stops the next open.)"""
        # Drop the connection object too: Prefect may keep task parameters (this object) alive until exit.
        con = self.__dict__.pop("con", None)
        if con is not None:
            con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------------------
    def schema_version(self) -> int | None:
        """The database's schema version: None for an empty file, 1 for one written before versions were
        recorded."""
        tables = dict(self.con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall())
        if "schema_version" in tables:
            return self.con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
        if tables.get("ledger") == "BASE TABLE":
            return LEGACY_VERSION
        return None

    def _require_current(self) -> None:
        version = self.schema_version()
        if version != CURRENT_VERSION:
            raise SchemaVersionError(
                f"database {self.path} has schema version {version}; this planadmin reads version {CURRENT_VERSION}"
                + (": upgrade planadmin" if (version or 0) > CURRENT_VERSION
                   else ": run `planadmin run` once (it upgrades the database) before reading it")
            )

    def _upgrade(self) -> None:
        """Bring the schema to :data:`CURRENT_VERSION` and refresh macros, views, seeds and code lists, in one
        transaction: an upgrade that fails leaves the database as it was."""
        version = self.schema_version()
        if version is not None and version > CURRENT_VERSION:
            raise SchemaVersionError(
                f"database {self.path} has schema version {version}, newer than this planadmin's "
                f"{CURRENT_VERSION}: upgrade planadmin; nothing was changed"
            )
        self._run("BEGIN TRANSACTION")
        try:
            if version != CURRENT_VERSION:
                for ddl in sorted(DDL_DIR.glob("*.sql")):
                    self._run(ddl.read_text(encoding="utf-8"))
            if version is None:
                self._record_version(CURRENT_VERSION, "created")
            elif version < CURRENT_VERSION:
                for number, script in sorted(migrations().items()):
                    if number > version:
                        self._run(script.read_text(encoding="utf-8"))
                        self._record_version(number, script.stem)
            self._load_seeds()  # views join the seed tables
            for folder in (MACROS_DIR, VIEWS_DIR):
                for path in sorted(folder.glob("*.sql")):
                    self._run(path.read_text(encoding="utf-8"))
            for path in sorted(REPORTS_DIR.glob("*.sql")):  # each report is also a view any SQL client can read
                self._run(f"CREATE OR REPLACE VIEW report_{path.stem} AS\n{path.read_text(encoding='utf-8')}")
            self._check_payroll_columns()
        except BaseException:
            with suppress(duckdb.Error):
                self._run("ROLLBACK")
            raise
        self._run("COMMIT")

    def _record_version(self, version: int, description: str) -> None:
        self._run("INSERT INTO schema_version VALUES (?, ?, ?)",
                  [version, datetime.now(timezone.utc).replace(tzinfo=None), description])

    def _load_seeds(self) -> None:
        """Each ``sql/seeds/<table>.sql`` loads ``<table>.csv`` beside it; the code lists come from their enums."""
        for loader in sorted(SEEDS_DIR.glob("*.sql")):
            self._run(loader.read_text(encoding="utf-8"), {"path": str(loader.with_suffix(".csv"))})
        rejects = [*((c.value, "file") for c in FileReject), *((c.value, "row") for c in RowReject)]
        code_lists = {
            "notice_codes": pl.DataFrame({"code": [c.value for c in NoticeCode],
                                          "meaning": [c.meaning for c in NoticeCode]}),
            "reject_codes": pl.DataFrame(rejects, schema=["code", "level"], orient="row"),
        }
        for table, frame in code_lists.items():
            # Enums list their members in precedence order.
            frame = frame.with_row_index("precedence", offset=1).with_columns(pl.col("precedence").cast(pl.Int32))
            with self.visible("code_list", frame):
                self._run(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM code_list ORDER BY precedence")

    def _check_payroll_columns(self) -> None:
        columns = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'payroll_postings'"
        ).fetchall()}
        missing = [s for s in PAYROLL_SOURCES if s not in columns]
        if missing:
            raise AssertionError(f"payroll sources {missing} (sql/seeds/money_sources.csv) have no payroll_postings column")

    # -- statements -----------------------------------------------------------------------------------------
    def _run(self, sql: str, params: list | dict | None = None) -> None:
        """Run SQL to completion (DuckDB 2 keeps a result pending until it is completed)."""
        self.con.execute(sql, params or [])
        self.con.complete()

    def execute(self, sql: str, params: list | dict | None = None, reads: tuple[str, ...] | None = None) -> None:
        """Run SQL that cannot be a named statement (its text depends on the data), after writing what a group
        holds for the tables in ``reads`` (None: everything)."""
        self._flush(reads)
        self._run(sql, params)

    def frame(self, sql: str, params: list | dict | None = None) -> pl.DataFrame:
        """An ad-hoc query's whole result as a polars frame, after writing everything a group holds."""
        self._flush(None)
        return self._frame(sql, params)

    def _frame(self, sql: str, params: list | dict | None) -> pl.DataFrame:
        return pl.from_arrow(self.con.sql(sql, params=params or None).to_arrow_table())

    def query(self, name: str, params: dict | None = None, **frames: pl.DataFrame) -> pl.DataFrame:
        """The named query's result (``sql/queries/<name>.sql``), with ``frames`` visible to it by name. Rows a
        group holds for the tables it reads are written first."""
        st = statement(name)
        self._flush(st.flushes)
        with self._all_visible(frames):
            return self._frame(st.sql, params)

    def run(self, name: str, params: dict | None = None, **frames: pl.DataFrame) -> None:
        """Run the named write statement (its header's ``writes:`` table), with ``frames`` visible by name."""
        st = statement(name)
        self._flush(st.flushes)
        with self._all_visible(frames):
            self._run(st.sql, params)

    def write(self, name: str, frame: pl.DataFrame,
              combine: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> None:
        """Run the named write statement over ``frame`` (visible to it as ``incoming``): now, or, inside a group
        and for a :data:`STAGED` table, with every other frame held for it (``combine`` folds them into one
        frame first: an upsert must not meet one key twice)."""
        if frame.height == 0:
            return
        st = statement(name)
        if st.writes is None:
            raise AssertionError(f"{name}: a write statement's header must name the table it writes")
        self._hold_or_run(st.writes, st.sql, frame, combine)

    def append(self, table: str, frame: pl.DataFrame) -> None:
        """Append a frame (columns named as the table's) through Arrow; nothing for an empty frame. Rows for a
        :data:`STAGED` table wait for the group's bulk insert."""
        if frame.height:
            order = f" ORDER BY {APPEND_ORDER[table]}" if table in APPEND_ORDER else ""
            self._hold_or_run(table, f"INSERT INTO {table} BY NAME SELECT * FROM incoming{order}", frame, None)

    def held(self, table: str) -> list[pl.DataFrame]:
        """The frames a group holds for ``table`` (not yet in the database)."""
        return [f for h in self._held.values() if h.table == table for f in h.frames]

    def visible(self, name: str, frame: pl.DataFrame) -> contextlib.AbstractContextManager[None]:
        """Make a polars frame queryable as ``name`` (through Arrow, no copy into the database) for a block."""
        return self._all_visible({name: frame})

    @contextmanager
    def _all_visible(self, frames: dict[str, pl.DataFrame]) -> Iterator[None]:
        for name, frame in frames.items():
            self.con.register(name, frame.to_arrow())
        try:
            yield
        finally:
            for name in frames:
                self.con.unregister(name)

    # -- transactions ---------------------------------------------------------------------------------------
    @property
    def grouped(self) -> bool:
        """Whether a :meth:`group` is open (a failure inside one must abort the whole group)."""
        return self._grouped

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A block in its own transaction, or, inside a :meth:`group`, part of the group's (a failure there can
        leave part of the block written: the group's rollback undoes it)."""
        if self._grouped:
            yield
            return
        self._run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK")
            raise
        self._run("COMMIT")

    @contextmanager
    def group(self) -> Iterator[None]:
        """One transaction around many batches: committed whole at the end, rolled back whole on any error
        (then :class:`GroupAborted` is raised, or the error itself for a broken invariant or an interrupt)."""
        if self._grouped:
            raise AssertionError("groups do not nest")
        self._run("BEGIN TRANSACTION")
        self._grouped = True
        try:
            yield
            self._flush(None)
            self._grouped = False
            self._run("COMMIT")
        except BaseException as exc:
            self._held.clear()
            self._held_rows = 0
            self._grouped = False
            with suppress(duckdb.Error):  # a failed COMMIT may have ended the transaction already
                self._run("ROLLBACK")
            if isinstance(exc, Exception) and not isinstance(exc, (AssertionError, GroupAborted)):
                # e.g. the closing bulk insert or the commit failed: the caller retries file by file, as for any
                # other failure. No chained cause: its message may quote file content, and Prefect logs it.
                raise GroupAborted(f"the group's transaction failed ({type(exc).__name__})") from None
            raise

    def _hold_or_run(self, table: str, sql: str, frame: pl.DataFrame,
                     combine: Callable[[pl.DataFrame], pl.DataFrame] | None) -> None:
        if not (self._grouped and table in STAGED):
            with self.visible("incoming", frame):
                self._run(sql)
            return
        held = self._held.setdefault(sql, _Held(table, sql, combine))
        if combine is None:
            held.frames.append(frame)
        else:  # folded as it comes, so what a group holds stays one row per key
            self._held_rows -= sum(f.height for f in held.frames)
            frame = combine(pl.concat([*held.frames, frame], how="diagonal_relaxed"))
            held.frames = [frame]
        self._held_rows += frame.height
        if self._held_rows >= STAGE_FLUSH_ROWS:
            self._flush(None)

    def _flush(self, reads: tuple[str, ...] | None) -> None:
        """Write the held frames of the tables in ``reads`` (None: every table), one statement each."""
        for sql, held in list(self._held.items()):
            if reads is not None and held.table not in reads:
                continue
            del self._held[sql]
            self._held_rows -= sum(f.height for f in held.frames)
            with self.visible("incoming", pl.concat(held.frames, how="diagonal_relaxed")):
                self._run(sql)
