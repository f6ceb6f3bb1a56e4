"""The command centre's Excel export in a browser: filter, download, open the file with openpyxl."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from tests.e2e import test_work_pages as work
from tests.e2e.test_work_pages import DESKTOP, sign_in

pytestmark = pytest.mark.e2e

# The busy town of the work pages' tests: cases at every step, some overdue, some due soon.
busy_world = work.busy_world


def test_the_town_downloads_its_filtered_list_and_it_opens_in_excel(
    browser, live_server, busy_world, tmp_path
):
    world = busy_world
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, world.town_operator)
        page.goto(f"{live_server.url}/cases/work/centre/?overdue=on")
        page.wait_for_selector("#centre-results [data-export-link]")
        shown = int(re.sub(r"[^0-9]", "", page.locator("#centre-results .count").first.inner_text()))
        numbers = page.locator("#centre-results table tbody tr a[href^='/cases/2']").all_inner_texts()
        with page.expect_download() as download:
            page.click("[data-export-link]")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
    finally:
        context.close()
    assert path.suffix == ".xlsx"
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "受理编号"
    assert len(rows) - 1 == shown == 2
    assert [r[0] for r in rows[1:]] == numbers
