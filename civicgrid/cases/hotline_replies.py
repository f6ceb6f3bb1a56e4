"""Replies back to the 12345 hotline: each order's result in the hotline's own reply shape.

For the orders of the reader's region (`access.hotline_reply_scope`: a town command centre, a
district's or city's administrators), one row per order: 工单编号, 办理结果, 答复内容, 办结时间,
承办单位, 是否按时, 受理时间, 诉求类型. The result follows the case's state (`RESULT_OF_STATE`); the reply
is the last note the handlers wrote *to the reporter* (a resolution, a rejection's reason: the
workflow marks them `note_is_reply`), never an internal note nor a staff member's name, and mobile
numbers in it are masked; the time it was finished is when it was resolved (or returned, merged).
"On time" compares that with the order's own time limit (`HotlineOrder.due_at`), else the case's
resolution deadline.

Read a page at a time by keyset on (received_at, id), the order of `hotline_order_received_idx`;
used by the reply workbook (`reply_workbook`, the page `views_hotline_replies`) and the pull API
(`api_hotline`). Both give the same rows; the workbook in Chinese, the API with English names.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civicgrid.accounts.models import User
from civicgrid.cases import access
from civicgrid.cases.models import Case, CaseEvent, HotlineOrder
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.lib import keyset
from civicgrid.lib.privacy import mask_phone
from civicgrid.places.access import home_places

S = Case.State

# The result codes (the API's `result`) and the hotline's words for them (the workbook's 办理结果).
HANDLED = "handled"
IN_PROGRESS = "in_progress"
RETURNED = "returned"
MERGED = "merged"
SUSPENDED = "suspended"
RESULT_OF_STATE: dict[str, str] = {
    S.RESOLVED: HANDLED,
    S.CLOSED: HANDLED,
    S.REJECTED: RETURNED,
    S.MERGED: MERGED,
    S.SUSPENDED: SUSPENDED,
}
# The hotline platform's own vocabulary: the same words whatever the reader's language.
RESULT_WORDS: dict[str, str] = {
    HANDLED: "办结",
    IN_PROGRESS: "办理中",
    RETURNED: "退回",
    MERGED: "合并办理",
    SUSPENDED: "挂账",
}
KIND_WORDS: dict[str, str] = {
    HotlineOrder.Kind.CONSULTATION: "咨询",
    HotlineOrder.Kind.HELP: "求助",
    HotlineOrder.Kind.COMPLAINT: "投诉",
    HotlineOrder.Kind.REPORT: "举报",
    HotlineOrder.Kind.SUGGESTION: "建议",
    HotlineOrder.Kind.OTHER: "其他",
}
# The states whose order has its answer: handled, returned or merged ("only handled" keeps these).
HANDLED_STATES = (S.RESOLVED, S.CLOSED)
FINISHED_STATES = (*HANDLED_STATES, S.REJECTED, S.MERGED)

# The order of every read: as received, then by id (`hotline_order_received_idx`); orders with no
# received time last.
ORDER = keyset.Order(
    "h",
    (keyset.Column("received_at", "time", nullable=True), keyset.Column("id", "int")),
)
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# The workbook reads the list this many rows at a time.
WORKBOOK_CHUNK = 1000

_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass(frozen=True)
class ReplyFilters:
    """Which orders: received or finished between two days (inclusive, local time), finished at or
    after a moment (the API's `closed_since`), only those with their answer, or all."""

    received_from: date | None = None
    received_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    closed_since: datetime | None = None
    handled_only: bool = False


@dataclass(frozen=True)
class ReplyRow:
    """One order's reply, as the hotline takes it back."""

    id: int
    order_number: str
    tracking_number: str
    result: str  # a code of RESULT_WORDS
    reply: str
    closed_at: datetime | None
    handling_unit: str
    on_time: bool | None  # None: not finished and not yet late, or no time limit
    received_at: datetime | None
    kind: str  # a HotlineOrder.Kind value

    @property
    def result_words(self) -> str:
        return RESULT_WORDS[self.result]

    @property
    def kind_words(self) -> str:
        return KIND_WORDS.get(self.kind, KIND_WORDS[HotlineOrder.Kind.OTHER])

    @property
    def on_time_words(self) -> str:
        return "" if self.on_time is None else ("是" if self.on_time else "否")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


T = TypeVar("T")


def answered_at(case: Case, at: datetime) -> datetime | None:
    """When `case` got its answer, as of its step recorded `at` (`answer_time`)."""
    return answer_time(case.state, case.resolved_at, case.closed_at, at)


def answer_time(state: str, resolved_at: T | None, closed_at: T | None, at: T) -> T | None:
    """When a case in `state` got its answer, as of its step at `at`: resolved (or closed) for a handled
    one, that step for one returned or merged; None while it is open (a reopened case too). The times
    may be datetimes or, for the bulk generator, epoch seconds."""
    if state in HANDLED_STATES:
        return resolved_at or closed_at or at
    if state in (S.REJECTED, S.MERGED):
        return at
    return None


def order_answered(case: Case, at: datetime) -> None:
    """Keep the 12345 order's `answered_at` after a step of its case (in that step's transaction)."""
    if case.source == Case.Source.HOTLINE:
        HotlineOrder.objects.filter(case_id=case.pk).update(answered_at=answered_at(case, at))


def reply_orders(*, user: User, filters: ReplyFilters) -> QuerySet[HotlineOrder]:
    """Return the orders of `user`'s region with `filters`, in ORDER, with `finished` (answered_at);
    refuses (PermissionDenied) who may not read replies."""
    scope = access.hotline_reply_scope(user, through="case__")
    qs = HotlineOrder.objects.select_related(
        "case", "case__lead_agency", "case__grid", "case__village", "case__town"
    ).annotate(finished=models.F("answered_at"))
    if scope is not None:
        qs = qs.filter(scope)
    if filters.received_from:
        qs = qs.filter(received_at__gte=_day_start(filters.received_from))
    if filters.received_to:
        qs = qs.filter(received_at__lte=_day_end(filters.received_to))
    if filters.handled_only:
        qs = qs.filter(case__state__in=FINISHED_STATES)
    if filters.closed_from:
        qs = qs.filter(answered_at__gte=_day_start(filters.closed_from))
    if filters.closed_to:
        qs = qs.filter(answered_at__lte=_day_end(filters.closed_to))
    if filters.closed_since:
        qs = qs.filter(answered_at__gte=filters.closed_since)
    return qs.order_by(*ORDER.order_by())


def _replies(case_ids: list[int]) -> dict[int, str]:
    """Return the last note written to the reporter of each case (one query over the page's cases)."""
    found: dict[int, str] = {}
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids, note_is_reply=True)
        .exclude(note="")
        .order_by("case_id", "-id")
        .values_list("case_id", "note")
    )
    for case_id, note in rows:
        found.setdefault(case_id, note)
    return found


