"""Participants: the latest known facts per person, merged column by column from payroll and census files."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.store.db import Database
from pipelines.store.runs import BatchRecord


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

    def set_clauses(self) -> list[str]:
        """The MERGE's SET clauses for these updates (``excluded`` is the file's row, ``participants`` the stored one)."""
        newer = "excluded.facts_as_of >= participants.facts_as_of"
        sets = [f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE participants.{c} END" for c in self.replace]
        sets += [
            f"{c} = CASE WHEN {newer} THEN coalesce(excluded.{c}, participants.{c}) "
            f"ELSE coalesce(participants.{c}, excluded.{c}) END"
            for c in self.fill
        ]
        sets += self._termination_sets(newer)
        return sets + [
            "first_hire_date = least(excluded.first_hire_date, participants.first_hire_date)",
            "facts_as_of = greatest(excluded.facts_as_of, participants.facts_as_of)",
            "updated_batch_id = excluded.updated_batch_id",
        ]

    def _termination_sets(self, newer: str) -> list[str]:
        new_date, old_date = "excluded.termination_date", "participants.termination_date"
        new_reason, old_reason = "excluded.termination_reason", "participants.termination_reason"
        if self.termination == "keep":
            return []
        if self.termination == "add":
            takes = f"{new_date} IS NOT NULL AND ({newer} OR {old_date} IS NULL)"
            return [
                f"termination_date = CASE WHEN {takes} THEN {new_date} ELSE {old_date} END",
                f"termination_reason = CASE WHEN {takes} THEN {new_reason} ELSE {old_reason} END",
            ]
        if self.termination != "replace":
            raise ValueError(f"unknown termination update {self.termination!r}")
        takes = f"{newer} OR {old_date} IS NULL"
        reason = new_reason if self.has_reason else (
            f"CASE WHEN {new_date} IS NOT DISTINCT FROM {old_date} THEN {old_reason} END"
        )
        return [
            f"termination_date = CASE WHEN {takes} THEN {new_date} ELSE {old_date} END",
            f"termination_reason = CASE WHEN {takes} THEN {reason} ELSE {old_reason} END",
        ]


def upsert(db: Database, b: BatchRecord, facts: pl.DataFrame, updates: ParticipantUpdates) -> None:
    """Insert new people; for known ones apply ``updates`` column by column (see :class:`ParticipantUpdates`)."""
    facts = facts.with_columns(
        pl.lit(b.plan_id).alias("plan_id"), pl.lit(b.batch_id).alias("updated_batch_id"),
        pl.col("first_hire_date" if "first_hire_date" in facts.columns else "hire_date").alias("first_hire_date"),
    )
    # The SET clauses depend on which columns the file has, so this one statement is built here, not in sql/.
    with db.visible("new_facts", facts):
        db.execute(
            "MERGE INTO participants USING new_facts AS excluded "
            "ON participants.plan_id = excluded.plan_id AND participants.employee_id = excluded.employee_id "
            f"WHEN MATCHED THEN UPDATE SET {', '.join(updates.set_clauses())} "
            "WHEN NOT MATCHED THEN INSERT BY NAME",
            reads=("participants",),
        )


def known(db: Database, plan_id: str, employee_ids: pl.Series) -> pl.Series:
    """The ids among ``employee_ids`` that ``participants`` holds for the plan."""
    return db.query("participants/known", {"plan_id": plan_id},
                    wanted_ids=employee_ids.unique().to_frame("employee_id"))["employee_id"]
