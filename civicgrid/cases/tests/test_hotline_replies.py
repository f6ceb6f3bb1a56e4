"""Replies back to the 12345 hotline: the rows, the workbook, the page and the pull API."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import hotline_replies, services
from civicgrid.cases.hotline_replies import ReplyFilters
from civicgrid.cases.models import Case, HotlineOrder
from civicgrid.cases.tests.conftest import PATHS, walk
from civicgrid.core.errors import PermissionDenied
from conftest import PASSWORD

API = "/api/v1/cases/hotline/replies"
# A hotline order has no reporter signed in: the town's phone follow-up (回访) rates it.
CLOSED = [*PATHS["resolved"], ("rate", "town_operator", {"solved": True, "satisfaction": "satisfied"})]


def order(world, category, number, *, lon=120.705, lat=31.605, received=None, due=None, unit="", **kw):
    case = services.case_create(
        reporter=None,
        actor=kw.pop("actor", world.town_operator),
        source=Case.Source.HOTLINE,
        category=category,
        description="小区门口路面塌陷",
        lon=lon,
        lat=lat,
        reporter_name="张来电",
        reporter_phone="13900000001",
        is_public=False,
        external_ref=number,
        photos=[],
    ).case
    HotlineOrder.objects.create(
        case=case,
        order_number=number,
        received_at=received or timezone.now() - timedelta(days=1),
        due_at=due,
        handling_unit=unit,
        kind=kw.pop("kind", HotlineOrder.Kind.COMPLAINT),
    )
    return case


def rows_by_number(user, filters: ReplyFilters | None = None):
    found = hotline_replies.iter_replies(user=user, filters=filters or ReplyFilters())
    return {row.order_number: row for row in found}


@pytest.fixture
def orders(cw, category):
    """Four orders of town A: handled on time (by the agency), handled late, returned, still open."""
    now = timezone.now()
    handled = walk(
        cw,
        order(cw, category, "GD-1", received=now - timedelta(days=4), due=now + timedelta(days=2)),
        PATHS["resolved"],
    )
    late = walk(
        cw,
        order(cw, category, "GD-2", received=now - timedelta(days=3), due=now - timedelta(hours=1)),
        CLOSED,
    )
    returned = walk(
        cw,
        order(cw, category, "GD-3", received=now - timedelta(days=2), unit="甲镇城管中队"),
        PATHS["rejected"],
    )
    still = order(cw, category, "GD-4", received=now - timedelta(days=1), due=now - timedelta(hours=2))
    services.case_comment(case=still, actor=cw.village_cadre, note="内部：请网格员联系李四 13812345678")
    return {"handled": handled, "late": late, "returned": returned, "open": still}  # fmt: skip


def test_reply_rows_follow_the_case_state_and_the_time_limit(cw, orders):
    rows = rows_by_number(cw.town_operator)
    assert list(rows) == ["GD-1", "GD-2", "GD-3", "GD-4"]
    handled, late, returned, still = rows["GD-1"], rows["GD-2"], rows["GD-3"], rows["GD-4"]
    assert (handled.result, handled.result_words, handled.on_time, handled.on_time_words) == (
        "handled",
        "办结",
        True,
        "是",
    )
    assert handled.reply == "已修复" and handled.handling_unit == cw.agency.name
    assert handled.closed_at == orders["handled"].resolved_at
    assert (late.result, late.on_time, late.on_time_words) == ("handled", False, "否")
    assert (returned.result, returned.result_words, returned.reply) == ("returned", "退回", "不在本网格")
    assert returned.handling_unit == "甲镇城管中队" and returned.closed_at is not None
    # Open and already past its limit: late; its internal comment is never a reply.
    assert (still.result, still.result_words, still.reply, still.closed_at, still.on_time) == (
        "in_progress", "办理中", "", None, False
    )  # fmt: skip
    assert (
        handled.kind_words == "投诉"
        and handled.received_at == HotlineOrder.objects.get(order_number="GD-1").received_at
    )


def test_a_reply_masks_mobile_numbers(cw, category):
    case = walk(cw, order(cw, category, "GD-9"), PATHS["grid_handling"])
    services.case_act(
        case=case, action="resolve", actor=cw.grid_worker, note="已处理，联系人13812345678", photos=[_jpeg()]
    )
    row = rows_by_number(cw.town_operator)["GD-9"]
    assert "13812345678" not in row.reply and row.reply.startswith("已处理")
    assert row.handling_unit == cw.grid_a1a.name


def _jpeg() -> bytes:
    from civicgrid.cases.tests.conftest import jpeg

    return jpeg()


def test_filters_handled_only_and_by_dates(cw, orders):
    handled = rows_by_number(cw.town_operator, ReplyFilters(handled_only=True))
    assert set(handled) == {"GD-1", "GD-2", "GD-3"}
    today = timezone.localdate()
    received = rows_by_number(cw.town_operator, ReplyFilters(received_from=today - timedelta(days=2)))
    assert set(received) == {"GD-3", "GD-4"}
    closed = rows_by_number(cw.town_operator, ReplyFilters(closed_from=today, closed_to=today))
    assert set(closed) == {"GD-1", "GD-2", "GD-3"}
    assert rows_by_number(cw.town_operator, ReplyFilters(closed_to=today - timedelta(days=1))) == {}
    since = rows_by_number(cw.town_operator, ReplyFilters(closed_since=timezone.now() + timedelta(minutes=1)))
    assert since == {}


def test_another_towns_orders_never_appear(cw, category, orders):
    operator_b = user_create(
        username="operator_b", password=PASSWORD, display_name="乙指挥", phone="13800000010"
    )
    role_assign(user=operator_b, role="town_operator", place=cw.town_b)
    order(cw, category, "GD-B1", lon=120.805, actor=operator_b)
    assert set(rows_by_number(operator_b)) == {"GD-B1"}
    assert "GD-B1" not in rows_by_number(cw.town_operator)
    # The district's administrator reads both towns'.
    assert set(rows_by_number(cw.city_admin)) == {"GD-1", "GD-2", "GD-3", "GD-4", "GD-B1"}


@pytest.mark.parametrize("persona", ["grid_worker", "village_cadre", "agency_staff", "resident"])
def test_only_command_centres_and_administrators_read_replies(cw, persona):
    with pytest.raises(PermissionDenied):
        hotline_replies.reply_page(user=getattr(cw, persona), filters=ReplyFilters())


def test_the_workbook_reads_back_with_the_hotlines_headers(cw, orders):
    written = hotline_replies.reply_workbook(user=cw.town_operator, filters=ReplyFilters())
    assert written.rows == 4 and written.filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(written.file.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "工单编号",
        "办理结果",
        "答复内容",
        "办结时间",
        "承办单位",
        "是否按时",
        "受理时间",
        "诉求类型",
    )
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 60
    first = rows[1]
    assert first[:3] == ("GD-1", "办结", "已修复")
    assert isinstance(first[3], datetime)
    assert first[3] == timezone.localtime(orders["handled"].resolved_at).replace(
        tzinfo=None, microsecond=first[3].microsecond
    )
    assert first[4:6] == (cw.agency.name, "是") and first[7] == "投诉"
    assert rows[2][5] == "否" and rows[3][:3] == ("GD-3", "退回", "不在本网格")
    assert rows[4][1:4] == ("办理中", None, None)


def test_the_page_lists_and_downloads(cw, orders, login):
    client = login(cw.town_operator)
    page = client.get(reverse("cases:hotline_replies"), {"handled": "on"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "GD-1" in body and "GD-4" not in body and "办结" in body
    assert reverse("cases:hotline_replies_workbook") + "?handled=on" in body
    download = client.get(reverse("cases:hotline_replies_workbook"), {"handled": "on"})
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["GD-1", "GD-2", "GD-3"]
    bad = client.get(
        reverse("cases:hotline_replies"), {"received_from": "2026-05-02", "received_to": "2026-05-01"}
    )
    assert bad.status_code == 400
    # The command centre links the replies.
    assert reverse("cases:hotline_replies") in client.get(reverse("cases:centre")).content.decode()


def test_the_page_denies_a_grid_worker(cw, login):
    assert login(cw.grid_worker).get(reverse("cases:hotline_replies")).status_code == 403
    assert login(cw.grid_worker).get(reverse("cases:hotline_replies_workbook")).status_code == 403


# ---------------------------------------------------------------------------------------------
# The API


def test_the_api_pages_by_cursor(cw, orders, login):
    client = login(cw.town_operator)
    first = client.get(API, {"limit": 3})
    assert first.status_code == 200
    body = first.json()
    assert [i["order_number"] for i in body["items"]] == ["GD-1", "GD-2", "GD-3"]
    assert body["items"][0]["result"] == "handled" and body["items"][0]["on_time"] is True
    assert body["items"][2]["result"] == "returned" and body["items"][2]["reply"] == "不在本网格"
    assert set(body["items"][0]) == {
        "order_number", "tracking_number", "result", "result_words", "reply", "closed_at",
        "handling_unit", "on_time", "received_at", "kind",
    }  # fmt: skip
    second = client.get(body["next"])
    assert [i["order_number"] for i in second.json()["items"]] == ["GD-4"]
    assert second.json()["next"] is None


def test_the_api_pulls_what_was_answered_since(cw, orders, login):
    client = login(cw.town_operator)
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    answered = client.get(API, {"closed_since": since, "handled": "true"}).json()
    assert [i["order_number"] for i in answered["items"]] == ["GD-1", "GD-2", "GD-3"]
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(API, {"closed_since": later}).json()["items"] == []


def test_the_api_scopes_and_refuses(cw, category, orders, client, login):
    assert client.get(API).status_code == 401
    assert login(cw.grid_worker).get(API).status_code == 403
    operator_b = user_create(
        username="operator_b", password=PASSWORD, display_name="乙指挥", phone="13800000010"
    )
    role_assign(user=operator_b, role="town_operator", place=cw.town_b)
    assert login(operator_b).get(API).json()["items"] == []
    bad = login(cw.town_operator).get(API, {"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    assert login(cw.town_operator).get(API, {"limit": 0}).status_code in (400, 422)


def test_the_api_takes_a_token(cw, orders, client):
    from civicgrid.accounts.services import api_token_create

    _token, raw = api_token_create(user=cw.town_operator, name="12345平台")
    response = client.get(API, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and len(response.json()["items"]) == 4
