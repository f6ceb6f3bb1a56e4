"""Excel exports of case lists: the rows of a filtered work list as an .xlsx a clerk can hand on.

Used by `GET /cases/work/export.xlsx` (the command centre's "Export to Excel"). The rows are those of
`selectors.case_list` for the same user and filters as the list on screen, so an export never holds
a case its user may not see. The workbook is written in constant memory: openpyxl's write-only mode
streams each row to a temporary file, and the cases are read as plain values in chunks of a streaming
cursor (one more query per chunk for the co-handling agencies), never as one list nor by OFFSET.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.cases import selectors, selectors_work
from civicgrid.cases.answers import answer_items
from civicgrid.cases.models import Case, Satisfaction
from civicgrid.cases.selectors import CaseFilters
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.places.access import home_places

CHUNK_SIZE = 2000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm"

# The columns: header and width (in characters). No reporter's name or phone: an export is handed on.
COLUMNS: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Tracking number"), 18),
    (gettext_lazy("Category (major class)"), 14),
    (gettext_lazy("Category (minor class)"), 18),
    (gettext_lazy("District"), 12),
    (gettext_lazy("Town"), 12),
    (gettext_lazy("Village"), 14),
    (gettext_lazy("Grid"), 14),
    (gettext_lazy("Address"), 30),
    (gettext_lazy("Source"), 12),
    (gettext_lazy("Current step"), 14),
    (gettext_lazy("Reported at"), 17),
    (gettext_lazy("Step deadline"), 17),
    (pgettext_lazy("export column", "Overdue"), 10),
    (gettext_lazy("Lead agency"), 20),
    (gettext_lazy("Co-handling agencies"), 24),
    (gettext_lazy("Responded at"), 17),
    (gettext_lazy("Resolved at"), 17),
    (gettext_lazy("Closed at"), 17),
    (gettext_lazy("Solved (rating)"), 10),
    (gettext_lazy("Satisfaction"), 12),
    # The answers to the category's questions ("label: value; …").
    (gettext_lazy("Answers"), 30),
)


@dataclass
class Export:
    """A written workbook: the open file (at its start), its download name and how many cases it holds."""

    file: IO[bytes]
    filename: str
    rows: int


def export_count(*, user, filters: CaseFilters, limit: int) -> int:
    """Return how many cases the list holds, counting no further than `limit` (one capped subquery)."""
    return selectors.case_list(user=user, filters=filters).order_by().values("pk")[:limit].count()


def case_export(*, user, filters: CaseFilters, now: datetime | None = None) -> Export:
    """Write the cases of `user`'s list with `filters` to an .xlsx and record the disclosure.

    1. Count the list up to CASE_EXPORT_MAX_ROWS + 1; refuse a longer one (nothing is written).
    2. Write the header (bold, frozen) and one row per case, in the list's order, to a temporary file.
    3. Record an audit entry ("cases.export") with the filters and the row count.
    The caller streams `Export.file` back and closes it (the temporary file goes with it).
    """
    now = now or timezone.now()
    cap = settings.CASE_EXPORT_MAX_ROWS
    if export_count(user=user, filters=filters, limit=cap + 1) > cap:
        raise ApplicationError(
            _(
                "This list holds more than %(cap)s cases, more than one export may hold. "
                "Narrow it (a period, a region, a category) and export again."
            )
            % {"cap": number_format(cap, force_grouping=True)},
            code="export_too_large",
            extra={"cap": cap},
        )
    qs = selectors.case_list(user=user, filters=filters)
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        rows = _write(file, _rows(qs, now))
        with transaction.atomic():
            audit.record(
                actor=user,
                action="cases.export",
                target=audit.Target(type="cases.case", text=_("Case list (Excel)")),
                place_code=_place_code(user, filters),
                changes={"filters": _filters_record(filters), "rows": rows},
            )
    except BaseException:
        file.close()
        raise
    file.seek(0)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return Export(file=file, filename=f"cases-{stamp}.xlsx", rows=rows)


def _write(file: IO[bytes], rows: Iterator[list[Any]]) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Cases")[:31])
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        sheet.append([_cell(sheet, value) for value in values])
        count += 1
    book.save(file)
    return count


def _cell(sheet, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


# The fields a row reads: plain values, not model instances (a chunk of 2,000 cases with their places
# and agencies as objects would take tens of MB; as tuples, a few).
_FIELDS = (
    "pk",
    "tracking_number",
    "category__code",
    "answers",
    "category__name",
    "category__name_en",
    "category__parent__name",
    "category__parent__name_en",
    "district__name",
    "district__name_en",
    "town__name",
    "town__name_en",
    "village__name",
    "village__name_en",
    "grid__name",
    "grid__name_en",
    "address",
    "source",
    "state",
    "created_at",
    "step_due_at",
    "is_overdue",
    "lead_agency__name",
    "lead_agency__name_en",
    "responded_at",
    "resolved_at",
    "closed_at",
    "solved",
    "satisfaction",
)


def _chunks(qs: QuerySet[Case]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for values in qs.values(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        chunk.append(values)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _co_agencies(case_ids: list[int], english: bool) -> dict[int, list[str]]:
    """Return the co-handling agencies' names of these cases, by case id (one query)."""
    through = Case.co_agencies.through
    names: dict[int, list[str]] = {}
    rows = through.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "agency__name", "agency__name_en"
    )
    for case_id, name, name_en in rows:
        names.setdefault(case_id, []).append(name_en if english and name_en else name)
    return names


