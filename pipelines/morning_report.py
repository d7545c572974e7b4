"""The morning report: what a nightly run did, per plan, and what the administrator must act on, first.

The nightly flow calls :func:`build` after the invariant checks, with the database still open, turns it into
markdown with :func:`to_markdown` (published as the Prefect artifact ``nightly-<as-of>``) and writes both with
:func:`write` as ``REPORT_DIR/<as-of>.md`` and ``.json``. Plain Python over the store and the run's
:class:`~pipelines.flows.RunReport`, so it is tested without Prefect.

No personal data: never a name, an SSN, a date of birth or a rejected value. Rejected rows are reported by
reason, column and line number; employee ids appear only in an ``act_on`` detail whose action needs them (the
rows an invariant check found).

The shape of :func:`build`'s result: plain ``str``, ``int``, ``bool``, ``None``, lists and dicts, so
``json.loads(json.dumps(data)) == data``; money is an exact decimal string of dollars (``"1234.56"``,
``"-64.00"``), never a float::

    {
      "run": {"run_id": str, "as_of": "YYYY-MM-DD", "ok": bool,          # ok: RunReport.ok
              "counts": {"files_posted", "files_all_rows_rejected", "files_rejected", "files_skipped",
                         "files_failed", "files_not_run",                # inbox files by outcome (disjoint)
                         "derived_batches",                              # derived steps' batches posted
                         "rows_read", "rows_posted", "rows_rejected",    # inbox files' rows
                         "unrecognised", "left_for_next_run": int}},
      "act_on": [{"kind": ActionKind value, "plan_id": str | None, "subject": str, "detail": str}],
                                                                         # in ActionKind order; within a kind, as
                                                                         # the run met them
      "plans": {plan_id: {                                               # every plan the run touched, sorted
          "files": [{"file", "kind", "outcome", "rows_read", "rows_posted", "rows_rejected",
                     "amount_posted" (money; None unless posted), "error"}],
                                                                         # every result not skipped, in run order;
                                                                         # kind: census/payroll/... or the derived
                                                                         # step (true-up, terminations, rmd)
          "skipped": {"already_posted": int, "rejected_before": int},    # skipped files: counts, not rows
          "posted_by_source": {label: money},                            # sum of FileResult.posted_cents; labels as
                                                                         # the files give them ("pretax", "match",
                                                                         # "forfeiture match", "distribution roth")
          "rejected_rows": [{"file", "reason_code", "column", "rows", "first_lines": [int] (at most 5),
                             "reason"}],                                 # per file, in reject-code precedence
          "limits": [{"limit", "source" (None: reached), "people", "amount" (money or None)}],
          "true_ups": [{"file", "plan_year", "status", "people", "amount"}],
          "terminations": {"processed": int, "by_vesting_basis": {basis: int},
                           "forfeited": {source: money}, "forfeited_total": money},  # forfeited: positive
          "notices": [{"code", "notices", "meaning"}],                   # NoticeCode precedence order
          "rmd_notices": {status: int}, "leavers": {category: int}, "match_windows": {status: int},
          "settlement": {"match_variance_lines", "match_variance", "excess_deferral_lines",
                         "excess_deferral"} | None,
          "unrecognised": int, "unreadable": bool}},
      "left_for_next_run": [{"path", "reason"}],
      "unrecognised": [{"plan_id" (None: outside any plan folder), "path", "reason"}],
      "checks": [{"name", "passed": bool, "failing_rows": int}],
    }
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.file_batch import FileResult
from pipelines.store import Database, morning
from schemas.kinds import FILE_KINDS
from schemas.reasons import MeaningfulCode

if TYPE_CHECKING:  # the flow imports this module; Prefect stays out of it
    from pipelines.flows import RunReport

#: The inbox's file kinds; any other second segment of a result's file name is a derived step's.
INBOX_KINDS = tuple(spec.kind for spec in FILE_KINDS)
#: Top reasons named in an ``all_rows_rejected`` action, and employee ids in a ``check_failed`` one.
TOP_REASONS = 3
IDS_SHOWN = 5


class ActionKind(MeaningfulCode):
    """What the administrator must act on, in precedence order (the report lists them so).

    >>> ActionKind.CHECK_FAILED.precedence, ActionKind.NOT_RUN.precedence
    (1, 7)
    """

    CHECK_FAILED = (
        "check_failed",
        "an invariant check found rows that break it: the ledger is not trustworthy until it is explained",
    )
    INTERNAL_ERROR = (
        "internal_error",
        "a file hit an internal error: nothing of it was posted, the next run tries it again; tell the developers",
    )
    FILE_REJECTED = (
        "file_rejected",
        "a file was rejected whole, nothing of it posted: ask the employer for a corrected file",
    )
    ALL_ROWS_REJECTED = (
        "all_rows_rejected",
        "a file was read but every row of it was rejected: nothing reached the ledger; ask for corrected rows",
    )
    UNREADABLE_PLAN = (
        "unreadable_plan",
        "a plan folder holds entries but nothing a kind reads: its files are surely misplaced",
    )
    UNRECOGNISED_FILE = (
        "unrecognised_file",
        "an inbox entry no kind reads: move it where its kind is read, or remove it",
    )
    NOT_RUN = (
        "not_run",
        "a file was not processed because an earlier file of its plan failed: the next run tries it",
    )


def money(cents: int) -> str:
    """Exact dollars from cents, no grouping: the report's one money format.

    >>> money(123456), money(-6400), money(5), money(0)
    ('1234.56', '-64.00', '0.05', '0.00')
    """
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{dollars}.{rest:02d}"


def plural(n: int, one: str, many: str) -> str:
    """``1 row``, ``2 rows``.

    >>> plural(1, "row", "rows"), plural(0, "row", "rows")
    ('1 row', '0 rows')
    """
    return f"{n} {one if n == 1 else many}"


def file_kind(file_name: str) -> str:
    """The kind a result's file name says: ``acme/payroll/x.csv`` -> ``payroll``, ``acme/true-up/2025`` ->
    ``true-up`` (a derived step's)."""
    parts = file_name.split("/")
    return parts[1] if len(parts) >= 3 else ""


def is_inbox_file(result: FileResult) -> bool:
    return file_kind(result.file_name) in INBOX_KINDS


def _rejected_before(result: FileResult) -> bool:
    """A skipped file whose content was rejected whole before (rather than posted)."""
    return result.status == "skipped" and result.content_rejected


def _action(kind: ActionKind, plan_id: str | None, subject: str, detail: str) -> dict[str, Any]:
    return {"kind": kind.value, "plan_id": plan_id, "subject": subject, "detail": detail}


def _check_action(check: str, rows: pl.DataFrame) -> dict[str, Any]:
    """A failed check: how many rows, and the employee ids among them (what the administrator looks up)."""
    plan_id = None
    if "plan_id" in rows.columns:
        plans = rows["plan_id"].drop_nulls().unique().to_list()
        plan_id = plans[0] if len(plans) == 1 else None
    detail = f"{plural(rows.height, 'row breaks', 'rows break')} it (planadmin check shows them)"
    if "employee_id" in rows.columns:
        ids = sorted(str(e) for e in rows["employee_id"].drop_nulls().unique().to_list())
        if ids:
            more = f" and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else ""
            detail += f"; employees {', '.join(ids[:IDS_SHOWN])}{more}"
    return _action(ActionKind.CHECK_FAILED, plan_id, check, detail)


def _top_reasons(groups: list[dict[str, Any]]) -> str:
    ranked = sorted(groups, key=lambda g: -g["rows"])[:TOP_REASONS]  # stable: precedence order among equals
    named = [f"{g['reason_code']}{' (' + g['column'] + ')' if g['column'] else ''} {g['rows']}" for g in ranked]
    more = f"; {len(groups) - TOP_REASONS} more reasons" if len(groups) > TOP_REASONS else ""
    return ", ".join(named) + more


def _act_on(report: RunReport, rejected: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    actions = [_check_action(f.check, f.rows) for f in report.check_failures]
    for kind, status in ((ActionKind.INTERNAL_ERROR, "failed"), (ActionKind.FILE_REJECTED, "rejected")):
        actions += [_action(kind, f.plan_id, f.file_name, f.error or "") for f in report.files if f.status == status]
    actions += [
        _action(ActionKind.ALL_ROWS_REJECTED, f.plan_id, f.file_name,
                f"{'the one row' if f.rows_read == 1 else f'all {f.rows_read} rows'} rejected: "
                f"{_top_reasons(rejected.get(f.file_name, []))}")
        for f in report.files if f.all_rows_rejected
    ]
    actions += [
        _action(ActionKind.UNREADABLE_PLAN, p, f"{p}/",
                "the plan folder holds entries but nothing a kind reads (see its unrecognised entries)")
        for p in report.unreadable_plans
    ]
    actions += [_action(ActionKind.UNRECOGNISED_FILE, u.plan_id, u.path, u.reason) for u in report.unrecognised]
    actions += [_action(ActionKind.NOT_RUN, f.plan_id, f.file_name, f.error or "") for f in report.files
                if f.status == "not_run"]
    order = {k.value: k.precedence for k in ActionKind}
    return sorted(actions, key=lambda a: order[a["kind"]])  # stable: run order within a kind


def _counts(report: RunReport) -> dict[str, int]:
    inbox = [f for f in report.files if is_inbox_file(f)]
    by_outcome = Counter(f.outcome for f in inbox)
    return {
        "files_posted": by_outcome["posted"],
        "files_all_rows_rejected": by_outcome["all rows rejected"],
        "files_rejected": by_outcome["rejected"],
        "files_skipped": by_outcome["skipped"],
        "files_failed": by_outcome["failed"],
        "files_not_run": by_outcome["not_run"],
        "derived_batches": sum(1 for f in report.files if not is_inbox_file(f) and f.status == "posted"),
        "rows_read": sum(f.rows_read for f in inbox),
        "rows_posted": sum(f.rows_posted for f in inbox),
        "rows_rejected": sum(f.rows_rejected for f in inbox),
        "unrecognised": len(report.unrecognised),
        "left_for_next_run": len(report.left_for_next_run),
    }


def _by_plan(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in frame.iter_rows(named=True):
        out.setdefault(r["plan_id"], []).append(r)
    return out


def _file_row(f: FileResult) -> dict[str, Any]:
    return {
        "file": f.file_name, "kind": file_kind(f.file_name), "outcome": f.outcome, "rows_read": f.rows_read,
        "rows_posted": f.rows_posted, "rows_rejected": f.rows_rejected,
        "amount_posted": money(sum(f.posted_cents.values())) if f.status == "posted" else None, "error": f.error,
    }


def _true_up(f: FileResult) -> dict[str, Any]:
    year = f.file_name.rsplit("/", 1)[-1]
    return {"file": f.file_name, "plan_year": int(year) if year.isdigit() else None, "status": f.status,
            "people": f.rows_posted, "amount": money(sum(f.posted_cents.values()))}


def _plan(plan_id: str, report: RunReport, rejected: list[dict[str, Any]], limits: list[dict[str, Any]],
          notices: list[dict[str, Any]], terminations: list[dict[str, Any]],
          forfeitures: list[dict[str, Any]]) -> dict[str, Any]:
    files = [f for f in report.files if f.plan_id == plan_id]
    skipped = [f for f in files if f.status == "skipped"]
    by_source: Counter[str] = Counter()
    for f in files:
        by_source.update(f.posted_cents)
    settlement = next(({"match_variance_lines": v, "match_variance": money(vc), "excess_deferral_lines": e,
                        "excess_deferral": money(ec)}
                       for p, v, vc, e, ec in report.settlements if p == plan_id), None)

    def counts(rows: list[tuple[str, str, int]]) -> dict[str, int]:
        return {key: n for p, key, n in sorted(rows) if p == plan_id}

    return {
        "files": [_file_row(f) for f in files if f.status != "skipped"],
        "skipped": {"already_posted": sum(not _rejected_before(f) for f in skipped),
                    "rejected_before": sum(_rejected_before(f) for f in skipped)},
        "posted_by_source": {s: money(c) for s, c in sorted(by_source.items())},
        "rejected_rows": rejected,
        "limits": [{"limit": r["limit_name"], "source": r["source"], "people": r["people"],
                    "amount": None if r["amount_cents"] is None else money(r["amount_cents"])} for r in limits],
        "true_ups": [_true_up(f) for f in files if "true-up" in f.file_name],
        "terminations": {
            "processed": sum(r["terminations"] for r in terminations),
            "by_vesting_basis": {r["vesting_basis"]: r["terminations"] for r in terminations},
            "forfeited": {r["source"]: money(r["forfeited_cents"]) for r in forfeitures},
            "forfeited_total": money(sum(r["forfeited_cents"] for r in forfeitures)),
        },
        "notices": [{"code": r["code"], "notices": r["notices"], "meaning": r["meaning"]} for r in notices],
        "rmd_notices": counts(report.rmd_counts),
        "leavers": counts(report.rollover_counts),
        "match_windows": counts(report.window_counts),
        "settlement": settlement,
        "unrecognised": sum(1 for u in report.unrecognised if u.plan_id == plan_id),
        "unreadable": plan_id in report.unreadable_plans,
    }


def build(db: Database, report: RunReport) -> dict[str, Any]:
    """The run's report as JSON-able data (the shape is in this module's docstring), from ``report`` and the
    audit rows of the run's batches in ``db`` (the database the run wrote, still open)."""
    rejected_frame = morning.rejected_rows(db, report.run_id)
    rejected_by_plan: dict[str, list[dict[str, Any]]] = {}
    rejected_by_file: dict[str, list[dict[str, Any]]] = {}
    for r in rejected_frame.iter_rows(named=True):
        group = {"file": r["file_name"], "reason_code": r["reason_code"], "column": r["column_name"],
                 "rows": r["rows"], "first_lines": [int(n) for n in r["first_lines"]], "reason": r["reason"]}
        rejected_by_plan.setdefault(r["plan_id"], []).append(group)
        rejected_by_file.setdefault(r["file_name"], []).append(group)
    limits = _by_plan(morning.limits_reached(db, report.run_id))
    notices = _by_plan(morning.notices_by_code(db, report.run_id))
    terminations = _by_plan(morning.terminations(db, report.run_id))
    forfeitures = _by_plan(morning.forfeitures(db, report.run_id))

    plan_ids = (
        {f.plan_id for f in report.files} | {u.plan_id for u in report.unrecognised if u.plan_id is not None}
        | set(report.unreadable_plans) | {p for p, *_ in report.rmd_counts} | {p for p, *_ in report.rollover_counts}
        | {p for p, *_ in report.window_counts} | {p for p, *_ in report.settlements}
        | rejected_by_plan.keys() | limits.keys() | notices.keys() | terminations.keys() | forfeitures.keys()
    )
    failed = {f.check: f.rows.height for f in report.check_failures}
    check_names = list(dict.fromkeys([*report.checks_run, *failed]))
    return {
        "run": {"run_id": report.run_id, "as_of": report.as_of.isoformat(), "ok": report.ok,
                "counts": _counts(report)},
        "act_on": _act_on(report, rejected_by_file),
        "plans": {
            p: _plan(p, report, rejected_by_plan.get(p, []), limits.get(p, []), notices.get(p, []),
                     terminations.get(p, []), forfeitures.get(p, []))
            for p in sorted(plan_ids)
        },
        "left_for_next_run": [{"path": path, "reason": reason} for path, reason in report.left_for_next_run],
        "unrecognised": [{"plan_id": u.plan_id, "path": u.path, "reason": u.reason} for u in report.unrecognised],
        "checks": [{"name": n, "passed": n not in failed, "failing_rows": failed.get(n, 0)} for n in check_names],
    }


# -- markdown -------------------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    """A table cell: pipes escaped, line ends flattened, None empty."""
    if value is None:
        return ""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
    return [*lines, ""]


def _inline(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.items())


def _plan_markdown(plan_id: str, p: dict[str, Any]) -> list[str]:
    out = [f"## Plan {plan_id}", ""]
    skipped = p["skipped"]
    notes = []
    if skipped["already_posted"]:
        notes.append(f"{skipped['already_posted']} skipped as already posted")
    if skipped["rejected_before"]:
        notes.append(f"{skipped['rejected_before']} skipped as rejected before (send corrected files)")
    if p["unreadable"]:
        notes.append("**nothing readable in its inbox folder**")
    if p["unrecognised"]:
        notes.append(f"{plural(p['unrecognised'], 'inbox entry', 'inbox entries')} not read")
    if notes:
        line = "; ".join(notes)
        out += [line[0].upper() + line[1:] + ".", ""]
    if p["files"]:
        out += ["### Files", ""]
        out += _table(("file", "outcome", "read", "posted", "rejected", "amount posted"),
                      [(f["file"], f["outcome"], f["rows_read"], f["rows_posted"], f["rows_rejected"],
                        f["amount_posted"]) for f in p["files"]])
    if p["posted_by_source"]:
        out += ["### Posted by source", ""]
        out += _table(("source", "amount"), list(p["posted_by_source"].items()))
    if p["rejected_rows"]:
        out += ["### Rejected rows", "", "Values and employee ids are in the rejections table "
                "(`planadmin report rejections`).", ""]
        out += _table(("file", "reason", "column", "rows", "first lines", "why"),
                      [(g["file"], g["reason_code"], g["column"], g["rows"], ", ".join(map(str, g["first_lines"])),
                        g["reason"]) for g in p["rejected_rows"]])
    if p["limits"]:
        out += ["### Limits reached", ""]
        out += _table(("limit", "source", "people", "amount"),
                      [(r["limit"], r["source"] or "(reached)", r["people"], r["amount"]) for r in p["limits"]])
    if p["true_ups"]:
        out += ["### True-ups", ""]
        out += _table(("plan year", "status", "people", "amount"),
                      [(t["plan_year"], t["status"], t["people"], t["amount"]) for t in p["true_ups"]])
    t = p["terminations"]
    if t["processed"] or t["forfeited"]:
        bases = f" ({_inline(t['by_vesting_basis'])})" if t["by_vesting_basis"] else ""
        out += ["### Terminations and forfeitures", "",
                f"{plural(t['processed'], 'termination', 'terminations')} processed{bases}; "
                f"forfeited {t['forfeited_total']}.", ""]
        if t["forfeited"]:
            out += _table(("source", "forfeited"), list(t["forfeited"].items()))
    if p["notices"]:
        out += ["### Notices", ""]
        out += _table(("code", "notices", "meaning"), [(n["code"], n["notices"], n["meaning"]) for n in p["notices"]])
    facts = [(label, p[key]) for label, key in (("RMD notices", "rmd_notices"), ("Leavers by rollover category",
                                                                                  "leavers"),
                                                ("Match windows", "match_windows")) if p[key]]
    if facts or p["settlement"]:
        out += ["### Participants", ""]
        out += [f"- {label}: {_inline(counts)}" for label, counts in facts]
        s = p["settlement"]
        if s:
            out.append(f"- To settle: {s['excess_deferral_lines']} lines of excess deferrals, {s['excess_deferral']} "
                       f"to refund; {s['match_variance_lines']} lines whose remitted match differs, remitted - "
                       f"computed {s['match_variance']}")
        out.append("")
    return out


def to_markdown(data: dict[str, Any]) -> str:
    """The report as markdown: the title (as-of date, run id's first 8 characters), what to act on first, one
    section per plan, what was left for the next run or not read, then the checks."""
    run, c = data["run"], data["run"]["counts"]
    out = [f"# Nightly report {run['as_of']} (run {run['run_id'][:8]})", "",
           f"**{'OK' if run['ok'] else 'NOT OK'}**. Files: {c['files_posted']} posted, "
           f"{c['files_all_rows_rejected']} with all rows rejected, {c['files_rejected']} rejected whole, "
           f"{c['files_skipped']} skipped, {c['files_failed']} failed, {c['files_not_run']} not run; "
           f"{c['derived_batches']} derived batches. Rows: {c['rows_read']} read, {c['rows_posted']} posted, "
           f"{c['rows_rejected']} rejected.", "", "## Act on", ""]
    if data["act_on"]:
        out += _table(("#", "what", "plan", "subject", "detail"),
                      [(i, a["kind"].replace("_", " "), a["plan_id"], a["subject"], a["detail"])
                       for i, a in enumerate(data["act_on"], 1)])
    else:
        out += ["Nothing to act on.", ""]
    for plan_id, plan in data["plans"].items():
        out += _plan_markdown(plan_id, plan)
    if data["left_for_next_run"]:
        out += ["## Left for the next run", "", "Still being written when the run looked; nothing to do.", ""]
        out += _table(("path", "why"), [(e["path"], e["reason"]) for e in data["left_for_next_run"]])
    if data["unrecognised"]:
        out += ["## Not read", ""]
        out += _table(("plan", "path", "why"), [(u["plan_id"], u["path"], u["reason"]) for u in data["unrecognised"]])
    failed = sum(not ch["passed"] for ch in data["checks"])
    out += ["## Checks", "", f"{len(data['checks']) - failed} of {len(data['checks'])} invariant checks passed.", ""]
    if data["checks"]:
        out += _table(("check", "result", "failing rows"),
                      [(ch["name"], "passed" if ch["passed"] else "**FAILED**", ch["failing_rows"])
                       for ch in data["checks"]])
    return "\n".join(out).rstrip("\n") + "\n"


# -- files ----------------------------------------------------------------------------------------------------
_TITLE_RUN = re.compile(r"^# .*\(run ([0-9A-Za-z_-]+)\)")


def _report_run(json_path: Path, md_path: Path) -> str | None:
    """The run id (or its first 8 characters) of the report already at these paths; None when none is, or
    neither file says."""
    try:
        return str(json.loads(json_path.read_text(encoding="utf-8"))["run"]["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with md_path.open(encoding="utf-8") as f:
            found = _TITLE_RUN.match(f.readline())
        return found.group(1) if found else None
    except OSError:
        return None


def _temp(folder: Path, name: str, text: str) -> Path:
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def _keep_earlier(report_dir: Path, as_of: str, paths: tuple[Path, ...], run_id: str) -> None:
    """A report for this date from another run is kept as ``<as-of>.run-<its id's first 8>.md`` / ``.json``
    (``-2``, ``-3``... should that name be taken)."""
    present = [p for p in paths if p.exists()]
    if not present:
        return
    earlier = _report_run(paths[1], paths[0])
    if earlier is not None and earlier[:8] == run_id[:8] and (len(earlier) <= 8 or earlier == run_id):
        return  # this run's own report, written again
    label = f"run-{earlier[:8]}" if earlier else "run-unknown"
    n = 1
    while True:
        stem = f"{as_of}.{label}" + (f"-{n}" if n > 1 else "")
        if not any((report_dir / f"{stem}{p.suffix}").exists() for p in paths):
            break
        n += 1
    for p in present:
        os.replace(p, report_dir / f"{stem}{p.suffix}")


def write(report_dir: Path, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write ``REPORT_DIR/<as-of>.md`` and ``.json`` (folders created; each written to a temporary file and
    moved into place, so a reader never sees half a report). A report for the same date from another run is
    kept, renamed with that run's id (``2026-01-15.run-3f2a9c1d.md``). Returns (markdown path, JSON path)."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    as_of, run_id = data["run"]["as_of"], data["run"]["run_id"]
    md_path, json_path = report_dir / f"{as_of}.md", report_dir / f"{as_of}.json"
    md_temp = _temp(report_dir, md_path.name, markdown)
    try:
        json_temp = _temp(report_dir, json_path.name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except BaseException:
        md_temp.unlink(missing_ok=True)
        raise
    try:
        _keep_earlier(report_dir, as_of, (md_path, json_path), run_id)
        os.replace(json_temp, json_path)
        os.replace(md_temp, md_path)
    except BaseException:
        md_temp.unlink(missing_ok=True)
        json_temp.unlink(missing_ok=True)
        raise
    return md_path, json_path
