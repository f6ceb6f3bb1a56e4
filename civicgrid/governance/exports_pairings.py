"""The town's co-governance figures as an Excel workbook: a sheet of villages, a sheet of pairings.

The figures are `figures.town_figures` (its access rule and its six queries); the workbook is written
in openpyxl's write-only mode into a temporary file, and each export is an audit entry
("governance.figures_export"), as the other apps' exports are.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.core import audit
from civicgrid.governance.figures import Period, Row, town_figures
from civicgrid.places.models import Place

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Export:
    file: IO[bytes]
    filename: str
    rows: int


def _sheet(book: Workbook, title: str, columns: list[tuple[str, int]]):
    sheet = book.create_sheet(title=title[:31])
    for index, (_title, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for name, _width in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def _row_values(name: str, row: Row) -> list:
    rate = None if row.on_time_percent is None else row.on_time_percent / 100
    return [
        name,
        row.meetings_held,
        row.decisions_due,
        row.decisions_on_time,
        rate,
        row.matters_claimed,
        row.matters_completed,
        row.matters_verified,
    ]


def figures_export(*, user, town: Place, period: Period) -> Export:
    """The figures of `town` over `period` as a workbook (refused as `town_figures` refuses)."""
    figures = town_figures(user, town, period)
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    rows = 0
    try:
        book = Workbook(write_only=True)
        sheet = _sheet(
            book,
            _("By village"),
            [
                (_("Village or community"), 22),
                (_("Meetings held"), 12),
                (_("Decisions due"), 12),
                (_("Done on time"), 12),
                (_("On-time rate"), 12),
                (_("Matters claimed"), 12),
                (_("Matters completed"), 12),
                (_("Matters verified"), 12),
            ],
        )
        lines = [(r.place.display_name, r) for r in figures.villages]
        lines.append((_("Town-wide matters"), figures.town_wide))
        lines.append((_("Whole town"), figures.total))
        for name, row in lines:
            values = _row_values(name, row)
            rate = WriteOnlyCell(sheet, value=values[4])
            rate.number_format = "0.0%"
            values[4] = rate
            sheet.append(values)
            rows += 1
        sheet = _sheet(
            book,
            _("Support per pairing"),
            [
                (_("Village or community"), 20),
                (_("Partner"), 28),
                (_("Kind of pairing"), 22),
                (_("Visits"), 10),
                (_("Funds (yuan)"), 14),
                (_("Loans (yuan)"), 14),
                (_("Matters taken up"), 12),
            ],
        )
        for line in figures.pairings:
            p, t = line.pairing, line.totals
            money = []
            for value in (t.funds, t.loans):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00"
                money.append(cell)
            sheet.append(
                [p.village.display_name, p.partner_name, p.get_kind_display(), t.visits, *money, t.matters]
            )
            rows += 1
        book.save(file)
    except BaseException:
        file.close()
        raise
    with transaction.atomic():
        audit.record(
            actor=user,
            action="governance.figures_export",
            target=town,
            place_code=town.code,
            changes={"export": "figures", "period": period.key, "rows": rows},
        )
    file.seek(0)
    return Export(file=file, filename=f"co-governance-{town.code}-{period.key}.xlsx", rows=rows)
