"""Excel exports of coverage: the coverage table (region × category × kind) and the target list.

Written like `volunteers.exports`: openpyxl's write-only mode into a temporary file, the targets read
as plain values with a streaming cursor. Each export is an audit entry ("orgs.export").
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.core import audit
from civicgrid.orgs import coverage
from civicgrid.orgs.models import CoverageKind, TargetCategory
from civicgrid.places.models import Place

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_COLUMNS = (
    (gettext_lazy("Region code"), 16),
    (gettext_lazy("Region"), 20),
    (gettext_lazy("Category"), 18),
    (gettext_lazy("Kind of coverage"), 16),
    (gettext_lazy("Active targets"), 12),
    (gettext_lazy("Covered"), 10),
    (gettext_lazy("Rate"), 10),
)
TARGET_COLUMNS = (
    (gettext_lazy("Name"), 30),
    (gettext_lazy("Category"), 18),
    (gettext_lazy("Region code"), 16),
    (gettext_lazy("Region"), 20),
    (gettext_lazy("Unified social credit code"), 22),
    (gettext_lazy("Women members / employees"), 12),
    (gettext_lazy("Active from"), 12),
    (gettext_lazy("Closed on"), 12),
    (gettext_lazy("Organisation coverage"), 12),
    (gettext_lazy("Work coverage"), 12),
    (gettext_lazy("Activity coverage"), 12),
)


@dataclass
class Export:
    file: IO[bytes]
    filename: str
    rows: int


def _sheet(book: Workbook, title: str, columns) -> object:
    sheet = book.create_sheet(title=title[:31])
    for index, (_title, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title_, _width in columns:
        cell = WriteOnlyCell(sheet, value=str(title_))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def _finish(user, file, rows: int, name: str, place: Place | None, what: str) -> Export:
    with transaction.atomic():
        audit.record(
            actor=user,
            action="orgs.export",
            target=place if place is not None else audit.Target("places.place", "", _("All regions")),
            place_code=place.code if place is not None else "",
            changes={"export": what, "rows": rows},
        )
    file.seek(0)
    return Export(file=file, filename=f"{name}-{timezone.localdate():%Y%m%d}.xlsx", rows=rows)


def coverage_table_export(*, user, place: Place | None, category: str | None = None) -> Export:
    """Today's figures of `place` (None: the user's regions) and of each child region, per category and kind.

    One GROUP BY over the kept flags by child region and category; access is checked by `coverage`.
    """
    condition = coverage.scope_condition(user, place)
    column = coverage.CHILD_COLUMN.get(place.level) if place is not None else "district"
    qs = coverage.kept_queryset(condition, category)
    counts = {"active": Count("pk")}
    counts.update({k: Count("pk", filter=Q(**{f: True})) for k, f in coverage.KIND_FIELD.items()})
    grouped = list(qs.values(column or "village", "category").annotate(**counts)) if column else []
    places = Place.objects.in_bulk({r[column] for r in grouped if r[column]}) if column else {}
    totals = list(qs.values("category").annotate(**counts).order_by("category"))
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        book = Workbook(write_only=True)
        sheet = _sheet(book, _("Coverage"), TABLE_COLUMNS)
        categories = dict(TargetCategory.choices)
        kinds = dict(CoverageKind.choices)
        rows = 0

        def write(code: str, name: str, row: dict) -> None:
            nonlocal rows
            for kind in coverage.KINDS:
                rate = WriteOnlyCell(sheet, value=(row[kind] / row["active"]) if row["active"] else None)
                rate.number_format = "0.0%"
                sheet.append(
                    [
                        code,
                        name,
                        str(categories[row["category"]]),
                        str(kinds[kind]),
                        row["active"],
                        row[kind],
                        rate,
                    ]
                )
                rows += 1

        top_code, top_name = (place.code, place.display_name) if place else ("", _("All my regions"))
        for row in totals:
            write(top_code, top_name, row)
        grouped.sort(key=lambda r: (places[r[column]].code if r[column] else "~", r["category"]))
        for row in grouped:
            child = places.get(row[column])
            write(
                child.code if child else "", child.display_name if child else _("Directly in the region"), row
            )
        book.save(file)
    except BaseException:
        file.close()
        raise
    return _finish(user, file, rows, f"coverage-{top_code or 'all'}", place, "coverage")


def targets_export(*, user, filters: coverage.TargetFilter) -> Export:
    """The targets of the list page with the same filters, every row (streamed)."""
    qs = coverage.target_list(user, filters).values(
        "name",
        "category",
        "region__code",
        "region__name",
        "credit_code",
        "size",
        "active_from",
        "active_to",
        "covered_org",
        "covered_work",
        "covered_activity",
    )
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        book = Workbook(write_only=True)
        sheet = _sheet(book, _("Coverage targets"), TARGET_COLUMNS)
        categories = dict(TargetCategory.choices)
        yes, no = _("Yes"), _("No")
        rows = 0
        for v in qs.iterator(chunk_size=2000):
            days = []
            for key in ("active_from", "active_to"):
                cell = WriteOnlyCell(sheet, value=v[key])
                cell.number_format = "yyyy-mm-dd"
                days.append(cell)
            sheet.append(
                [
                    v["name"],
                    str(categories.get(v["category"], v["category"])),
                    v["region__code"],
                    v["region__name"],
                    v["credit_code"] or "",
                    v["size"],
                    *days,
                    *(yes if v[f] else no for f in ("covered_org", "covered_work", "covered_activity")),
                ]
            )
            rows += 1
        book.save(file)
    except BaseException:
        file.close()
        raise
    place = filters.place
    return _finish(user, file, rows, f"coverage-targets-{place.code if place else 'all'}", place, "targets")
