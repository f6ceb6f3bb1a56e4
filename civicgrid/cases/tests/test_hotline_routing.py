"""12345 orders routed by their address alone, through the real register and the real import.

A generated city (24 grids with boundaries), a generated register, and a 500-order workbook in the
hotline's own export shape whose expected grid is known for every row (`generate.order_addresses`):
at least 95 % of the orders on record land in the right grid, none in a wrong one with high
confidence (a routed order is a confident one), and those naming nothing on record wait unrouted.
Then an operator's placement is kept: the next order written the same way routes by itself.
"""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.addresses import generate
from civicgrid.addresses.models import AddressAlias
from civicgrid.cases import categories, hotline, hotline_categories, placing
from civicgrid.cases.models import Case, HotlineOrder
from civicgrid.places import mapindex
from civicgrid.places.models import Place
from civicgrid.site import demo, generate_places
from conftest import ensure_seed_data

PATH = "城乡建设>市容环卫>垃圾清运"
HEADER = (
    "工单编号",
    "受理时间",
    "来电人",
    "来电号码",
    "诉求类型",
    "问题分类",
    "诉求内容",
    "事发地址",
    "承办单位",
    "办理时限",
)


@pytest.fixture
def city(db):
    ensure_seed_data()
    Place.objects.create(code=demo.CITY_CODE, name=demo.CITY[0], level="city", kind="city")
    generate_places.grow_city(grids=24, seed=7, password="!", prefix="t-", email_domain="test.invalid")
    # The town with the most grids, its operator (grow_city names them t-to<code>) and its register.
    towns = Place.objects.filter(level=Place.Level.TOWN)
    town = max(
        towns, key=lambda t: Place.objects.filter(code__startswith=t.scope_prefix, level="grid").count()
    )
    grids = generate.grids_of(Place.objects.filter(level=Place.Level.CITY))
    rows = generate.register_load(grids, seed=7, per_grid=60)
    operator = User.objects.get(username=f"t-to{town.code}")
    code = categories.reportable()[0].code
    admin = User.objects.create_superuser(username="root", password="x")
    hotline_categories.mapping_answer(
        actor=admin, key=hotline_categories.path_key(PATH), category=code, path=PATH
    )
    return town, operator, [r for r in rows if r["grid_code"].startswith(town.scope_prefix)]


def workbook(addresses: list[str], *, first: int = 1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    received = timezone.localtime() - timedelta(hours=2)
    for n, address in enumerate(addresses, start=first):
        sheet.append(
            (
                f"GD2026{n:06d}",
                received.strftime("%Y-%m-%d %H:%M:%S"),
                "王女士",
                f"138{n:08d}",
                "投诉",
                PATH,
                "小区门口垃圾堆放多日无人清运，气味很大。",
                address,
                "市城市管理局",
                "5个工作日",
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_500_order_workbook_routes_by_address(city):
    town, operator, register = city
    orders = generate.order_addresses(register, seed=11, n=500)
    run = hotline.import_orders(
        orders=hotline.parse_orders(workbook([text for text, _ in orders]), "12345.xlsx"),
        user=operator,
        commit=True,
    )
    assert run.counts["failed"] == 0, [r.message for r in run.results if r.outcome == "failed"][:3]
    filed = {
        o.order_number: o
        for o in HotlineOrder.objects.select_related("case__grid").filter(order_number__startswith="GD2026")
    }
    assert len(filed) == 500
    right = wrong = unrouted_known = unknown_routed = 0
    for n, (text, expected) in enumerate(orders, start=1):
        order = filed[f"GD2026{n:06d}"]
        case = order.case
        assert order.address_text == text
        if case.routed:
            assert order.routed_by in {"exact", "alias", "parts", "similar"} and order.confidence >= 0.85
        if expected is None:
            unknown_routed += case.routed
        elif not case.routed:
            unrouted_known += 1
        elif case.grid.code == expected:
            right += 1
        else:
            wrong += 1
    on_record = sum(1 for _, expected in orders if expected)
    print(
        f"500 orders: {on_record} on record, {right} routed right, {unrouted_known} unrouted, {wrong} wrong"
    )
    assert wrong == 0, "an order went to a wrong grid with high confidence"
    assert right / on_record >= 0.95, f"{right} of {on_record} routed right, {unrouted_known} unrouted"
    assert unknown_routed == 0
    # Every unrouted order waits in the town's queue, none outside it.
    waiting = Case.objects.filter(source=Case.Source.HOTLINE, routed=False)
    assert waiting.count() == 500 - right
    assert not waiting.exclude(town=town).exists()


def test_a_placement_routes_the_next_order_at_that_address(city):
    town, operator, _register = city
    text = f"{town.name}清风路口东侧的报刊亭旁边"
    hotline.import_orders(orders=hotline.parse_orders(workbook([text]), "a.xlsx"), user=operator, commit=True)
    first = HotlineOrder.objects.select_related("case").get(order_number="GD2026000001")
    assert not first.case.routed and first.routed_by == ""

    # The operator taps the map inside one of the town's grids.
    grid = Place.objects.filter(level="grid", code__startswith=town.scope_prefix).order_by("code").first()
    lon, lat = mapindex.current().places[grid.pk].center
    placing.case_place(case=first.case, user=operator, lon=lon, lat=lat)
    first.refresh_from_db()
    first.case.refresh_from_db()
    assert first.case.grid == grid and first.routed_by == "placed"
    assert AddressAlias.objects.filter(kind=AddressAlias.Kind.PLACED, address__grid=grid).exists()

    hotline.import_orders(
        orders=hotline.parse_orders(workbook([text], first=2), "b.xlsx"), user=operator, commit=True
    )
    second = HotlineOrder.objects.select_related("case").get(order_number="GD2026000002")
    assert second.case.routed and second.case.grid == grid
    assert second.routed_by in {"exact", "alias"}
