"""The sample 12345 export (`hotline_sample`), the demo's hotline data (`demo_hotline`) and the panel
of orders on a standard address's page (`presenters_address`)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.addresses import generate, matching
from civicgrid.addresses.models import Address
from civicgrid.cases import demo_hotline, hotline, hotline_sample, presenters_address
from civicgrid.cases.models import Case, CaseEvent, HotlineCategoryMap, HotlineOrder
from civicgrid.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _fresh_vocabulary():
    matching.invalidate()
    yield
    matching.invalidate()


@pytest.fixture
def register(world):
    """Town A's register (the operator's region), generated as the demo's is."""
    rows = generate.register_load([world.grid_a1a, world.grid_a1b], seed=3, per_grid=60)
    world.register_rows = rows
    return world


def read_back(raw: bytes, tmp_path) -> list:
    path = tmp_path / "sample.xlsx"
    path.write_bytes(raw)
    return hotline.read_orders(path)


# --- The sample -------------------------------------------------------------------------------


def test_the_sample_is_shaped_like_a_hotline_export_and_reads_back(register, tmp_path):
    rows = hotline_sample.sample_rows(
        register.register_rows, seed=1, n=40, extra_addresses=["鹤鸣路8号", "麒麟花园3幢"]
    )
    raw = hotline_sample.workbook_bytes(rows)

    sheet = load_workbook(io.BytesIO(raw)).active
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "工单编号", "受理时间", "来电人", "来电号码", "诉求类型", "问题分类", "诉求内容", "事发地址", "承办单位", "办理时限",
    ]  # fmt: skip
    assert sheet.max_row == 43
    orders = read_back(raw, tmp_path)
    assert len(orders) == 42
    assert all(isinstance(order, hotline.Order) for _n, order in orders)
    numbers = [order.order_number for _n, order in orders]
    assert len(set(numbers)) == 42
    assert all(order.address and order.category and order.description for _n, order in orders)
    assert all(order.caller_phone.startswith("138") and len(order.caller_phone) == 11 for _n, order in orders)
    assert all(order.received_at is not None and order.due_at is not None for _n, order in orders)
    assert {order.kind for _n, order in orders} >= {HotlineOrder.Kind.COMPLAINT, HotlineOrder.Kind.HELP}
    # The addresses on no register are the last rows, expected nowhere.
    assert [row.expected_grid for row in rows[-2:]] == [None, None]
    assert orders[-1][1].address == "麒麟花园3幢"
    assert {row.expected_grid for row in rows[:-2]} - {None} <= {
        register.grid_a1a.code,
        register.grid_a1b.code,
    }


def test_the_samples_addresses_route_to_their_grids(register):
    rows = hotline_sample.sample_rows(register.register_rows, seed=2, n=60)
    codes = {register.grid_a1a.pk: register.grid_a1a.code, register.grid_a1b.pk: register.grid_a1b.code}
    wrong = 0
    right = 0
    for row in rows:
        found = matching.match(row.address, within=register.town_a)
        if found is None or not found.confident:
            continue
        if codes.get(found.grid_id) == row.expected_grid:
            right += 1
        else:
            wrong += 1
    assert wrong == 0
    assert right >= 0.8 * len([r for r in rows if r.expected_grid])


def test_an_operator_downloads_a_sample_of_their_register(register, login, tmp_path):
    demo_hotline.categories_load(register.city_admin)
    response = login(register.town_operator).get(reverse("cases:hotline_sample"))
    assert response.status_code == 200
    assert response["Content-Type"] == hotline_sample.CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    orders = read_back(response.content, tmp_path)
    assert len(orders) == 30
    # Two name nothing on record; the others are town A's register as call-takers write it.
    run = hotline.import_orders(orders=orders, user=register.town_operator, commit=False)
    assert run.counts["failed"] == 0
    assert run.counts["routed"] + run.counts["unrouted"] + run.counts["unmapped"] == 30
    assert run.counts["routed"] >= 18
    assert run.counts["unrouted"] >= 2
    assert not Case.objects.exists()


def test_the_upload_page_links_the_sample_and_the_reply_pages(register, login):
    page = login(register.town_operator).get(reverse("cases:hotline_import")).content.decode()
    assert reverse("cases:hotline_sample") in page
    assert reverse("cases:hotline_replies") in page
    assert "Download a sample export" in page


