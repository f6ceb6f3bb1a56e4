"""Excel exports of the service record (志愿服务记录): approved hours of a volunteer, a team or a community.

Written like `cases.exports`: openpyxl's write-only mode streams rows to a temporary file, records
read as plain values with a streaming cursor. Each export is an audit entry (it discloses names).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from typing import IO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.places.models import Place
from civicgrid.volunteers import access, selectors
from civicgrid.volunteers.choices import ServiceField
from civicgrid.volunteers.models import HoursRecord, Team, Volunteer

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    (gettext_lazy("Name"), 12),
    (gettext_lazy("Volunteer number"), 20),
    (gettext_lazy("Day of service"), 12),
    (gettext_lazy("Service content"), 30),
    (gettext_lazy("Service field"), 14),
    (gettext_lazy("Organiser"), 20),
    (gettext_lazy("Hours"), 8),
    (gettext_lazy("Record kind"), 12),
)


@dataclass
class Export:
    file: IO[bytes]
    filename: str
    rows: int


def hours_export(
    *,
    user,
    volunteer: Volunteer | None = None,
    team: Team | None = None,
    community: Place | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Export:
    """Write the approved hours of one volunteer, team or community to an .xlsx (access checked here)."""
    if volunteer is not None:
        access.check_view_volunteer(user, volunteer)
        target, name = volunteer, volunteer.number
        place_code = volunteer.community.code
    elif team is not None:
        access.check_manage_team(user, team)
        target, name, place_code = team, f"team-{team.pk}", team.community.code
    elif community is not None:
        access.check_manage_community(user, community)
        target, name, place_code = community, community.code, community.code
    else:
        raise ApplicationError(_("Say whose hours to export."), code="invalid")
    qs = selectors.approved_hours(
        volunteer=volunteer, team=team, community=community, date_from=date_from, date_to=date_to
    )
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        rows = _write(file, qs)
        with transaction.atomic():
            audit.record(
                actor=user,
                action="volunteers.export",
                target=target,
                place_code=place_code,
                changes={"rows": rows, "from": date_from, "to": date_to},
            )
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return Export(file=file, filename=f"volunteer-hours-{name}-{timezone.localdate():%Y%m%d}.xlsx", rows=rows)


def _write(file: IO[bytes], qs) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Service record")[:31])
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    fields = dict(ServiceField.choices)
    kinds = dict(HoursRecord.Kind.choices)
    count = 0
    values = qs.values(
        "volunteer__real_name",
        "volunteer__number",
        "day",
        "content",
        "service_field",
        "team__name",
        "community__name",
        "minutes",
        "kind",
    )
    for v in values.iterator(chunk_size=2000):
        day = WriteOnlyCell(sheet, value=v["day"])
        day.number_format = "yyyy-mm-dd"
        sheet.append(
            [
                v["volunteer__real_name"],
                v["volunteer__number"],
                day,
                v["content"],
                str(fields.get(v["service_field"], v["service_field"])),
                v["team__name"] or v["community__name"],
                round(v["minutes"] / 60, 2),
                str(kinds.get(v["kind"], v["kind"])),
            ]
        )
        count += 1
    book.save(file)
    return count
