"""The case page on a grid worker's phone (360×640, zh-CN): navigate here, call the reporter, and the
camera control of an action's photos, the same as the report page's.

Saves var/screenshots/casepage-*.png to be looked at: the camera icon on its label's line, no label
broken mid-word.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse
from PIL import Image

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Category
from conftest import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
REPORTER_PHONE = "13912345678"
# Controls a thumb must hit (the hidden file inputs count through their button labels).
TOUCH_TARGETS = (
    "main button, main .btn, main summary, main select, main textarea, "
    "main input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not(.photo-picker__input)"
)

# Each button's label, word by word (a run of Chinese with no space is one word under
# `word-break: keep-all`): a word whose characters sit on more than one line is broken mid-word.
BROKEN_LABELS = """selector => Array.from(document.querySelectorAll(selector)).flatMap(el => {
  if (!el.checkVisibility()) return [];
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g;
    let m;
    while ((m = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
})"""

# Buttons whose label runs past their edge.
OVERFLOWING = """selector => Array.from(document.querySelectorAll(selector))
  .filter(el => el.checkVisibility() && el.scrollWidth > el.clientWidth + 1)
  .map(el => el.textContent.trim())"""

# Each camera control's button: its icon left of its label, their middles level (the defect was an icon
# raised above the label's line), the two centred in the button.
ICONS_OFF_THE_LINE = """() => Array.from(document.querySelectorAll('.photo-picker__button')).filter(b => b.checkVisibility()).flatMap(b => {
  const box = b.getBoundingClientRect();
  const icon = b.querySelector('svg').getBoundingClientRect();
  const label = b.querySelector('.photo-picker__label').getBoundingClientRect();
  const level = Math.abs((icon.top + icon.bottom) / 2 - (label.top + label.bottom) / 2) <= 2;
  const centred = Math.abs((icon.left + label.right) / 2 - (box.left + box.right) / 2) <= 3;
  return (level && centred && icon.right <= label.left) ? [] : [b.textContent.trim()];
})"""


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG")
    return buffer.getvalue()


def small_targets(page) -> list[str]:
    return page.eval_on_selector_all(
        TOUCH_TARGETS,
        """els => els.filter(e => {
              const r = e.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && (r.height < 43.5 || r.width < 43.5);
           }).map(e => e.outerHTML.slice(0, 140) + ' ' + Math.round(e.getBoundingClientRect().width)
                     + 'x' + Math.round(e.getBoundingClientRect().height))""",
    )


def shot(page, screenshots, name: str) -> None:
    """Save a screenshot and check what a phone must get: no sideways scroll, big targets, whole labels,
    camera icons on their label's line."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(screenshots / f"casepage-{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    assert small_targets(page) == [], f"{name} has controls smaller than 44 px"
    assert page.evaluate(BROKEN_LABELS, "main .btn, main summary") == [], f"{name}: a label breaks mid-word"
    assert page.evaluate(OVERFLOWING, "main .btn") == [], f"{name}: a label runs past its button"
    assert page.evaluate(ICONS_OFF_THE_LINE) == [], f"{name}: a camera icon is off its label's line"


@pytest.fixture
def reported(e2e_world) -> Case:
    world = e2e_world
    return services.case_create(
        reporter=world.resident,
        source=Case.Source.RESIDENT,
        category=Category.objects.get(code="C0201"),
        description="路面有一个大坑，雨天积水",
        lon=120.705,
        lat=31.605,
        address="甲一村路口",
        photos=[jpeg((120, 90, 60))],
        reporter_phone=REPORTER_PHONE,
    ).case


@pytest.fixture
def phone_as(browser, live_server):
    """Return a context manager: a phone signed in as a user through the login page."""
    problems: list[str] = []

    @contextmanager
    def open_as(user, next_url: str, **options) -> Iterator[object]:
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1, **options
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"{user}: {exc}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"{user}: {m.text}"))
        try:
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


def test_a_grid_worker_navigates_calls_and_files_a_photo_from_the_camera(
    e2e_world, reported, phone_as, screenshots
):
    world = e2e_world
    url = reverse("cases:detail", args=[reported.tracking_number])
    with phone_as(world.grid_worker, url) as page:
        page.locator("[data-case-map][data-ready='1']").wait_for()
        shot(page, screenshots, "01-case")

        # Navigate here: the phone's map apps, each with its own link scheme; call: the reporter's phone.
        navigate = page.locator("[data-navigate] > summary")
        assert re.search(r"导航|Navigate", navigate.inner_text())
        call = page.locator("a[data-call-reporter]")
        assert re.search(r"呼叫|Call", call.inner_text())
        assert call.get_attribute("href") == f"tel:{REPORTER_PHONE}"
        navigate.click()
        apps = page.locator("[data-map-app]")
        apps.first.wait_for()
        links = {a.get_attribute("data-map-app"): a.get_attribute("href") for a in apps.all()}
        assert links["geo"].startswith("geo:31.605000,120.705000?q=")
        assert links["amap"].startswith("https://uri.amap.com/marker?position=120.7093")
        assert links["baidu"].startswith("https://api.map.baidu.com/marker?location=31.605000,120.705000")
        assert "coord_type=wgs84" in links["baidu"]
        assert links["apple"].startswith("https://maps.apple.com/?ll=31.6030")
        shot(page, screenshots, "02-navigate-open")
        page.locator("h1").click()  # a tap elsewhere closes the list
        assert not page.locator("[data-map-app]").first.is_visible()

        # Accept with a photo taken with the camera button.
        panel = page.locator('details.action-panel[data-action="accept"]')
        panel.locator("summary").click()
        camera_button = panel.locator("label.photo-picker__button[for$='_camera']")
        assert re.search(r"拍照|Take a photo", camera_button.inner_text())
        shot(page, screenshots, "03-accept-open")
        panel.locator("input[data-photo-camera]").set_input_files(
            {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg((40, 140, 60))}
        )
        panel.locator(".photo-preview img").wait_for()
        assert panel.locator(".photo-preview").count() == 1
        assert panel.locator("[data-photo-count]").is_visible()
        shot(page, screenshots, "04-photo-preview")
        panel.locator("textarea").fill("现场核实，坑约半米宽。")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
        page.locator("main .alert-success").wait_for()
        assert page.locator(".case-head [data-state]").get_attribute("data-state") == "accepted"
        page.locator(".timeline img[src*='/photos/']").first.wait_for()
        shot(page, screenshots, "05-accepted-with-photo")

    accept = CaseEvent.objects.get(case=reported, action="accept")
    photos = CasePhoto.objects.filter(case=reported, event=accept)
    assert photos.count() == 1


def test_the_camera_control_looks_the_same_on_the_report_page(e2e_world, phone_as, screenshots):
    with phone_as(e2e_world.resident, reverse("cases:report")) as page:
        picker = page.locator("[data-photo-picker]")
        picker.wait_for()
        shot(page, screenshots, "06-report-photos")
        picker.locator("input[data-photo-camera]").set_input_files(
            {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg((200, 60, 60))}
        )
        picker.locator("input[data-photo-store]").set_input_files(
            {"name": "b.jpg", "mimeType": "image/jpeg", "buffer": jpeg((60, 60, 200))}
        )
        page.wait_for_function("document.querySelectorAll('.photo-preview img').length === 2")
        # Both are kept in the one input the form sends; one can be removed again.
        assert page.evaluate("document.querySelector('[data-photo-store]').files.length") == 2
        page.locator(".photo-preview__remove").first.click()
        assert page.evaluate("document.querySelector('[data-photo-store]').files.length") == 1
        shot(page, screenshots, "07-report-photo-chosen")


def test_an_action_photo_is_sent_without_javascript(e2e_world, reported, phone_as, screenshots):
    url = reverse("cases:detail", args=[reported.tracking_number])
    with phone_as(e2e_world.grid_worker, url, java_script_enabled=False) as page:
        panel = page.locator('details.action-panel[data-action="accept"]')
        panel.locator("summary").click()
        # One plain file input is left (the phone offers its camera from it); the camera button is hidden.
        assert not panel.locator("label.photo-picker__button").first.is_visible()
        store = panel.locator("input[data-photo-store]")
        assert store.is_visible()
        store.set_input_files({"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg((90, 90, 90))})
        page.screenshot(path=str(screenshots / "casepage-08-no-js-accept.png"), full_page=True)
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()
    accept = CaseEvent.objects.get(case=reported, action="accept")
    assert CasePhoto.objects.filter(case=reported, event=accept).count() == 1