def test_a_sample_without_a_register_says_so(world, login):
    response = login(world.town_operator).get(reverse("cases:hotline_sample"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:hotline_import")
    assert "address register is empty" in response.content.decode()


@pytest.mark.parametrize("who", ["grid_worker", "resident", "agency_staff", "outsider"])
def test_it_denies_the_sample_to_who_may_not_import(register, login, who):
    response = login(getattr(register, who)).get(reverse("cases:hotline_sample"))
    assert response.status_code == 403


# --- The demo's hotline data ------------------------------------------------------------------


def test_the_demo_hotline_data_loads_through_the_import_and_deletes(register):
    world = register
    filed = demo_hotline.load(operator=world.town_operator, administrator=world.city_admin)

    orders = HotlineOrder.objects.filter(order_number__startswith=demo_hotline.PREFIX)
    assert filed == orders.count() == demo_hotline.ORDERS
    routed = orders.filter(case__routed=True).count()
    assert routed >= 20
    assert orders.filter(case__routed=False).count() >= len(demo_hotline.UNKNOWN)
    assert orders.filter(address__isnull=False).count() == routed
    # Some handled in the grid: replies to give back, some closed by the follow-up call.
    assert Case.objects.filter(state__in=["resolved", "closed"], source="hotline").count() >= 3
    assert Case.objects.filter(state="closed", source="hotline").exists()
    mapped = HotlineCategoryMap.objects.filter(category__isnull=False).count()
    assert mapped >= 25
    assert HotlineCategoryMap.objects.filter(category__isnull=True).count() == 2
    assert AuditEntry.objects.filter(action="hotline_category.map").count() == mapped
    assert demo_hotline.load(operator=world.town_operator, administrator=world.city_admin) == 0

    assert demo_hotline.delete() == demo_hotline.ORDERS
    assert not HotlineOrder.objects.exists()
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not HotlineCategoryMap.objects.exists()


# --- The panel on the address page ------------------------------------------------------------


@pytest.fixture
def orders_at_address(register):
    """Two orders imported at one register address of grid A1a; returns (world, address)."""
    world = register
    address = Address.objects.filter(grid=world.grid_a1a, road__gt="", compound="").order_by("id").first()
    rows = [
        ["GD9001", "2026-12-01 09:00", "陈建国", "13912345678", "投诉", "E0101", "垃圾没人清运", address.text, "", "5个工作日"],
        ["GD9002", "2026-12-02 09:00", "李秀英", "13912345679", "求助", "E0101", "垃圾桶满了", address.text, "", "3天"],
    ]  # fmt: skip
    orders = []
    for number, values in enumerate(rows, start=2):
        keys = ["order_number", "received_at", "caller_name", "caller_phone", "kind", "category", "description", "address", "handling_unit", "time_limit"]  # fmt: skip
        orders.append((number, hotline.order_from_values(dict(zip(keys, values, strict=True)))))
    run = hotline.import_orders(orders=orders, user=world.town_operator, commit=True)
    assert run.counts["routed"] == 2
    return world, address


def test_the_address_page_lists_the_orders_at_it_with_the_caller_as_the_case_page_shows(
    orders_at_address, login
):
    world, address = orders_at_address
    page = login(world.town_operator).get(reverse("addresses:detail", args=[address.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "12345 orders at this address" in text
    assert text.index("GD9002") < text.index("GD9001")  # the latest first
    # The town command centre handles the open case: the caller named and their phone whole.
    assert "陈建国" in text and "13912345678" in text
    # The district administrator reads, does not handle: the phone masked.
    text = login(world.city_admin).get(reverse("addresses:detail", args=[address.pk])).content.decode()
    assert "GD9001" in text and "139****5678" in text and "13912345678" not in text


def test_the_panel_is_bounded_and_counts_all(orders_at_address):
    world, address = orders_at_address
    panel = presenters_address.address_orders(world.town_operator, address, limit=1)
    assert [row.order_number for row in panel.orders] == ["GD9002"]
    assert (panel.total, panel.more) == (2, 1)


def test_the_panel_shows_only_cases_the_reader_may_see(orders_at_address):
    world, address = orders_at_address
    # The grid worker of another grid keeps no register here; asked anyway, the panel has none of its orders.
    panel = presenters_address.address_orders(world.outsider, address)
    assert panel is not None and (panel.orders, panel.total) == ([], 0)
    # A resident sees their own reports only: none of these orders.
    panel = presenters_address.address_orders(world.resident, address)
    assert panel is None or panel.total == 0


def test_it_denies_the_address_page_to_an_outsider(orders_at_address, login):
    world, address = orders_at_address
    response = login(world.outsider).get(reverse("addresses:detail", args=[address.pk]))
    assert response.status_code == 404
