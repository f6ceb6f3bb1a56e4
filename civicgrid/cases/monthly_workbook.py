"""The monthly report (`monthly.MonthlyReport`) as an .xlsx workbook a command centre hands on.

Used by `GET /cases/work/report/monthly.xlsx`. Four sheets, Summary, Rankings, Categories and Agencies,
each with a title row (the scope and the month), a bold header row and the rows under it frozen below
them. Counts are numbers, rates are fractions in percent-formatted cells (so they add up and chart in
Excel), a change of a rate is in percentage points; a rate with nothing to divide by is "—" as on the
page. Written like the case-list export (`exports`): openpyxl's write-only mode, headers translated
when written, the download recorded in the audit log. The report is small (a few hundred rows at
most), so it is written in one go.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.cases import monthly, rankings
from civicgrid.cases.exports import CONTENT_TYPE
from civicgrid.cases.figures import Rate
from civicgrid.core import audit
from civicgrid.places.access import home_places

__all__ = ["CONTENT_TYPE", "Written", "monthly_workbook"]

PERCENT = "0.0%"
POINTS = "+0.0;-0.0;0.0"
CHANGE = "+#,##0;-#,##0;0"
DECIMAL = "0.0"
COUNT = "#,##0"
DASH = "—"
# Rows above the header: the title, and when the workbook was written.
TITLE_ROWS = 2

SUMMARY: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Figure"), 26),
    (gettext_lazy("This month"), 14),
    (gettext_lazy("Last month"), 14),
    (gettext_lazy("Change"), 12),
    (gettext_lazy("What it counts"), 60),
)
RANKINGS: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Ranking"), 16),
    (gettext_lazy("Rank"), 8),
    (gettext_lazy("Name"), 24),
    (gettext_lazy("Score"), 10),
    (gettext_lazy("Last month's rank"), 12),
    (gettext_lazy("Last month's score"), 12),
    (gettext_lazy("Places up since last month"), 14),
    (gettext_lazy("Response rate"), 12),
    (gettext_lazy("Resolution rate"), 12),
    (gettext_lazy("Satisfaction rate"), 12),
    (gettext_lazy("On-time closure"), 12),
    (gettext_lazy("Verification on time"), 12),
    (gettext_lazy("Verifications"), 12),
)
CATEGORIES: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Category (major class)"), 18),
    (gettext_lazy("Category (minor class)"), 22),
    (gettext_lazy("New this month"), 14),
    (gettext_lazy("New last month"), 14),
    (gettext_lazy("Change"), 10),
    (gettext_lazy("Share of the month's new cases"), 14),
)
AGENCIES: tuple[tuple[Any, int], ...] = (
    (gettext_lazy("Agency"), 24),
    (gettext_lazy("Dispatched"), 10),
    (gettext_lazy("Response rate"), 12),
    (gettext_lazy("Return rate"), 12),
    (gettext_lazy("Closed"), 10),
    (gettext_lazy("On-time closure"), 12),
    (gettext_lazy("Resolution rate"), 12),
    (gettext_lazy("Satisfaction rate"), 12),
    (gettext_lazy("Score"), 10),
)


@dataclass
class Written:
    """A written workbook: the open file (at its start) and its download name."""

    file: IO[bytes]
    filename: str


def monthly_workbook(*, user, report: monthly.MonthlyReport) -> Written:
    """Write `report` (already refused to those who may not see it) to an .xlsx and record the download.

    The caller streams `Export.file` back and closes it (the temporary file goes with it).
    """
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        book = Workbook(write_only=True)
        bold = Font(bold=True)
        title = _("Monthly report · %(scope)s · %(month)s") % {
            "scope": report.title,
            "month": date_format(report.month, "YEAR_MONTH_FORMAT"),
        }
        stamp = _("Written %(at)s") % {
            "at": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")
        } + (f" · {_('This month so far')}" if report.partial else "")

        def sheet(name: str, columns: tuple[tuple[Any, int], ...]):
            ws = book.create_sheet(title=name[:31])
            for index, (_header, width) in enumerate(columns, start=1):
                ws.column_dimensions[get_column_letter(index)].width = width
            ws.freeze_panes = f"A{TITLE_ROWS + 2}"
            big = WriteOnlyCell(ws, value=title)
            big.font = Font(bold=True, size=14)
            ws.append([big])
            ws.append([stamp])
            ws.append([_cell(ws, str(header), font=bold) for header, _width in columns])
            return ws

        _summary(sheet(pgettext("monthly report", "Summary"), SUMMARY), report, bold)
        for name, columns, write, rows in (
            (_("Rankings"), RANKINGS, _rankings, any(r.entries for r in report.rankings)),
            (_("Categories"), CATEGORIES, _categories, bool(report.categories)),
            (_("Agencies"), AGENCIES, _agencies, bool(report.agencies)),
        ):
            ws = sheet(name, columns)
            if rows:
                write(ws, report, bold)
            else:
                ws.append([_("Nothing in this month.")])
        book.save(file)
        with transaction.atomic():
            audit.record(
                actor=user,
                action="cases.monthly_report",
                target=audit.Target(type="cases.case", text=_("Monthly report (Excel)")),
                place_code=report.region or _home_code(user),
                changes={"month": report.month.strftime("%Y-%m"), "region": report.region},
            )
    except BaseException:
        file.close()
        raise
    file.seek(0)
    suffix = f"-{report.region}" if report.region else ""
    return Written(file=file, filename=f"monthly-report-{report.month:%Y-%m}{suffix}.xlsx")


def _cell(ws, value: Any, *, number_format: str = "", font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _rate(ws, rate: Rate) -> Any:
    return DASH if rate.value is None else _cell(ws, rate.value, number_format=PERCENT)


def _number(ws, value: float | int | None, number_format: str) -> Any:
    return DASH if value is None else _cell(ws, value, number_format=number_format)


def _summary(ws, r: monthly.MonthlyReport, bold: Font) -> None:
    for v in r.volumes:
        ws.append(
            [
                v.label,
                _cell(ws, v.value, number_format=COUNT),
                _number(ws, v.previous, COUNT),
                _number(ws, v.change, CHANGE),
                v.help + ("" if v.exact else f" ({_('at least')})"),
            ]
        )
    for row in r.rates:
        ws.append(
            [
                row.label,
                _rate(ws, row.rate),
                _rate(ws, row.previous),
                _number(ws, row.change, POINTS),
                f"{row.formula} ({_('change in percentage points')})",
            ]
        )
    hours = _("Hours from the report to the last resolution, of the cases closed")
    for label, now, before, note in (
        (_("Average handling time (h)"), r.average_hours, r.previous_average_hours, hours),
        (_("Handling time, 90th percentile (h)"), r.p90_hours, r.previous_p90_hours, hours),
    ):
        change = None if now is None or before is None else now - before
        ws.append(
            [
                label,
                _number(ws, now, DECIMAL),
                _number(ws, before, DECIMAL),
                _number(ws, change, "+0.0;-0.0;0.0"),
                note,
            ]
        )
    weights = " · ".join(
        f"{label} {r.weights[key]}" for key, label, _formula, _prop in monthly.RATES if key in r.weights
    )
    ws.append(
        [
            _cell(ws, _("Composite score"), font=bold),
            _number(ws, r.score, DECIMAL),
            _number(ws, r.previous_score, DECIMAL),
            _number(ws, r.score_change, "+0.0;-0.0;0.0"),
            _("Out of 100; this month's weights: %(weights)s") % {"weights": weights},
        ]
    )


def _rankings(ws, r: monthly.MonthlyReport, _bold: Font) -> None:
    for ranking in r.rankings:
        workers = ranking.kind == "workers"
        for e in ranking.entries:
            f = e.figures
            ws.append(
                [
                    str(rankings.KINDS[ranking.kind]),
                    _number(ws, e.rank, "0"),
                    e.name,
                    _number(ws, e.score, DECIMAL),
                    _number(ws, e.previous_rank, "0"),
                    _number(ws, e.previous_score, DECIMAL),
                    _number(ws, e.rank_change, CHANGE),
                    *(
                        [None] * 4
                        if workers
                        else [
                            _rate(ws, f.response),
                            _rate(ws, f.resolution),
                            _rate(ws, f.satisfaction),
                            _rate(ws, f.on_time_closure),
                        ]
                    ),
                    _rate(ws, f.verification_on_time) if workers else None,
                    f.verification_on_time.whole if workers else None,
                ]
            )


def _categories(ws, r: monthly.MonthlyReport, bold: Font) -> None:
    subtotal = _("All minor classes")
    for major in r.categories:
        ws.append(
            [
                _cell(ws, major.category.display_name, font=bold),
                _cell(ws, subtotal, font=bold),
                _cell(ws, major.new, number_format=COUNT, font=bold),
                _cell(ws, major.previous, number_format=COUNT, font=bold),
                _cell(ws, major.change, number_format=CHANGE, font=bold),
                _rate(ws, major.share),
            ]
        )
        for minor in major.minors:
            ws.append(
                [
                    major.category.display_name,
                    minor.category.display_name,
                    _cell(ws, minor.new, number_format=COUNT),
                    _cell(ws, minor.previous, number_format=COUNT),
                    _cell(ws, minor.change, number_format=CHANGE),
                    _rate(ws, minor.share),
                ]
            )
    ws.append(
        [
            _cell(ws, _("Every category"), font=bold),
            None,
            _cell(ws, r.new_total, number_format=COUNT, font=bold),
            _cell(ws, r.previous_new_total, number_format=COUNT, font=bold),
            _cell(ws, r.new_total - r.previous_new_total, number_format=CHANGE, font=bold),
            None,
        ]
    )


def _agencies(ws, r: monthly.MonthlyReport, _bold: Font) -> None:
    for a in r.agencies:
        f = a.figures
        ws.append(
            [
                a.name,
                _cell(ws, f.dispatched, number_format=COUNT),
                _rate(ws, f.response),
                _rate(ws, f.returns),
                _cell(ws, f.closed, number_format=COUNT),
                _rate(ws, f.on_time_closure),
                _rate(ws, f.resolution),
                _rate(ws, f.satisfaction),
                _number(ws, a.score, DECIMAL),
            ]
        )


def _home_code(user) -> str:
    codes = [p.code for p in home_places(user)]
    return codes[0] if len(codes) == 1 else ""
