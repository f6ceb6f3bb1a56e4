"""12345 orders as real exports carry them: header variants, kind, time limit, address routing through
the register, unmapped category paths asked once, idempotency, the API push with an address."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from civicgrid.accounts.services import api_token_create
from civicgrid.addresses import matching
from civicgrid.cases import hotline, hotline_categories
from civicgrid.cases.models import Case, Category, Holiday, HotlineCategoryMap, HotlineOrder
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry

PATH = "城乡建设>市容环卫>垃圾清运"
NOISE = "E0104"
# Addresses of the fake register: text → (grid attribute of the world, confidence, method, point).
REGISTER = {
    "海棠路88号": ("grid_a1a", 0.97, "exact", (120.7051, 31.6052)),
    "海棠路90号": ("grid_a1b", 0.91, "parts", None),
    "甲一村某处": ("grid_a1a", 0.40, "similar", None),
}


@pytest.fixture
def register(cw, monkeypatch):
    """A small register in place of the address engine: exact texts only, with their confidence."""
    calls = []

    def match(text, *, within=None):
        calls.append((text, within))
        entry = REGISTER.get(text.strip())
        if entry is None:
            return None
        grid, confidence, method, point = entry
        lon, lat = point or (None, None)
        return matching.Match(getattr(cw, grid).pk, confidence, method, None, lon, lat, text)

    monkeypatch.setattr(matching, "match", match)
    cw.register_calls = calls
    return cw


@pytest.fixture
def mapped(db):
    """The path mapped to noise (E0104) beforehand, as an administrator would."""
    return HotlineCategoryMap.objects.create(
        path=PATH, path_key=hotline_categories.path_key(PATH), category=Category.objects.get(code=NOISE)
    )


# Three shapes of real exports: the hotline's own, a district platform's, and an English one.
SHAPE_HOTLINE = ["工单编号", "受理时间", "来电人", "来电号码", "诉求类型", "问题分类", "诉求内容", "事发地址", "承办单位", "办理时限"]  # fmt: skip
SHAPE_DISTRICT = ["工单号", "登记时间", "诉求人", "联系电话", "工单类型", "业务分类", "问题描述", "发生地址", "主办单位", "办结时限", "紧急程度"]  # fmt: skip
SHAPE_ENGLISH = ["order_number", "received_at", "caller_name", "caller_phone", "kind", "category", "description", "address", "handling_unit", "time_limit"]  # fmt: skip


def hotline_rows() -> list[list]:
    return [
        ["GD1001", "2026-12-01 09:00", "陈先生", "13912345678", "投诉", PATH, "垃圾三天没人清运", "海棠路88号", "城管局", "2026-12-04 18:00"],
        ["GD1002", "2026-12-01 10:00", "李女士", "13912345679", "求助", "城乡建设 ＞ 市容环卫 ＞ 垃圾清运", "楼下垃圾桶满了", "海棠路90号", "城管局", "5个工作日"],
        ["GD1003", "2026-12-01 11:00", "王先生", "", "咨询", PATH, "垃圾分类怎么投放", "甲一村某处", "", "24小时"],
    ]  # fmt: skip


def write_csv(path: Path, header: list[str], data: list[list], encoding: str = "gb18030") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(data)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], data: list[list]) -> Path:
    book = Workbook()
    book.active.append(header)
    for row in data:
        book.active.append(row)
    book.save(path)
    return path


def run(path: Path, *args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("import_hotline", str(path), *args, "--no-progress", stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


# ---------------------------------------------------------------------------------------------
# Header variants


@pytest.mark.parametrize(
    ("header", "kind"),
    [(SHAPE_HOTLINE, "csv"), (SHAPE_DISTRICT, "xlsx"), (SHAPE_ENGLISH, "csv"), (SHAPE_HOTLINE, "xlsx")],
)
def test_it_reads_real_export_shapes_without_coordinates(register, mapped, tmp_path, header, kind):
    data = [row + (["一般"] if len(header) == 11 else []) for row in hotline_rows()]
    path = (
        write_csv(tmp_path / "orders.csv", header, data)
        if kind == "csv"
        else write_xlsx(tmp_path / "orders.xlsx", header, data)
    )
    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    first = Case.objects.get(external_ref="GD1001")
    assert first.category.code == NOISE
    assert first.grid == register.grid_a1a
    assert first.reporter_name == "陈先生"
    order = first.hotline_order
    assert order.kind == HotlineOrder.Kind.COMPLAINT
    assert order.category_path == PATH
    assert order.handling_unit == "城管局"
    assert order.address_text == "海棠路88号"
    assert order.received_at == local(2026, 12, 1, 9, 0)
    assert Case.objects.get(external_ref="GD1002").hotline_order.kind == HotlineOrder.Kind.HELP
    assert Case.objects.get(external_ref="GD1003").hotline_order.kind == HotlineOrder.Kind.CONSULTATION


def test_it_names_the_missing_columns_of_an_export_in_chinese_and_english(cw, tmp_path):
    path = write_csv(
        tmp_path / "orders.csv", ["工单编号", "受理时间", "来电人"], [["GD1", "2026-12-01", "陈"]]
    )
    _out, error = run(path, "--user", "operator", "--commit")
    assert isinstance(error, CommandError)
    for name in ("问题分类/category", "诉求内容/description", "事发地址/address", "经度/lon", "纬度/lat"):
        assert name in str(error)
    assert not Case.objects.exists()
    assert not HotlineCategoryMap.objects.exists()


# ---------------------------------------------------------------------------------------------
# Time limit and deadlines


def test_a_date_time_limit_is_the_resolution_deadline(register, mapped):
    order = hotline.order_from_values(
        {
            "order_number": "T1",
            "category": PATH,
            "description": "x",
            "address": "海棠路88号",
            "received_at": "2026-12-01 09:00",
            "time_limit": "2026-12-04 18:00",
        }
    )
    filed = hotline.order_import(order=order, user=register.town_operator)
    case = filed.case
    assert case.resolution_due_at == local(2026, 12, 4, 18, 0)
    assert case.hotline_order.due_at == local(2026, 12, 4, 18, 0)
    # The first step is due by the order's limit at the latest.
    assert case.step_due_at <= case.resolution_due_at


def test_working_days_are_counted_from_the_time_received_on_the_calendar(db):
    # Tuesday 1 December 2026; the Friday is a holiday, the Saturday a make-up working day.
    Holiday.objects.create(date=datetime(2026, 12, 4).date(), is_workday=False, name="假日")
    Holiday.objects.create(date=datetime(2026, 12, 5).date(), is_workday=True, name="调休")
    received = local(2026, 12, 1, 9, 0)
    # Wed 2, Thu 3, (Fri 4 off), Sat 5 worked, (Sun 6), Mon 7.
    assert hotline.time_limit("4个工作日", received) == local(2026, 12, 7, 9, 0)
    assert hotline.time_limit("5 工作日内", received) == local(2026, 12, 8, 9, 0)
    assert hotline.time_limit(3, received) == local(2026, 12, 5, 9, 0)
    assert hotline.time_limit("3天", received) == local(2026, 12, 4, 9, 0)
    assert hotline.time_limit("24小时", received) == received + timedelta(hours=24)
    assert hotline.time_limit("2026-12-09", received) == local(2026, 12, 9, 23, 59, 59)
    with pytest.raises(ValueError):
        hotline.time_limit("尽快", received)


def test_a_time_limit_in_working_days_becomes_the_deadline_of_an_imported_case(register, mapped, tmp_path):
    path = write_csv(tmp_path / "orders.csv", SHAPE_HOTLINE, hotline_rows()[1:2])
    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    case = Case.objects.get(external_ref="GD1002")
    # 1 December 2026 is a Tuesday: five working days later is Tuesday 8 December.
    assert case.resolution_due_at == local(2026, 12, 8, 10, 0)
    assert case.hotline_order.due_at == case.resolution_due_at


# ---------------------------------------------------------------------------------------------
# Routing by the register


def test_a_confident_address_routes_to_its_grid_and_an_unsure_one_waits_unrouted(register, mapped, tmp_path):
    path = write_csv(tmp_path / "orders.csv", SHAPE_HOTLINE, hotline_rows())
    out, error = run(path, "--user", "operator")
    assert error is None, out
    assert "row 2: would be created, in 甲一村第1网格 (address exact, confidence 0.97)" in out
    assert "row 3: would be created, in 甲一村第2网格 (address parts, confidence 0.91)" in out
    assert "row 4: would be created, unrouted, in the queue of 甲一村" in out
    assert "Routed to their grid 2, unrouted 1" in out
    assert not Case.objects.exists()
    # Matched within the operator's region, the town.
    assert {within for _text, within in register.register_calls} == {register.town_a}

    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    exact = Case.objects.get(external_ref="GD1001")
    assert (exact.routed, exact.grid, exact.lon, exact.lat) == (True, register.grid_a1a, 120.7051, 31.6052)
    assert (exact.hotline_order.routed_by, exact.hotline_order.confidence) == ("exact", 0.97)
    parts = Case.objects.get(external_ref="GD1002")
    assert parts.grid == register.grid_a1b and parts.routed
    # No point of its own: at the grid's centre.
    assert (round(parts.lon, 3), round(parts.lat, 3)) == (120.715, 31.605)
    unsure = Case.objects.get(external_ref="GD1003")
    assert (unsure.routed, unsure.grid, unsure.village) == (False, None, register.village_a1)
    assert unsure.hotline_order.routed_by == ""
    assert unsure.hotline_order.confidence == 0.40


def test_an_address_not_in_the_register_is_never_lost(register, mapped):
    order = hotline.order_from_values(
        {"order_number": "N1", "category": PATH, "description": "x", "address": "不知道在哪里"}
    )
    filed = hotline.order_import(order=order, user=register.town_operator)
    assert filed.created
    assert (filed.case.routed, filed.case.town) == (False, register.town_a)


def test_a_point_still_routes_as_before(register, mapped):
    order = hotline.order_from_values(
        {"order_number": "P1", "category": PATH, "description": "x", "lon": 120.715, "lat": 31.605}
    )
    filed = hotline.order_import(order=order, user=register.town_operator)
    assert filed.case.grid == register.grid_a1b
    assert filed.case.hotline_order.routed_by == "point"
    assert register.register_calls == []


# ---------------------------------------------------------------------------------------------
# Category paths: asked once, then remembered


def test_path_keys_normalise_separators_and_widths():
    key = hotline_categories.path_key(PATH)
    for written in (
        "城乡建设＞市容环卫＞垃圾清运",
        " 城乡建设 / 市容环卫 / 垃圾清运 ",
        "城乡建设→市容环卫-垃圾清运",
        "城乡建设  市容环卫 > 垃圾清运",
    ):
        assert hotline_categories.path_key(written) == key
    assert hotline_categories.is_code("e0104") and not hotline_categories.is_code(PATH)


def test_an_unmapped_path_is_recorded_once_refused_then_remembered_in_the_cli(register, tmp_path):
    path = write_csv(tmp_path / "orders.csv", SHAPE_HOTLINE, hotline_rows())
    out, error = run(path, "--user", "operator", "--commit")
    assert isinstance(error, CommandError) and "3 rows failed" in str(error)
    assert "category path not mapped yet" in out
    assert f"category path not mapped yet: {PATH} (3 rows)" in out
    assert not Case.objects.exists()
    recorded = HotlineCategoryMap.objects.get()
    assert (recorded.category, recorded.orders_seen, recorded.path) == (
        None,
        3,
        "城乡建设 > 市容环卫 > 垃圾清运",
    )

    out, error = run(path, "--user", "operator", "--commit", "--map", f"{PATH}={NOISE}")
    assert error is None, out
    assert Case.objects.count() == 3
    recorded.refresh_from_db()
    assert (recorded.category.code, recorded.answered_by) == (NOISE, register.town_operator)
    assert AuditEntry.objects.filter(action="hotline_category.map").count() == 1

    # A later export with the same path (written another way) maps by itself.
    later = [["GD2001", "2026-12-02 09:00", "赵", "", "投诉", "城乡建设＞市容环卫＞垃圾清运", "又没清运", "海棠路88号", "", ""]]  # fmt: skip
    out, error = run(
        write_csv(tmp_path / "later.csv", SHAPE_HOTLINE, later), "--user", "operator", "--commit"
    )
    assert error is None, out
    assert "not mapped" not in out.replace("category not mapped 0", "")
    assert Case.objects.get(external_ref="GD2001").category.code == NOISE
    assert HotlineCategoryMap.objects.count() == 1


class Terminal(io.StringIO):
    """What an operator types at a terminal."""

    def isatty(self) -> bool:
        return True


def test_at_a_terminal_an_unmapped_path_is_asked_once_and_its_rows_filed_in_the_same_run(register, tmp_path):
    path = write_csv(tmp_path / "orders.csv", SHAPE_HOTLINE, hotline_rows())
    out = StringIO()
    # "?" lists the codes, a wrong code is refused and asked again, then the answer.
    typed = Terminal(f"?\nZ9\n{NOISE}\n")
    call_command(
        "import_hotline", str(path), "--user", "operator", "--commit", "--no-progress",
        stdin=typed, stdout=out, stderr=StringIO(),
    )  # fmt: skip
    said = out.getvalue()
    assert f"{PATH} (3 rows): " in said
    assert f"  {NOISE}  " in said  # the list of codes
    assert "Choose a category from the list." in said
    assert said.count("created") >= 3 and "exists" not in said
    assert Case.objects.filter(category__code=NOISE).count() == 3
    assert HotlineCategoryMap.objects.get().category.code == NOISE
    assert HotlineCategoryMap.objects.get().orders_seen == 3  # the check before did not count them

    # The next export asks nothing; an empty answer, or --no-input, leaves a new path's rows.
    other = [["GD3001", "2026-12-02 09:00", "赵", "", "投诉", "城乡建设>园林绿化>树木修剪", "树枝挡路", "海棠路88号", "", ""]]  # fmt: skip
    out = StringIO()
    with pytest.raises(CommandError, match="1 row failed"):
        call_command(
            "import_hotline", str(write_csv(tmp_path / "other.csv", SHAPE_HOTLINE, other)), "--user",
            "operator", "--commit", "--no-progress", stdin=Terminal("\n"), stdout=out, stderr=StringIO(),
        )  # fmt: skip
    assert "树木修剪 (1 row): " in out.getvalue()
    assert not Case.objects.filter(external_ref="GD3001").exists()
    out, _error = run(
        write_csv(tmp_path / "other.csv", SHAPE_HOTLINE, other), "--user", "operator", "--no-input"
    )
    assert "(1 row): " not in out and "category path not mapped yet" in out


def test_a_dry_run_records_a_path_but_does_not_count_its_orders(register, tmp_path):
    path = write_csv(tmp_path / "orders.csv", SHAPE_HOTLINE, hotline_rows())
    run(path, "--user", "operator")
    assert HotlineCategoryMap.objects.get().orders_seen == 0


def test_a_town_operator_may_not_change_a_mapped_path_but_an_administrator_may(register, mapped):
    hotline_categories.mapping_answer(actor=register.town_operator, key=PATH, category="E0601")
    mapped.refresh_from_db()
    assert mapped.category.code == NOISE  # the first answer stands
    with pytest.raises(PermissionDenied):
        hotline_categories.mapping_answer(actor=register.grid_worker, key="新路径>子类", category=NOISE)
    hotline_categories.mapping_answer(actor=register.city_admin, key=PATH, category="E0601")
    mapped.refresh_from_db()
    assert mapped.category.code == "E0601"


# ---------------------------------------------------------------------------------------------
# Idempotency


def test_an_order_number_already_filed_returns_its_case(register, mapped, tmp_path):
    path = write_xlsx(tmp_path / "orders.xlsx", SHAPE_HOTLINE, hotline_rows())
    run(path, "--user", "operator", "--commit")
    first = Case.objects.get(external_ref="GD1001")
    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    assert f"row 2: exists {first.tracking_number}" in out
    assert "already there 3" in out
    assert Case.objects.count() == HotlineOrder.objects.count() == 3
    # Even when the path was unmapped meanwhile, a filed order is found, not refused.
    HotlineCategoryMap.objects.update(category=None)
    out, error = run(path, "--user", "operator")
    assert error is None, out


# ---------------------------------------------------------------------------------------------
# The API push


def bearer(user) -> dict:
    _token, plain = api_token_create(user=user, name="12345 integration")
    return {"Authorization": f"Bearer {plain}"}


def push(user, **body):
    client = Client(headers={"Accept-Language": "en", **bearer(user)})
    return client.post("/api/v1/cases/hotline/orders", json.dumps(body), content_type="application/json")


def test_the_api_takes_an_order_with_an_address_a_path_a_kind_and_a_time_limit(register, mapped):
    body = {
        "order_number": "API-1",
        "category": "城乡建设/市容环卫/垃圾清运",
        "description": "垃圾满了",
        "address": "海棠路88号",
        "kind": "举报",
        "received_at": "2026-12-01T09:00:00+08:00",
        "time_limit": "5个工作日",
        "handling_unit": "城管局",
    }
    response = push(register.town_operator, **body)
    assert response.status_code == 201, response.content
    assert response.json()["routed"] is True
    assert response.json()["grid"] == register.grid_a1a.code
    case = Case.objects.get(external_ref="API-1")
    order = case.hotline_order
    assert (order.kind, order.handling_unit, order.routed_by) == ("report", "城管局", "exact")
    assert case.resolution_due_at == order.due_at is not None
    again = push(register.town_operator, **body)
    assert again.status_code == 200
    assert again.json()["tracking_number"] == case.tracking_number
    assert Case.objects.count() == 1


def test_the_api_refuses_an_unmapped_path_and_lists_it(register):
    response = push(
        register.town_operator,
        order_number="API-2",
        category="社会管理>其他",
        description="x",
        address="海棠路88号",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "category_unmapped"
    assert "not mapped yet" in response.json()["extra"]["fields"]["category"]
    assert HotlineCategoryMap.objects.get().orders_seen == 1
    assert not Case.objects.exists()


def test_the_api_refuses_an_order_without_address_or_point(register, mapped):
    response = push(register.town_operator, order_number="API-3", category=PATH, description="x")
    assert response.status_code == 400
    assert "address" in response.json()["extra"]["fields"]


def test_the_openapi_documents_the_new_fields(client):
    schema = client.get("/api/v1/openapi.json").json()
    fields = schema["components"]["schemas"]["HotlineOrderIn"]["properties"]
    assert {"address", "kind", "time_limit", "handling_unit", "category"} <= set(fields)


# ---------------------------------------------------------------------------------------------
# The table page


TABLE = reverse("cases:hotline_categories")


def test_the_table_lists_unmapped_first_and_an_administrator_maps_a_path(login, register, mapped):
    unmapped = HotlineCategoryMap.objects.create(
        path="社会管理 > 其他", path_key="社会管理>其他", orders_seen=2
    )
    client = login(register.city_admin)
    page = client.get(TABLE)
    assert page.status_code == 200
    assert [m.pk for m in page.context["mappings"]] == [unmapped.pk, mapped.pk]
    assert page.context["unmapped_total"] == 1
    found = client.get(TABLE, {"q": "其他", "show": "unmapped"})
    assert [m.pk for m in found.context["mappings"]] == [unmapped.pk]
    saved = client.post(f"{TABLE}?show=unmapped", {"id": unmapped.pk, "category": "E0601"})
    assert saved.status_code == 200
    unmapped.refresh_from_db()
    assert unmapped.category.code == "E0601"
    assert unmapped.answered_by == register.city_admin
    refused = client.post(TABLE, {"id": unmapped.pk, "category": "Z9"})
    assert refused.status_code == 400


def test_the_table_pages_by_cursor(login, register):
    HotlineCategoryMap.objects.bulk_create(
        HotlineCategoryMap(path=f"类{i}>子类", path_key=f"类{i}>子类", orders_seen=i) for i in range(60)
    )
    client = login(register.city_admin)
    first = client.get(TABLE)
    assert len(first.context["mappings"]) == 50
    second = client.get(TABLE + first.context["next_url"])
    assert len(second.context["mappings"]) == 10
    assert not {m.pk for m in first.context["mappings"]} & {m.pk for m in second.context["mappings"]}


@pytest.mark.parametrize("who", ["town_operator", "grid_worker", "resident", "outsider"])
def test_the_table_denies_those_who_are_not_administrators(login, register, who):
    assert login(getattr(register, who)).get(TABLE).status_code == 403


def test_the_navigation_offers_the_table_to_administrators_only(login, register):
    assert TABLE in login(register.city_admin).get(reverse("site:home")).content.decode()
    assert TABLE not in login(register.town_operator).get(reverse("site:home")).content.decode()
