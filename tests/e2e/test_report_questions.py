"""The report page asks the chosen category's questions in a browser (report.js draws them from the
page's configuration); the server's refusal comes back beside the question; answered, the case keeps
the answers. Saves var/screenshots/report-questions-*.png to be looked at.
"""

from __future__ import annotations

import pytest

from civicgrid.cases import seed
from civicgrid.cases.models import Case, Category, CategoryQuestion
from civicgrid.cases.tests.conftest import jpeg
from tests.e2e.phone import choose_category
from tests.e2e.test_case_flow import small_targets
from tests.e2e.test_work_pages import PHONE, sign_in

pytestmark = pytest.mark.e2e

GRID_A1A_CENTRE = (120.705, 31.605)


@pytest.fixture
def questions_world(e2e_world):
    seed.load_categories(Category)  # a transactional test before this one may have flushed the seed
    seed.load_questions(Category, CategoryQuestion)
    return e2e_world


def shoot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


def test_the_report_page_asks_the_categorys_questions_and_files_the_answers(
    browser, live_server, questions_world, screenshots
):
    world = questions_world
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=1,
        geolocation={"longitude": GRID_A1A_CENTRE[0], "latitude": GRID_A1A_CENTRE[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    photo = {"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    try:
        sign_in(page, live_server.url, world.resident)
        page.goto(f"{live_server.url}/cases/report/")
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        questions = page.locator("[data-questions]")
        assert questions.is_hidden()  # no category chosen yet

        # Illegal parking: several choices as checkboxes, all optional.
        choose_category(page, "E0402")
        assert questions.is_visible()
        assert page.locator("input[type=checkbox][name='answers.vehicles']").count() == 4
        page.check("input[name='answers.vehicles'][value='ebike']")
        shoot(page, screenshots, "report-questions-choices-360")
        # A manhole cover: its damage is required, chosen from a list.
        choose_category(page, "C0101")
        assert page.locator("input[name='answers.vehicles']").count() == 0
        assert "必填" in page.locator("[data-question='damage'] label").inner_text()
        page.set_input_files("#id_photos", photo)
        page.fill("#id_description", "人行道上的井盖破了一角。")
        page.click("[data-submit]")
        # Checked before sending: the error is beside the question, nothing was sent or lost.
        damage = page.locator("[data-question='damage']")
        assert "请回答“损坏程度”" in damage.inner_text()
        assert damage.locator("select").get_attribute("aria-invalid") == "true"
        assert page.input_value("#id_description") == "人行道上的井盖破了一角。"
        page.wait_for_timeout(300)
        shoot(page, screenshots, "report-questions-360")

        page.select_option("select[name='answers.damage']", "broken")
        page.select_option("select[name='answers.cover_use']", "sewage")
        assert page.locator(".photo-preview img").count() == 1  # the photo is still chosen
        with page.expect_navigation():
            page.click("[data-submit]")
        number = page.locator("#tracking-number").inner_text().strip()
        # The reporter reads the answers on the case page.
        page.goto(f"{live_server.url}/cases/{number}/")
        answers = page.locator("[data-answers]")
        assert "破损" in answers.inner_text() and "污水" in answers.inner_text()
        shoot(page, screenshots, "report-questions-case-360")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    case = Case.objects.get(tracking_number=number)
    assert case.category.code == "C0101"
    assert case.answers == {"damage": "broken", "cover_use": "sewage"}
