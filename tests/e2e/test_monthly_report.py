"""The monthly report in a browser: the town operator opens it from the overview, reads a figure, prints it
and downloads its workbook (opened with openpyxl); desktop, a 360 px phone and the printed page.

Saves var/screenshots/monthly-*.png to be looked at.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.e2e import test_work_pages as work
from tests.e2e.conftest import shown
from tests.e2e.test_work_pages import DESKTOP, PHONE, sign_in, small_targets

pytestmark = pytest.mark.e2e

# The busy town of the work pages' tests: twelve cases reported today in town A, one dispatched.
busy_world = work.busy_world


def shoot(page, screenshots, name: str, phone: bool = False) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"monthly-{name}.png"), full_page=True)
    wider = page.evaluate(
        "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"
    )
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    if phone:
        small = small_targets(page)
        assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def test_the_town_opens_prints_and_downloads_its_monthly_report(
    browser, live_server, busy_world, screenshots, tmp_path
):
    world = busy_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.click("header nav a[href='/cases/work/overview/']")
        page.wait_for_selector(".ov-tiles")
        overview_new = int(page.locator("[data-tile='new'] .ov-tile__value").inner_text().replace(",", ""))
        # The overview shows this month: its link opens this month's report (so far).
        page.click("[data-monthly-link]")
        page.wait_for_selector(".mr-report")
        assert world.town_a.name in page.locator("#mr-title").inner_text()
        shown(page.locator(".mr-partial"))
        new = page.locator("tr[data-volume='new'] td").first.inner_text()
        assert int(new.replace(",", "")) == overview_new == 12
        # One dispatch, signed at once; nothing rated yet.
        assert page.locator("tr[data-rate='response'] td").first.inner_text() == "100.0% 1/1"
        assert page.locator("tr[data-rate='satisfaction'] td").first.inner_text() == "—"
        # The print button is the script's (hidden without it) and prints.
        page.evaluate("window.print = () => { window.__printed = true; }")
        page.click("[data-print]")
        assert page.evaluate("window.__printed") is True
        shoot(page, screenshots, "desktop")
        # On paper: no navigation, no tools, the report alone.
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()
        assert not page.locator(".mr-tools").is_visible()
        shown(page.locator("#mr-title"))
        page.screenshot(path=str(screenshots / "monthly-print.png"), full_page=True)
        # As Chromium prints it, on A4 pages (pdftoppm turns it into pictures to look at).
        page.pdf(path=str(screenshots / "monthly-print.pdf"), prefer_css_page_size=True)
        page.emulate_media(media="screen")
        with page.expect_download() as download:
            page.click("[data-workbook-link]")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
    finally:
        context.close()
    assert errors == []
    assert path.name.startswith("monthly-report-") and path.suffix == ".xlsx"
    book = load_workbook(path)
    assert book.sheetnames == ["概况", "排名", "分类", "职能部门"]
    summary = book["概况"]
    assert world.town_a.name in summary["A1"].value
    assert (summary["A4"].value, summary["B4"].value) == ("新增", 12)
    categories = list(book["分类"].iter_rows(min_row=4, values_only=True))
    assert categories[-1][0] == "全部类别" and categories[-1][2] == 12


def test_the_monthly_report_on_a_phone(browser, live_server, busy_world, screenshots):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, busy_world.town_operator)
        page.goto(f"{live_server.url}/cases/work/overview/")
        page.wait_for_selector("[data-monthly-link]")
        page.click("[data-monthly-link]")
        page.wait_for_selector(".mr-report")
        shoot(page, screenshots, "phone", phone=True)
        # A month not begun yet is refused beside the picker.
        page.goto(f"{live_server.url}/cases/work/report/monthly/?month=2999-01")
        assert "尚未开始" in page.locator("#mr-error").inner_text()
        shoot(page, screenshots, "phone-error", phone=True)
    finally:
        context.close()
