"""The workbook import: header variants, dry run, per-row errors, idempotency, the command."""

from __future__ import annotations

import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from civicgrid.addresses import importer
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.addresses.tests.conftest import add
from civicgrid.core.errors import PermissionDenied

A1A = "329981001001001"
A1B = "329981001001002"
B1A = "329981002001001"


def xlsx(rows: list[tuple]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.encode(encoding)


def test_chinese_header_variants_are_read(world):
    raw = xlsx(
        [
            ("网格代码", "街路巷", "门牌", "小区名称", "幢", "单元号", "曾用名", "经度", "纬度"),
            (A1A, "解放路", 88, "", "", "", "老邮局；邮电大楼、邮局宿舍", 120.705, 31.605),
            (A1A, "", "", "幸福家园", 3, 2, "", None, None),
        ]
    )
    rows = importer.read(raw, "register.xlsx")
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].values["road"] == "解放路" and rows[0].values["number"] == "88"
    assert rows[0].aliases == ["老邮局", "邮电大楼", "邮局宿舍"]
    assert rows[1].values["compound"] == "幸福家园" and rows[1].values["building"] == "3"


def test_english_headers_and_a_gb18030_csv_are_read(world):
    raw = csv_bytes(f"Grid, Road ,Number,Aliases\n{A1A},人民路,5,旧供销社|供销社\n", "gb18030")
    [row] = importer.read(raw, "r.csv")
    assert row.values == {"grid": A1A, "road": "人民路", "number": "5"}
    assert row.aliases == ["旧供销社", "供销社"]


def test_a_file_without_any_address_column_is_refused_whole(world):
    with pytest.raises(importer.FileProblem):
        importer.read(csv_bytes(f"网格编码,经度\n{A1A},120.7\n"), "r.csv")
    with pytest.raises(importer.FileProblem):
        importer.read(b"x", "r.txt")


def _run(world, raw: bytes, *, commit: bool, user=None, name="r.xlsx"):
    rows = importer.read(raw, name)
    return importer.import_rows(
        rows=rows, region=world.town_a, user=user or world.town_operator, commit=commit
    )


WORKBOOK = [
    ("网格编码", "道路", "门牌号", "小区", "楼栋", "单元", "别名", "经度", "纬度", "标准地址"),
    (A1A, "解放路", "88", "", "", "", "老邮局", "120.705", "31.605", ""),  # 2 created
    (A1A, "解放路", "88", "", "", "", "", "", "", ""),  # 3 the same as row 2
    (A1B, "", "", "幸福家园", "3", "2", "", "", "", ""),  # 4 created
    (A1A, "人民路", "5", "", "", "", "", "120.715", "31.605", ""),  # 5 point in A1B: failed
    ("329981001001999", "人民路", "6", "", "", "", "", "", "", ""),  # 6 no such grid
    (B1A, "人民路", "7", "", "", "", "", "", "", ""),  # 7 outside the town
    ("", "海棠路", "12", "", "", "", "", "120.712", "31.602", ""),  # 8 grid found by its point
    (A1A, "", "", "", "", "", "", "", "", "海棠路20号"),  # 9 a whole address
    (A1A, "", "", "", "", "", "", "", "", ""),  # 10 nothing to add
]


def test_a_dry_run_reports_every_row_and_writes_nothing(world):
    results = _run(world, xlsx(WORKBOOK), commit=False)
    outcomes = {r.number: r.outcome for r in results}
    assert outcomes == {
        2: "created",
        3: "exists",
        4: "created",
        5: "failed",
        6: "failed",
        7: "failed",
        8: "created",
        9: "created",
        10: "failed",
    }
    by_row = {r.number: r for r in results}
    assert by_row[3].same_as_row == 2
    assert "甲一村第2网格" in by_row[5].message and "经度/lon" in by_row[5].message
    assert "329981001001999" in by_row[6].message
    assert "Town A" in by_row[7].message
    assert not Address.objects.exists() and not AddressAlias.objects.exists()


def test_the_commit_writes_the_rows_that_passed_and_a_second_run_adds_nothing(world):
    results = _run(world, xlsx(WORKBOOK), commit=True)
    assert importer.outcome_counts(results) == {"created": 4, "exists": 1, "failed": 4}
    assert Address.objects.count() == 4
    found = Address.objects.get(road="海棠路", number="12")
    assert found.grid == world.grid_a1b and found.source == Address.Source.IMPORT
    assert Address.objects.get(road="解放路").aliases.get().text == "老邮局"
    whole = Address.objects.get(text="海棠路20号")
    assert whole.grid == world.grid_a1a

    again = _run(world, xlsx(WORKBOOK), commit=True)
    assert importer.outcome_counts(again) == {"created": 0, "exists": 5, "failed": 4}
    assert Address.objects.count() == 4 and AddressAlias.objects.count() == 1


def test_rows_already_on_the_register_are_reported_as_existing(world):
    existing = add(world.grid_a1a)
    [result] = _run(world, xlsx([WORKBOOK[0], WORKBOOK[1]]), commit=False)
    assert (result.outcome, result.address_id, result.same_as_row) == ("exists", existing.pk, None)


def test_a_village_cadre_may_not_import(world):
    with pytest.raises(PermissionDenied):
        _run(world, xlsx(WORKBOOK), commit=False, user=world.village_cadre)


def test_the_command_checks_then_imports(world, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx(WORKBOOK[:5]))
    out = StringIO()
    with pytest.raises(CommandError, match="1 row failed"):
        call_command("import_addresses", str(path), "--region", world.town_a.code, stdout=out)
    text = out.getvalue()
    assert "row 2: would be created" in text and "row 3: exists (the same address as row 2)" in text
    assert "row 5: error" in text and "Nothing was written" in text
    assert not Address.objects.exists()

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_addresses", str(path), "--region", world.town_a.code, "--commit", stdout=out)
    assert "Created 2, already there 1, failed 1." in out.getvalue()
    assert Address.objects.count() == 2


def test_the_command_refuses_an_unknown_region_and_a_user_outside_it(world, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(f"grid,road,number\n{A1A},解放路,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No place"):
        call_command("import_addresses", str(path), "--region", "123", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command(
            "import_addresses",
            str(path),
            "--region",
            world.town_a.code,
            "--user",
            "outsider",
            stdout=StringIO(),
        )
    call_command(
        "import_addresses",
        str(path),
        "--region",
        world.town_a.code,
        "--user",
        "operator",
        "--commit",
        stdout=StringIO(),
    )
    assert Address.objects.count() == 1


def test_the_template_workbook_has_the_headers_the_import_reads(world):
    raw = importer.template_workbook()
    rows = importer.read(raw, "template.xlsx")
    assert len(rows) == 2 and rows[0].values["grid"] == A1A and rows[1].values["compound"] == "幸福家园"