def reply_text(note: str) -> str:
    """Return a reply note as the hotline gets it: mobile numbers masked (a handler's own, a
    neighbour's), the rest as written."""
    return _MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), (note or "").strip())


def _handling_unit(order: HotlineOrder) -> str:
    """The order's handling unit as the hotline named it, else who handles the case: its lead agency,
    its village or grid, else its town."""
    if order.handling_unit:
        return order.handling_unit
    case = order.case
    by_handler = {"agency": case.lead_agency, "village": case.village, "grid": case.grid}
    for place in (by_handler.get(case.handler), case.lead_agency, case.grid, case.village, case.town):
        if place is not None:
            return place.name
    return ""


def _on_time(order: HotlineOrder, done: datetime | None, now: datetime) -> bool | None:
    deadline = order.due_at or order.case.resolution_due_at
    if deadline is None:
        return None
    if done is not None:
        return done <= deadline
    return False if now > deadline else None


def reply_rows(orders: list[HotlineOrder], *, now: datetime | None = None) -> list[ReplyRow]:
    """Return the reply rows of orders read by `reply_orders` (one more query for the replies)."""
    now = now or timezone.now()
    notes = _replies([o.case_id for o in orders])
    rows = []
    for order in orders:
        case = order.case
        done = getattr(order, "finished", None)
        rows.append(
            ReplyRow(
                id=order.pk,
                order_number=order.order_number,
                tracking_number=case.tracking_number,
                result=RESULT_OF_STATE.get(case.state, IN_PROGRESS),
                reply=reply_text(notes.get(case.pk, "")),
                closed_at=done,
                handling_unit=_handling_unit(order),
                on_time=_on_time(order, done, now),
                received_at=order.received_at,
                kind=order.kind,
            )
        )
    return rows


