"""12345 hotline orders: the row mapping and `manage.py import_hotline` (dry run, commit, per-row report)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.cases import hotline, hotline_categories
from civicgrid.cases.models import Case, CaseEvent, Notification, TrackingCounter
from civicgrid.core.errors import ApplicationError

CHINESE = [
    "工单编号",
    "诉求分类",
    "诉求内容",
    "经度",
    "纬度",
    "坐标系",
    "地址",
    "来电号码",
    "来电人",
    "紧急",
    "办理部门",
]
ENGLISH = ["order_number", "category", "description", "lon", "lat", "crs", "address", "caller_phone",
           "caller_name", "urgent"]  # fmt: skip


def rows(*extra: list) -> list[list]:
    return [
        ["GD001", "E0104", "夜间施工噪声扰民", "120.705", "31.605", "WGS84", "甲一村3组", "13912345678", "陈先生", "否", "住建局"],
        ["GD002", "E0601", "邻里因占道堆物起纠纷", "120.715", "31.605", "", "甲一村5组", "0512-52345678", "李女士", "是", ""],
        *extra,
    ]  # fmt: skip


def write_csv(path: Path, header: list[str], data: list[list], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(data)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(path: Path, *args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("import_hotline", str(path), *args, "--no-progress", stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def export(tmp_path) -> Path:
    return write_csv(tmp_path / "orders.csv", CHINESE, rows())


# ---------------------------------------------------------------------------------------------
# Mapping one order


def test_it_reads_excel_numbers_flags_and_phone_prefixes():
    order = hotline.order_from_values(
        {
            "order_number": 20261129001.0,
            "category": "e0104",
            "description": " 噪声 ",
            "lon": 120.705,
            "lat": "31.605",
            "crs": "GCJ-02",
            "caller_phone": "+86 139 1234 5678",
            "urgent": "紧急",
            "received_at": "2026/11/29 10:05",
        }
    )
    assert order.order_number == "20261129001"
    assert order.category == "e0104"
    assert hotline_categories.resolve(order.category).code == "E0104"
    assert order.description == "噪声"
    assert order.crs == "gcj02"
    assert order.caller_phone == "13912345678"
    assert order.urgent is True
    assert order.received_at.tzinfo is not None
    assert order.received_at.replace(tzinfo=None) == datetime(2026, 11, 29, 10, 5)


def test_it_reports_every_bad_field_of_an_order_at_once():
    with pytest.raises(ApplicationError) as caught:
        hotline.order_from_values({"lon": "east", "urgent": "maybe", "crs": "utm"})
    assert set(caught.value.extra["fields"]) == {
        "order_number",
        "category",
        "description",
        "lon",
        "urgent",
        "crs",
    }


def test_it_names_the_columns_in_errors():
    text = hotline.error_text(hotline.invalid({"caller_phone": "bad"}))
    assert text == "来电号码/caller_phone: bad"


# ---------------------------------------------------------------------------------------------
# The command


def test_it_refuses_to_run_without_a_user_with_the_intake_permission(cw, export):
    with pytest.raises(CommandError, match="--user"):
        call_command("import_hotline", str(export), stdout=StringIO())
    with pytest.raises(CommandError, match="may not"):
        call_command("import_hotline", str(export), "--user", "agency", stdout=StringIO())
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_hotline", str(export), "--user", "nobody", stdout=StringIO())


def test_a_dry_run_reports_each_row_and_writes_nothing(cw, export):
    out, error = run(export, "--user", "operator")
    assert error is None, out
    assert "row 2: would be created" in out
    assert "row 3: would be created" in out
    assert "Nothing was written" in out
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not TrackingCounter.objects.exists()
    assert not Notification.objects.exists()


def test_commit_creates_the_cases_and_a_second_commit_finds_them(cw, export):
    out, error = run(export, "--user", "operator", "--commit")
    assert error is None, out
    first, second = Case.objects.order_by("external_ref")
    assert f"row 2: created {first.tracking_number}" in out
    assert f"row 3: created {second.tracking_number}" in out
    assert first.source == "hotline"
    assert first.external_ref == "GD001"
    assert first.reporter is None
    assert first.reporter_name == "陈先生"
    assert first.grid == cw.grid_a1a
    assert second.priority == "urgent"
    assert second.reporter_phone == "0512-52345678"
    assert first.events.get().actor == cw.town_operator

    again, error = run(export, "--user", "operator", "--commit")
    assert error is None, again
    assert f"row 2: exists {first.tracking_number}" in again
    assert f"row 3: exists {second.tracking_number}" in again
    assert Case.objects.count() == 2
    dry, _error = run(export, "--user", "operator")
    assert f"row 2: exists {first.tracking_number}" in dry


def test_it_reports_a_bad_row_by_number_and_still_checks_the_rest(cw, tmp_path):
    path = write_csv(
        tmp_path / "orders.csv",
        CHINESE,
        rows(
            ["GD003", "Z9999", "未知分类", "120.705", "31.605", "", "", "", "", "", ""],
            ["GD004", "E0104", "坐标在北京", "116.404", "39.915", "", "", "", "", "", ""],
            ["GD005", "E0104", "没有坐标", "", "", "", "", "", "", "", ""],
            ["", "", "", "", "", "", "", "", "", "", ""],
            ["GD006", "E0104", "最后一行是好的", "120.705", "31.605", "", "", "", "", "", ""],
        ),
    )
    out, error = run(path, "--user", "operator")
    assert isinstance(error, CommandError)
    assert "3 rows failed" in str(error)
    assert "row 4: error: 问题分类/category:" in out
    assert "Z9999" in out
    assert "row 5: error:" in out and "outside the area" in out
    assert "row 6: error: 事发地址/address:" in out
    assert "row 7" not in out  # a blank line is not a row
    assert "row 8: would be created" in out
    assert not Case.objects.exists()

    out, error = run(path, "--user", "operator", "--commit")
    assert isinstance(error, CommandError)
    assert set(Case.objects.values_list("external_ref", flat=True)) == {"GD001", "GD002", "GD006"}


def test_an_order_twice_in_one_file_is_filed_once(cw, tmp_path):
    path = write_csv(tmp_path / "orders.csv", ENGLISH, [r[:10] for r in rows(rows()[0])])
    out, error = run(path, "--user", "operator")
    assert error is None, out
    assert "row 4: exists (the same order as row 2)" in out
    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    first = Case.objects.get(external_ref="GD001")
    assert f"row 4: exists {first.tracking_number}" in out
    assert Case.objects.count() == 2


def test_it_reads_gb18030_and_bom_csv(cw, tmp_path):
    gbk = write_csv(tmp_path / "gbk.csv", CHINESE, rows(), encoding="gb18030")
    out, error = run(gbk, "--user", "operator", "--commit")
    assert error is None, out
    assert Case.objects.get(external_ref="GD001").description == "夜间施工噪声扰民"
    bom = write_csv(
        tmp_path / "bom.csv",
        CHINESE,
        [["GD010", "E0104", "带BOM的文件", "120.705", "31.605", "", "", "", "", "", ""]],
        encoding="utf-8-sig",
    )
    out, error = run(bom, "--user", "operator", "--commit")
    assert error is None, out
    assert Case.objects.filter(external_ref="GD010").exists()


def test_it_reads_xlsx(cw, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(CHINESE)
    # Excel keeps numbers as numbers and dates as dates.
    sheet.append(
        [20261129001, "E0104", "噪声", 120.705, 31.605, None, "甲一村", 13912345678, "陈先生", True, None]
    )
    sheet.append(["GD-X2", "E0601", "纠纷", 120.715, 31.605, "wgs84", None, None, None, "否", None])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    out, error = run(path, "--user", "operator", "--commit")
    assert error is None, out
    numeric = Case.objects.get(external_ref="20261129001")
    assert numeric.reporter_phone == "13912345678"
    assert numeric.priority == "urgent"
    assert Case.objects.filter(external_ref="GD-X2").exists()


def test_it_refuses_a_file_missing_columns_or_of_another_type(cw, tmp_path):
    path = write_csv(tmp_path / "orders.csv", ["工单编号", "诉求内容"], [["GD001", "噪声"]])
    _out, error = run(path, "--user", "operator", "--commit")
    assert isinstance(error, CommandError)
    assert "问题分类/category" in str(error) and "事发地址/address" in str(error) and "经度/lon" in str(error)
    assert not Case.objects.exists()
    other = tmp_path / "orders.txt"
    other.write_text("x")
    _out, error = run(other, "--user", "operator")
    assert isinstance(error, CommandError)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    _out, error = run(broken, "--user", "operator")
    assert isinstance(error, CommandError)
    assert "xlsx" in str(error)
