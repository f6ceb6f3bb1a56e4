"""The 12345 replies for platforms that pull: GET /api/v1/cases/hotline/replies.

Mounted under /cases/hotline by `cases/api.py`. The rows are `hotline_replies`' (the same as the reply
workbook's), scoped to the caller's region by `access.hotline_reply_scope`, a page at a time by keyset.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from civicgrid.cases import api_output, hotline_replies
from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import ApplicationError
from civicgrid.core.schemas import InputSchema
from civicgrid.lib import keyset

router = Router(tags=["cases"])


class HotlineRepliesQuery(InputSchema):
    closed_since: datetime | None = Field(
        None,
        description="Only orders answered (handled, returned or merged) at or after this moment (ISO 8601; "
        "without an offset, the site's time zone). Pull with the time of your last pull.",
    )
    received_from: date | None = Field(None, description="Only orders received on or after this day")
    received_to: date | None = Field(None, description="Only orders received on or before this day")
    handled: bool = Field(
        False, description="Only orders with their answer (handled, returned or merged); false: all"
    )
    limit: int = Field(hotline_replies.PAGE_SIZE, ge=1, le=hotline_replies.MAX_PAGE_SIZE)
    cursor: str = Field(
        "",
        max_length=120,
        description="Where the next page starts: the `cursor` parameter of the previous answer's `next`",
    )

    @field_validator("closed_since", mode="after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and timezone.is_naive(value):
            return timezone.make_aware(value)
        return value


class HotlineReplyOut(Schema):
    order_number: str = Field(description="工单编号: the hotline's work-order number")
    tracking_number: str = Field(description="The case's tracking number here")
    result: Literal["handled", "in_progress", "returned", "merged", "suspended"] = Field(
        description="办理结果: handled 办结, in_progress 办理中, returned 退回 (not accepted), merged 合并办理 "
        "(the same problem as another order), suspended 挂账 (on hold, long-term)"
    )
    result_words: str = Field(description="The result in the hotline's words (办结, 办理中, 退回, …)")
    reply: str = Field(
        description="答复内容: the last answer written to the caller (a resolution, a rejection's reason); "
        "never an internal note; mobile numbers masked"
    )
    closed_at: datetime | None = Field(description="办结时间: when it was handled, returned or merged")
    handling_unit: str = Field(description="承办单位: the order's handling unit, else who handled it")
    on_time: bool | None = Field(
        description="是否按时: answered by the order's time limit (else the case's resolution deadline); "
        "false for an open order already late; null when open and not late, or without a limit"
    )
    received_at: datetime | None = Field(description="受理时间: when the hotline received the call")
    kind: str = Field(description="诉求类型: consultation, help, complaint, report, suggestion or other")


class HotlineRepliesOut(Schema):
    next: str | None = Field(description="The next page's URL, null on the last page")
    items: list[HotlineReplyOut]


@router.get(
    "/replies",
    response={200: HotlineRepliesOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="12345 replies: each order's result, for the hotline platform to pull",
)
def hotline_replies_list(request: HttpRequest, params: Query[HotlineRepliesQuery]):
    """Return the replies of the 12345 orders of your region (a town command centre's, a district's or
    city's administrators'), in the order they were received, a page at a time: follow `next`.

    To pull what changed, pass `closed_since` (the time of your previous pull) and `handled=true`.
    Anyone else is refused (403); a `cursor` that is not one of this list's too (400, `invalid_cursor`).
    """
    if (
        params.received_from is not None
        and params.received_to is not None
        and params.received_from > params.received_to
    ):
        raise ApplicationError(
            _("Please correct the marked fields."),
            code="invalid",
            extra={"fields": {"received_to": _("The end of the period comes before its start.")}},
        )
    filters = hotline_replies.ReplyFilters(
        received_from=params.received_from,
        received_to=params.received_to,
        closed_since=params.closed_since,
        handled_only=params.handled,
    )
    try:
        page = hotline_replies.reply_page(
            user=request.user, filters=filters, cursor=params.cursor, size=params.limit
        )
    except keyset.InvalidCursor:
        raise ApplicationError(
            _("Please correct the marked fields."),
            code="invalid_cursor",
            extra={
                "fields": {"cursor": _("This cursor does not belong to this list; start again without it.")}
            },
        )
    return {
        "next": api_output.next_url(request, page.next_cursor),
        "items": [
            {
                "order_number": row.order_number,
                "tracking_number": row.tracking_number,
                "result": row.result,
                "result_words": row.result_words,
                "reply": row.reply,
                "closed_at": row.closed_at,
                "handling_unit": row.handling_unit,
                "on_time": row.on_time,
                "received_at": row.received_at,
                "kind": row.kind,
            }
            for row in page.items
        ],
    }
