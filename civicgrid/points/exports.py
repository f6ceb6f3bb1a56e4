"""Excel exports of a community's points: its ledger entries and its people's balances.

Streamed like `cases/exports.py`: openpyxl's write-only mode writes each row to a temporary file,
and rows are read as plain values through a streaming cursor, never as one list. Phones are masked:
an export is handed on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from civicgrid.core import audit
from civicgrid.lib.privacy import mask_phone
from civicgrid.places.models import Place
from civicgrid.points import access
from civicgrid.points.models import ALL_TEAMS, Account, Entry, Tally
from civicgrid.points.presenters import entry_words

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 2000

LEDGER_COLUMNS = (
    gettext_lazy("Entry"),
    gettext_lazy("Time"),
    gettext_lazy("Person"),
    gettext_lazy("Mobile number"),
    gettext_lazy("Kind"),
    gettext_lazy("Points"),
    gettext_lazy("Balance after"),
    gettext_lazy("Source"),
    gettext_lazy("Rules version"),
    gettext_lazy("Reverses entry"),
    gettext_lazy("Not deducted"),
)
BALANCE_COLUMNS = (
    gettext_lazy("Person"),
    gettext_lazy("Mobile number"),
    gettext_lazy("Balance"),
    gettext_lazy("Earned here (all time)"),
)


@dataclass
class Export:
    file: IO[bytes]
    filename: str
    rows: int


def _write(title: str, columns, rows: Iterator[list[Any]]) -> tuple[IO[bytes], int]:
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        sheet.append(values)
        count += 1
    book.save(file)
    file.seek(0)
    return file, count


def _ledger_rows(community: Place) -> Iterator[list[Any]]:
    qs = (
        Entry.objects.filter(community=community)
        .select_related("user", "rule")
        .order_by("id")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for entry in qs:
        yield [
            entry.pk,
            timezone.localtime(entry.at).replace(tzinfo=None),
            str(entry.user),
            mask_phone(entry.user.phone),
            entry.get_kind_display(),
            entry.amount,
            entry.balance_after,
            entry_words(entry),
            entry.rule.version if entry.rule else None,
            entry.reverses_id,
            entry.shortfall or None,
        ]


def _balance_rows(community: Place) -> Iterator[list[Any]]:
    earned = (
        Tally.objects.filter(community=community, team_id=ALL_TEAMS)
        .values("user_id", "user__display_name", "user__username", "user__phone")
        .annotate(total=Sum("earned"))
        .order_by("user_id")
    )
    chunk: list[dict] = []

    def flush(rows: list[dict]) -> Iterator[list[Any]]:
        balances = dict(
            Account.objects.filter(pk__in=[r["user_id"] for r in rows]).values_list("pk", "balance")
        )
        for r in rows:
            yield [
                r["user__display_name"] or r["user__username"],
                mask_phone(r["user__phone"]),
                balances.get(r["user_id"], 0),
                r["total"],
            ]

    for row in earned.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)


def points_export(*, user, community: Place, what: str) -> Export:
    """Write the community's ledger ("ledger") or balances ("balances") to an .xlsx; record the disclosure."""
    access.check_manage(user, community)
    if what == "ledger":
        file, rows = _write(_("Points ledger"), LEDGER_COLUMNS, _ledger_rows(community))
    else:
        file, rows = _write(_("Points balances"), BALANCE_COLUMNS, _balance_rows(community))
    try:
        with transaction.atomic():
            audit.record(
                actor=user,
                action="points.export",
                target=community,
                place_code=community.code,
                changes={"export": what, "rows": rows},
            )
    except BaseException:
        file.close()
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Export(file=file, filename=f"points-{what}-{community.code}-{stamp}.xlsx", rows=rows)