def reply_page(
    *, user: User, filters: ReplyFilters, cursor: str = "", size: int = PAGE_SIZE, now: datetime | None = None
) -> keyset.Page:
    """Return one page of reply rows after `cursor` (keyset; `keyset.InvalidCursor` for a bad one)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = keyset.page_after(reply_orders(user=user, filters=filters), ORDER, cursor, size)
    return keyset.Page(reply_rows(page.items, now=now), page.next_cursor)


def iter_replies(*, user: User, filters: ReplyFilters, now: datetime | None = None) -> Iterator[ReplyRow]:
    """Yield every reply row of the list, a keyset page at a time."""
    cursor = ""
    while True:
        page = reply_page(user=user, filters=filters, cursor=cursor, size=WORKBOOK_CHUNK, now=now)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


# ---------------------------------------------------------------------------------------------
# The workbook

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
# The hotline's reply columns (its own Chinese headers, whatever the reader's language) and widths.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("工单编号", 20),
    ("办理结果", 10),
    ("答复内容", 60),
    ("办结时间", 20),
    ("承办单位", 24),
    ("是否按时", 10),
    ("受理时间", 20),
    ("诉求类型", 10),
)


@dataclass
class ReplyWorkbook:
    """A written reply workbook: the open file (at its start), its download name, its row count."""

    file: IO[bytes]
    filename: str
    rows: int


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: the local wall time, as the hotline platform reads it.
    return timezone.localtime(moment).replace(tzinfo=None) if moment is not None else None


def _values(row: ReplyRow) -> list[Any]:
    return [
        row.order_number,
        row.result_words,
        row.reply,
        _local(row.closed_at),
        row.handling_unit,
        row.on_time_words,
        _local(row.received_at),
        row.kind_words,
    ]


def reply_workbook(*, user: User, filters: ReplyFilters, now: datetime | None = None) -> ReplyWorkbook:
    """Write the reply rows of `user`'s orders with `filters` to an .xlsx and record the disclosure.

    1. Count the orders up to CASE_EXPORT_MAX_ROWS + 1; refuse more (nothing is written).
    2. Write the header (bold, frozen, the hotline's Chinese headers) and one row per order, read by
       keyset pages, to a temporary file in openpyxl's write-only mode.
    3. Record an audit entry ("cases.export").
    The caller streams `file` back and closes it.
    """
    now = now or timezone.now()
    cap = settings.CASE_EXPORT_MAX_ROWS
    found = reply_orders(user=user, filters=filters).order_by().values("pk")[: cap + 1].count()
    if found > cap:
        raise ApplicationError(
            _(
                "More than %(cap)s orders match, more than one reply workbook may hold. Choose a "
                "shorter period and download again."
            )
            % {"cap": number_format(cap, force_grouping=True)},
            code="export_too_large",
            extra={"cap": cap},
        )
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response that streams it
    try:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title="回复")
        for index, (_header, width) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for title, _width in COLUMNS:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        count = 0
        for row in iter_replies(user=user, filters=filters, now=now):
            values = []
            for value in _values(row):
                if isinstance(value, datetime):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = DATE_FORMAT
                    values.append(cell)
                else:
                    values.append(value)
            sheet.append(values)
            count += 1
        book.save(file)
        with transaction.atomic():
            audit.record(
                actor=user,
                action="cases.export",
                target=audit.Target(type="cases.hotlineorder", text=_("12345 replies (Excel)")),
                place_code=codes[0] if len(codes := [p.code for p in home_places(user)]) == 1 else "",
                changes={"filters": _filters_record(filters), "rows": count},
            )
    except BaseException:
        file.close()
        raise
    file.seek(0)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return ReplyWorkbook(file=file, filename=f"12345-replies-{stamp}.xlsx", rows=count)


def _filters_record(filters: ReplyFilters) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, date | datetime) else value)
        for name, value in filters.__dict__.items()
        if value not in (None, False)
    }
