"""The Excel export of a town's task board, for the town's staff. Written like the other exports:
openpyxl's write-only mode streams rows to a temporary file, read with a streaming cursor in
chunks (at most `selectors_board.EXPORT_MAX_ROWS`); each export is an audit entry."""

from __future__ import annotations

import tempfile

from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.core import audit
from civicgrid.core.errors import PermissionDenied
from civicgrid.governance import access, selectors_board
from civicgrid.governance.models import Matter
from civicgrid.places.models import Place

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    (gettext_lazy("Number on the board"), 10),
    (gettext_lazy("Title of the matter"), 30),
    (gettext_lazy("State of the matter"), 14),
    (gettext_lazy("Place it serves"), 20),
    (gettext_lazy("Place code"), 17),
    (gettext_lazy("Village / community"), 16),
    (gettext_lazy("What is needed"), 40),
    (gettext_lazy("Budget (yuan)"), 12),
    (gettext_lazy("Deadline"), 12),
    (gettext_lazy("Published by"), 14),
    (gettext_lazy("Published at"), 17),
    (gettext_lazy("Kind of claimant"), 14),
    (gettext_lazy("Claimant"), 22),
    (gettext_lazy("Claimed at"), 17),
    (gettext_lazy("Plan"), 40),
    (gettext_lazy("Progress reports"), 10),
    (gettext_lazy("Last step at"), 17),
    (gettext_lazy("Completed at"), 17),
    (gettext_lazy("Verified at"), 17),
)
CHUNK = 1000


def _local(moment):
    """A time as the town reads it, without its zone (Excel keeps none)."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def board_workbook(user, town: Place) -> FileResponse:
    """The town's matters, one row each: published ones newest first, then its drafts for those who
    read them."""
    if not access.can_export_board(user, town):
        raise PermissionDenied(_("You may not export this town's task board."))
    states = {k: str(v) for k, v in Matter.State.choices}
    kinds = {k: str(v) for k, v in Matter.ClaimantKind.choices}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Task board"))
    for i, (_label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header = []
    for label, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    rows = 0
    batch: list[tuple] = []

    def flush() -> None:
        counts = selectors_board.update_counts([r[0] for r in batch])
        for row in batch:
            (pk, title, state, region, code, village, need, budget, deadline, publisher, published_at,
             claimant_kind, claimant, claimed_at, plan, completed_at, verified_at) = row  # fmt: skip
            progress, last = counts.get(pk, (0, None))
            sheet.append(
                [
                    pk,
                    title,
                    states.get(state, state),
                    region,
                    code,
                    village or "",
                    need,
                    budget,
                    deadline,
                    publisher,
                    _local(published_at),
                    kinds.get(claimant_kind, claimant_kind),
                    claimant,
                    _local(claimed_at),
                    plan,
                    progress,
                    _local(last),
                    _local(completed_at),
                    _local(verified_at),
                ]
            )
        batch.clear()

    for row in selectors_board.export_rows(user, town, chunk=CHUNK):
        batch.append(row)
        rows += 1
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    workbook.save(file)
    file.seek(0)
    with transaction.atomic():
        audit.record(
            actor=user,
            action="governance.board_export",
            target=town,
            place_code=town.code,
            changes={"rows": {"to": rows}},
        )
    filename = f"task-board-{town.code}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(file, as_attachment=True, filename=filename, content_type=CONTENT_TYPE)