def _rows(qs: QuerySet[Case], now: datetime) -> Iterator[list[Any]]:
    """Yield each case's cells, chunk by chunk, with one more query per chunk for the co-agencies."""
    english = (get_language() or "").startswith("en")
    yes, no = _("Yes"), _("No")
    solved = {True: _("Solved"), False: _("Not solved"), None: ""}
    sources = dict(Case.Source.choices)
    states = dict(Case.State.choices)
    satisfaction = dict(Satisfaction.choices)

    def name(v: dict[str, Any], key: str) -> str:
        return (english and v[f"{key}__name_en"]) or v[f"{key}__name"] or ""

    for chunk in _chunks(qs):
        co = _co_agencies([v["pk"] for v in chunk], english)
        for v in chunk:
            has_parent = v["category__parent__name"] is not None
            step = _Step(v["state"], v["is_overdue"], v["step_due_at"])
            yield [
                v["tracking_number"],
                name(v, "category__parent") if has_parent else name(v, "category"),
                name(v, "category") if has_parent else "",
                name(v, "district"),
                name(v, "town"),
                name(v, "village"),
                name(v, "grid"),
                v["address"],
                str(sources.get(v["source"], v["source"])),
                str(states.get(v["state"], v["state"])),
                _local(v["created_at"]),
                _local(v["step_due_at"]),
                yes if selectors_work.due_status(step, now) == "overdue" else no,
                name(v, "lead_agency"),
                "、".join(sorted(co.get(v["pk"], []))),
                _local(v["responded_at"]),
                _local(v["resolved_at"]),
                _local(v["closed_at"]),
                solved[v["solved"]],
                str(satisfaction.get(v["satisfaction"], "")) if v["satisfaction"] else "",
                "; ".join(f"{a.label}: {a.text}" for a in answer_items(v["category__code"], v["answers"])),
            ]


@dataclass(frozen=True)
class _Step:
    """What `selectors_work.due_status` reads of a case, from the exported values."""

    state: str
    is_overdue: bool
    step_due_at: datetime | None


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: a naive local time reads as the clock on the wall showed it.
    return None if moment is None else timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _place_code(user, filters: CaseFilters) -> str:
    """Return the code the audit entry is filed under: the filtered region, else the user's area."""
    if filters.region:
        return filters.region
    codes = [p.code for p in home_places(user)]
    return codes[0] if len(codes) == 1 else ""


def _filters_record(filters: CaseFilters) -> dict[str, Any]:
    """Return the filters that narrow the list (the empty ones left out), as JSON values."""
    record: dict[str, Any] = {}
    for field in fields(filters):
        value = getattr(filters, field.name)
        if field.name == "now" or value == field.default:
            continue
        record[field.name] = value.isoformat() if isinstance(value, date | datetime) else value
    return record
