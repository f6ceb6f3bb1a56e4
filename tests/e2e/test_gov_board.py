"""The task board (揭榜领办) on phones (360 × 640, zh-CN): the town operator publishes a matter; an
agency's staff member claims it from the board with a plan, reports progress with a photo from the
camera control, and completes it; the village cadre verifies it; the public board shows it verified.

Saves var/screenshots/gov-board-*.png to be looked at: no sideways scroll, targets of 44 px, whole
button labels, the camera icon on its label's line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse

from civicgrid.core.models import AuditEntry
from civicgrid.governance.models import Matter, MatterPhoto, MatterUpdate
from conftest import PASSWORD
from tests.e2e.test_case_page_phone import (
    BROKEN_LABELS,
    ICONS_OFF_THE_LINE,
    OVERFLOWING,
    PHONE,
    jpeg,
    small_targets,
)

pytestmark = pytest.mark.e2e

TITLE = "甲一村东门公厕无障碍改造"


def shot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"gov-board-{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)
    assert page.evaluate(BROKEN_LABELS, "main .btn, main summary") == [], f"{name}: a label breaks mid-word"
    assert page.evaluate(OVERFLOWING, "main .btn") == [], f"{name}: a label runs past its button"
    assert page.evaluate(ICONS_OFF_THE_LINE) == [], f"{name}: a camera icon is off its label's line"


@pytest.fixture
def phone(browser, live_server):
    """Return a context manager: a phone, signed in as `user` through the login page (or not at all)."""
    problems: list[str] = []

    @contextmanager
    def open_as(user, next_url: str) -> Iterator[object]:
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1, has_touch=True
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        who = user.username if user else "anonymous"
        page.on("pageerror", lambda exc: problems.append(f"{who}: {exc}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"{who}: {m.text}"))
        try:
            if user is None:
                page.goto(f"{live_server.url}{next_url}")
            else:
                page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
                page.fill("input[name=login]", user.username)
                page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("main form button[type=submit]")
            yield page
        finally:
            context.close()

    yield open_as
    assert problems == [], "JavaScript errors:\n" + "\n".join(problems)


def _take_step(page, action: str, text: str) -> None:
    panel = page.locator(f'details[data-step="{action}"]')
    panel.locator("summary").click()
    panel.locator(f'textarea[name="{action}-text"]').fill(text)
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    page.locator("main .alert-success").wait_for()


def test_a_matter_goes_from_the_town_to_an_agency_and_is_verified_by_the_village(
    e2e_world, phone, screenshots
):
    world = e2e_world
    board = reverse("governance:board_list")

    # The town operator publishes a matter from the board.
    with phone(world.town_operator, board) as page:
        shot(page, screenshots, "01-empty-board")
        with page.expect_navigation():
            page.click("[data-board-new]")
        page.fill("#id_title", TITLE)
        page.fill("#id_need", "东门公厕缺少无障碍扶手和坡道，轮椅无法进入，需加装扶手、改建坡道。")
        page.select_option("#id_region", world.grid_a1a.code)
        page.fill("#id_budget", "30000")
        page.fill("#id_deadline", "2099-06-30")
        shot(page, screenshots, "02-publish-form")
        with page.expect_navigation():
            page.click("[data-publish]")
        page.locator("main .alert-success").wait_for()
        assert page.locator(".gov-head [data-state]").get_attribute("data-state") == "open"
        shot(page, screenshots, "03-published")
    matter = Matter.objects.get(title=TITLE)
    assert (matter.state, matter.publisher, matter.town) == ("open", world.town_a, world.town_a)

    # The agency's staff member finds it on the board and claims it with a plan.
    with phone(world.agency_staff, board) as page:
        page.locator(f'[data-matter="{matter.pk}"]').wait_for()
        shot(page, screenshots, "04-board-open")
        with page.expect_navigation():
            page.click(f'[data-matter="{matter.pk}"]')
        panel = page.locator('details[data-step="claim"]')
        panel.locator("summary").click()
        assert "市水务局" in panel.locator("[data-claim-as]").inner_text()
        panel.locator('textarea[name="claim-text"]').fill("两周内完成：第一周加装扶手，第二周改建坡道。")
        shot(page, screenshots, "05-claim-form")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        page.locator("main .alert-success").wait_for()
        assert page.locator(".gov-head [data-state]").get_attribute("data-state") == "claimed"
        assert "两周内完成" in page.locator('[data-field="plan"]').inner_text()

        # Progress with a photo from the camera control.
        panel = page.locator('details[data-step="progress"]')
        panel.locator("summary").click()
        camera = panel.locator("label.photo-picker__button[for$='_camera']")
        assert re.search(r"拍照|Take a photo", camera.inner_text())
        panel.locator("input[data-photo-camera]").set_input_files(
            {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg((40, 140, 60))}
        )
        panel.locator(".photo-preview img").wait_for()
        panel.locator('textarea[name="progress-text"]').fill("扶手已全部安装，坡道正在浇筑。")
        shot(page, screenshots, "06-progress-photo")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        page.locator("main .alert-success").wait_for()
        page.locator("[data-board-photos] img").first.wait_for()
        shot(page, screenshots, "07-progress-recorded")

        _take_step(page, "complete", "坡道已完工，扶手和坡道均可使用。")
        assert page.locator(".gov-head [data-state]").get_attribute("data-state") == "completed"
        assert page.locator('details[data-step="verify"]').count() == 0
        shot(page, screenshots, "08-completed")
    assert MatterPhoto.objects.filter(update__matter=matter, update__kind="progress").count() == 1

    # The village cadre checks the result and verifies it.
    with phone(world.village_cadre, reverse("governance:board_detail", args=[matter.pk])) as page:
        page.locator('details[data-step="verify"]').wait_for()
        panel = page.locator('details[data-step="verify"]')
        panel.locator("summary").click()
        shot(page, screenshots, "09-verify-form")
        panel.locator('textarea[name="verify-text"]').fill("现场查看，扶手牢固，坡道平缓，合格。")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        page.locator("main .alert-success").wait_for()
        assert page.locator(".gov-head [data-state]").get_attribute("data-state") == "verified"

    # The public board shows it verified, with the thumbnail of its progress photo.
    with phone(None, board + "?state=verified") as page:
        card = page.locator(f'[data-matter="{matter.pk}"]')
        card.wait_for()
        assert card.get_attribute("data-state") == "verified"
        assert "市水务局" in card.inner_text()
        shot(page, screenshots, "10-public-board-verified")
        with page.expect_navigation():
            card.click()
        page.locator("[data-board-photos] img").first.wait_for()
        assert page.locator("[data-board-photos] a[data-size='full']").count() == 0
        shot(page, screenshots, "11-public-matter")

    matter.refresh_from_db()
    assert matter.state == "verified" and matter.verified_by == world.village_cadre
    kinds = list(MatterUpdate.objects.filter(matter=matter).values_list("kind", flat=True))
    assert kinds == ["published", "claimed", "progress", "completed", "verified"]
    assert AuditEntry.objects.filter(action__startswith="governance.matter_").count() == 6
