"""A town operator imports a 12345 export in a browser (issue 15), on a phone (360 × 640) and at a
desk (1280): uploads the workbook, reads the dry-run report with a category path not mapped yet,
answers it, and commits. Screenshots go to /tmp/shots-hotimport/ to be looked at.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from civicgrid.addresses import matching
from civicgrid.cases.models import Case, HotlineCategoryMap
from civicgrid.cases.tests.test_hotline_exports import PATH, REGISTER, SHAPE_HOTLINE, hotline_rows
from tests.e2e.test_work_pages import DESKTOP, PHONE, sign_in, small_targets

pytestmark = pytest.mark.e2e

SHOTS = Path(tempfile.gettempdir()) / "shots-hotimport"


def shoot(page, name: str, *, targets: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if targets:
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def register(e2e_world, monkeypatch):
    def match(text, *, within=None):
        entry = REGISTER.get(text.strip())
        if entry is None:
            return None
        grid, confidence, method, point = entry
        lon, lat = point or (None, None)
        return matching.Match(getattr(e2e_world, grid).pk, confidence, method, None, lon, lat, text)

    monkeypatch.setattr(matching, "match", match)
    return e2e_world


def workbook(tmp_path: Path) -> Path:
    book = Workbook()
    book.active.append(SHAPE_HOTLINE)
    for row in hotline_rows():
        book.active.append(row)
    path = tmp_path / "12345工单导出.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_town_operator_answers_an_unmapped_path_and_imports(browser, live_server, register, tmp_path, size):
    world = register
    viewport = PHONE if size == "phone" else DESKTOP
    context = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=size == "phone",
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/centre/")
        page.click("a[href='/cases/work/hotline-import/']")
        page.wait_for_url("**/hotline-import/")
        shoot(page, f"{size}-1-empty")

        page.set_input_files("input[type=file]", str(workbook(tmp_path)))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("[data-import-state=checked]")
        assert page.locator("[data-count=unmapped]").inner_text() == "3"
        assert PATH in page.locator("[data-unmapped]").inner_text()
        assert "尚未" in page.locator("[data-unmapped]").inner_text() or "not mapped" in page.content()
        assert not Case.objects.exists()
        shoot(page, f"{size}-2-unmapped")

        page.select_option("[data-unmapped] select", "E0104")
        page.click("[data-unmapped] button[type=submit]")
        page.wait_for_selector("[data-import-state=checked]")
        assert page.locator("[data-unmapped]").count() == 0
        assert page.locator("[data-count=routed]").inner_text() == "2"
        assert page.locator("[data-count=unrouted]").inner_text() == "1"
        assert page.locator("[data-outcome=unrouted]").count() == 1
        assert HotlineCategoryMap.objects.get().category.code == "E0104"
        shoot(page, f"{size}-3-checked")

        page.click(".hotline-confirm button[type=submit]")
        page.wait_for_selector("[data-import-state=committed]")
        shoot(page, f"{size}-4-committed")
        assert Case.objects.count() == 3
        assert Case.objects.get(external_ref="GD1001").grid == world.grid_a1a
        assert page.locator("tbody a.code").count() == 3
    finally:
        context.close()
    assert errors == []
