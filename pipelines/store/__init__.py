"""The store: the only code that imports duckdb.

:mod:`~pipelines.store.db` knows tables (open, schema versions and migrations, views, seeds, transactions and
the per-plan group, appends, named statements); one thin module per domain holds that domain's reads and posts
(no transactions of their own: the caller opens one): :mod:`runs`, :mod:`payroll`, :mod:`participants`,
:mod:`census`, :mod:`balances`, :mod:`true_ups`, :mod:`terminations`, :mod:`distributions`, :mod:`rmd`, :mod:`rollover`, :mod:`plans`, :mod:`calculators`, :mod:`reports`, :mod:`forfeitures`,
:mod:`morning`, :mod:`checks`.
"""

from pipelines.store.checks import CheckFailure
from pipelines.store.db import (
    CURRENT_VERSION, Database, DatabaseBusyError, GroupAborted, NotADatabaseError, SchemaVersionError,
)
from pipelines.store.participants import ParticipantUpdates
from pipelines.store.runs import BatchRecord

__all__ = [
    "CURRENT_VERSION", "BatchRecord", "CheckFailure", "Database", "DatabaseBusyError", "GroupAborted",
    "NotADatabaseError", "ParticipantUpdates", "SchemaVersionError",
]
