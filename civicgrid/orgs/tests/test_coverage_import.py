"""Importing targets from a workbook: the dry run changes nothing and reports each row; the import is all or nothing."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from civicgrid.core.models import AuditEntry
from civicgrid.orgs import coverage, targets_import
from civicgrid.orgs.models import Target

CODE = "91320581MA1234567X".replace("X", "1")


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "区划代码", "统一社会信用代码", "人数", "起始日期", "注销日期"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["甲镇巾帼协会", "社会组织", "329981001", "", 12, date(2024, 5, 1), None],
    ["海棠科技", "enterprise", "329981001001", CODE, "30", "2023/1/5", ""],
]


def test_the_dry_run_reports_each_row_and_changes_nothing(net):
    rows = targets_import.read_rows(
        workbook(
            [
                *GOOD,
                ["", "企业", "329981001", "", "", "2024-01-01", ""],
                ["坏日期", "商圈", "999", "", "x", "昨天", ""],
            ]
        ),
        "t.xlsx",
    )
    results = targets_import.import_targets(actor=net.cadre, rows=rows, commit=False)
    assert [(r.number, r.outcome) for r in results] == [(2, "add"), (3, "add"), (4, "failed"), (5, "failed")]
    assert "required" in results[2].message
    assert "999" in results[3].message and "not a date" in results[3].message
    assert Target.objects.count() == 0
    # The real run with errors writes nothing either.
    assert any(
        r.outcome == "failed" for r in targets_import.import_targets(actor=net.cadre, rows=rows, commit=True)
    )
    assert Target.objects.count() == 0


def test_the_import_adds_and_updates_by_credit_code(net):
    existing = coverage.target_create(
        actor=net.cadre,
        name="旧名",
        category="enterprise",
        region=net.world.town_a,
        active_from=date(2020, 1, 1),
        credit_code=CODE,
    )
    rows = targets_import.read_rows(workbook(GOOD), "t.xlsx")
    results = targets_import.import_targets(actor=net.cadre, rows=rows, commit=True)
    assert [r.outcome for r in results] == ["add", "update"]
    existing.refresh_from_db()
    assert existing.name == "海棠科技" and existing.village == net.world.village_a1 and existing.size == 30
    assert existing.active_from == date(2023, 1, 5)
    added = Target.objects.get(name="甲镇巾帼协会")
    assert added.category == "social_org" and added.is_active and added.town == net.world.town_a
    assert AuditEntry.objects.filter(action="orgs.target_import").count() == 1


def test_rows_outside_the_region_are_refused(net):
    rows = targets_import.read_rows(workbook(GOOD), "t.xlsx")
    results = targets_import.import_targets(actor=net.other_cadre, rows=rows, commit=True)
    assert {r.outcome for r in results} == {"failed"}
    assert Target.objects.count() == 0


def test_a_csv_in_gb18030_and_a_bad_header(net):
    text = "名称,类别,区划代码,起始日期\n乙街道协会,社会组织,329981002,2024-02-02\n"
    rows = targets_import.read_rows(text.encode("gb18030"), "t.csv")
    assert [r.outcome for r in targets_import.import_targets(actor=net.cadre, rows=rows, commit=False)] == [
        "add"
    ]
    with pytest.raises(targets_import.FileProblem):
        targets_import.read_rows("名字,电话\n".encode(), "t.csv")
