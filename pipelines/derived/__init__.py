"""Derived steps: what depends on a whole plan as of the run's date rather than on one file (true-ups due,
terminations, RMD notices, the rollover-eligibility report, the participant calculators), recomputed from the store every night so a re-run after a crash finds exactly what
is still to do. Each is a :data:`Step`, listed in :data:`STEPS` in the order the nightly flow runs them after a
plan's files; adding one is one function and one line here.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import polars as pl

from pipelines.derived.calculators import calculators_step
from pipelines.derived.rmd import rmd_step
from pipelines.derived.rollover import rollover_step
from pipelines.derived.terminations import terminations_step
from pipelines.derived.true_up import post_due_true_ups
from pipelines.file_batch import FileResult
from pipelines.store import Database
from schemas.plan import PlanConfig


class Step(Protocol):
    """One derived step for one plan: post what is due by ``as_of`` (each result a batch, in its own
    transaction) and say what happened; nothing when nothing is due."""

    def __call__(
        self, db: Database, plan: PlanConfig, *, as_of: date, run_id: str, limits: pl.DataFrame
    ) -> list[FileResult]: ...


#: (name, step) in the order they run: the true-up first, so a leaver's year-end match is vested with the rest;
#: RMD notices from balances that hold the night's forfeitures; the rollover report last, since an RMD due comes
#: out before anything is rolled over; the participant calculators (match window, projection) after everything
#: that moves a balance.
STEPS: tuple[tuple[str, Step], ...] = (
    ("true-ups", post_due_true_ups),
    ("terminations", terminations_step),
    ("rmd-notices", rmd_step),
    ("rollover-eligibility", rollover_step),
    ("calculators", calculators_step),
)
