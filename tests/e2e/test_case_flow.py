"""The closed loop in a real browser: a resident reports from a phone, the grid verifies and escalates,
the village passes it to the town, the town dispatches with a co-handler and an appointment, the agency
signs and resolves with a photo, the grid checks, the resident rates, and the case is closed.

Phone roles use a 360×640 viewport; the town command centre works at a desk (1280×800). Every step
signs in through the real login page and leaves a screenshot in var/screenshots/case-*.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.cases.models import Appointment, Case, CasePhoto
from conftest import PASSWORD
from tests.e2e.conftest import shown
from tests.e2e.phone import choose_category

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
# Inside grid A1a of the shared world.
INSIDE_A1A = {"latitude": 31.605, "longitude": 120.705, "accuracy": 12}
# Controls a thumb must hit; Leaflet's own zoom buttons are left as Leaflet draws them. Radio buttons
# and checkboxes count through their labels, the hidden photo inputs through their button labels.
TOUCH_TARGETS = (
    "main button:not(.leaflet-control *), main .btn, main summary, main select, main textarea, "
    "main input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not(.photo-picker__input), "
    "main .choice, main .checkbox-field label, main .case-card, main .link-row, .site-header button"
)


def photo_bytes(color: tuple[int, int, int]) -> bytes:
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


class Shots:
    """Numbered screenshots of the flow, each checked for sideways scrolling and small targets."""

    def __init__(self, folder: Path, start: int = 0) -> None:
        self.folder = folder
        self.number = start

    def __call__(self, page, name: str, *, phone: bool = True) -> None:
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => true)")
        self.number += 1
        page.screenshot(path=str(self.folder / f"case-{self.number:02d}-{name}.png"), full_page=True)
        wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, f"{name} scrolls sideways by {wider} px"
        if phone:
            small = small_targets(page)
            assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def flow_world(e2e_world):
    world = e2e_world
    world.agency_b = agency_create(
        code="power", name="供电公司", name_en="Power", region=world.district, kind="state_enterprise"
    )
    world.agency_b_staff = user_create(username="power", password=PASSWORD, display_name="郑供电")
    role_assign(user=world.agency_b_staff, role="agency_staff", agency=world.agency_b)
    return world


@pytest.fixture
def persona(browser, live_server):
    """Return a context manager: a browser signed in as a user through the login page."""
    problems: list[str] = []

    @contextmanager
    def open_as(user, *, viewport=PHONE, next_url: str = "/", **options) -> Iterator[object]:
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1, **options
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"{user}: {exc}"))
        page.on("requestfailed", lambda request: problems.append(f"{user}: failed {request.url}"))
        try:
            if user is not None:
                page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
                page.fill("input[name=login]", user.username)
                page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("main form button[type=submit]")
            else:
                page.goto(f"{live_server.url}{next_url}")
            yield page
        finally:
            context.close()

    yield open_as
    assert problems == [], "JavaScript errors or failed requests:\n" + "\n".join(problems)


def act(page, action: str, *, fill: dict[str, str] | None = None, files: dict[str, bytes] | None = None):
    """Open an action's panel on the case page, fill it and confirm; wait for the page that follows."""
    panel = page.locator(f'details.action-panel[data-action="{action}"]')
    panel.locator("summary").click()
    for selector, value in (fill or {}).items():
        panel.locator(selector).fill(value)
    for selector, content in (files or {}).items():
        panel.locator(selector).set_input_files(
            {"name": "result.jpg", "mimeType": "image/jpeg", "buffer": content}
        )
    return panel


def confirm(page, panel) -> None:
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    page.locator("main .alert-success").wait_for()


def state_of(page) -> str:
    return page.locator(".case-head [data-state]").get_attribute("data-state")


def test_a_report_goes_round_the_loop_and_closes(flow_world, persona, screenshots):
    world = flow_world
    shot = Shots(screenshots)

    # 1. The resident reports a pothole from a phone: a photo, the position from the browser.
    with persona(
        world.resident, next_url="/cases/report/", geolocation=INSIDE_A1A, permissions=["geolocation"]
    ) as page:
        page.locator("[data-report-map][data-pinned='1']").wait_for()
        assert page.input_value("input[name=lon]") == "120.705000"
        assert "甲一村第1网格" in page.locator("[data-locate-status]").inner_text()
        shot(page, "report-located")
        page.locator("#id_photos").set_input_files(
            {"name": "pothole.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes((120, 90, 60))}
        )
        page.locator(".photo-preview img").wait_for()
        choose_category(page, "C0201")
        page.fill("#id_address", "甲一村东门外的路口")
        page.fill("#id_description", "路口有一个大坑，电动车容易摔倒。")
        page.fill("#id_reporter_phone", "13912345678")
        shot(page, "report-filled")
        with page.expect_navigation():
            page.click("[data-submit]")
        number = page.locator("#tracking-number").inner_text().strip()
        assert re.fullmatch(r"\d{8}-\d{4}", number)
        shot(page, "report-received")
        case = Case.objects.get(tracking_number=number)
        assert case.reporter == world.resident and case.grid == world.grid_a1a
        assert CasePhoto.objects.filter(case=case, kind="report").count() == 1

        page.click("main a[href='/cases/mine/']")
        page.locator(f".case-card[data-case='{number}']").wait_for()
        shot(page, "my-reports")
    detail = f"/cases/{number}/"

    # 2. The grid worker finds it among the notifications, verifies it and asks the village for help.
    with persona(world.grid_worker, next_url="/cases/notifications/") as page:
        page.locator(".notice.is-unread", has_text=number).wait_for()
        shot(page, "grid-notifications")
        with page.expect_navigation():
            page.locator(".notice", has_text=number).click()
        assert page.url.endswith(detail)
        assert state_of(page) == "reported"
        shot(page, "grid-verify")
        panel = act(page, "accept", fill={"textarea": "现场核实，坑深约10厘米。"})
        shot(page, "grid-accept-open")
        confirm(page, panel)
        assert state_of(page) == "accepted"
        confirm(page, act(page, "escalate_to_village", fill={"textarea": "需要市政维修，网格内无法处理。"}))
        assert state_of(page) == "village"
        shot(page, "grid-escalated")

    # 3. The village cadre sends it up to the town command centre.
    with persona(world.village_cadre, next_url=detail) as page:
        confirm(page, act(page, "escalate_to_town", fill={"textarea": "村里无维修能力，请镇里派单。"}))
        assert state_of(page) == "town"
        shot(page, "village-escalated")

    # 4. The town dispatches it at a desk: lead agency, a co-handler, an on-site appointment.
    starts = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=9, minute=30)
    with persona(world.town_operator, viewport=DESKTOP, next_url=detail) as page:
        panel = act(page, "dispatch")
        panel.locator("select[name='dispatch-agency']").select_option(str(world.agency.pk))
        panel.locator("label.choice", has_text="供电公司").click()
        panel.locator("input[name='dispatch-appointment_at']").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        panel.locator("input[name='dispatch-appointment_place']").fill("甲一村东门路口")
        panel.locator("textarea[name='dispatch-appointment_participants']").fill(
            "水务局、供电公司、网格员李网格"
        )
        panel.locator("textarea[name='dispatch-note']").fill("请水务局牵头，供电公司配合迁移电缆。")
        shot(page, "town-dispatch-dialog", phone=False)
        confirm(page, panel)
        assert state_of(page) == "dispatched"
        shot(page, "town-dispatched", phone=False)
    case.refresh_from_db()
    assert case.lead_agency == world.agency
    assert list(case.co_agencies.all()) == [world.agency_b]
    assert Appointment.objects.get(case=case).place == "甲一村东门路口"

    # 5. The agency signs for it and resolves it with a photo of the repair.
    with persona(world.agency_staff, next_url=detail) as page:
        shot(page, "agency-to-sign")
        confirm(page, act(page, "sign"))
        assert state_of(page) == "in_progress"
        panel = act(
            page,
            "resolve",
            fill={"textarea": "已回填沥青并压实。"},
            files={"input[data-photo-camera]": photo_bytes((40, 40, 40))},
        )
        shot(page, "agency-resolve-open")
        confirm(page, panel)
        assert state_of(page) == "checking"
        shot(page, "agency-resolved")
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1

    # 6. The grid worker checks it on site.
    with persona(world.grid_worker, next_url=detail) as page:
        confirm(page, act(page, "pass_check", fill={"textarea": "现场复核，路面平整。"}))
        assert state_of(page) == "resolved"
        shot(page, "grid-checked")

    # 7. The resident rates the result; the case closes.
    with persona(world.resident, next_url=detail) as page:
        panel = act(page, "rate", fill={"textarea": "修得很快，谢谢！"})
        panel.locator("label.choice", has_text=re.compile("^(是|Yes)$")).click()
        panel.locator("label.choice").nth(2).click()  # the first satisfaction: satisfied
        shot(page, "resident-rate-open")
        confirm(page, panel)
        assert state_of(page) == "closed"
        shot(page, "resident-closed")
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED and case.satisfaction == "satisfied" and case.solved

    # 8. Anyone can follow it on the public status page, which names no one.
    with persona(None, next_url=f"/cases/status/?number={number}") as page:
        page.locator("[data-case-map][data-ready='1']").wait_for()
        page.locator(".photo-grid img").first.wait_for()
        text = page.content()
        for private in ("13912345678", world.resident.display_name, world.grid_worker.display_name):
            assert private not in text
        shot(page, "public-status")


def test_a_report_without_the_browsers_position_uses_the_map_centre(flow_world, persona, screenshots):
    """Position refused: the map centre marks the place; a refused first try keeps what was typed."""
    shot = Shots(screenshots, start=90)
    with persona(None, next_url="/cases/report/") as page:
        page.locator("[data-report-map][data-ready='1']").wait_for()
        assert page.input_value("input[name=lon]") == ""
        choose_category(page, "C0303")
        page.fill("#id_address", "社区活动中心门口")
        # Checked in the page before sending: what is missing is marked, nothing is sent.
        page.click("[data-submit]")
        shown(page.locator(".report-coords .errorlist"))
        shown(page.locator("[data-description-field] .errorlist"))
        assert page.input_value("#id_address") == "社区活动中心门口"
        shot(page, "report-refused")
        page.click("[data-use-centre]")
        assert page.input_value("input[name=lon]") != ""
        # A tap on the map moves the pin: here into the first grid drawn (A1a).
        page.locator(".leaflet-overlay-pane svg path").first.click(force=True)
        assert "甲一村第1网格" in page.locator("[data-locate-status]").inner_text()
        page.fill("#id_description", "活动中心门口没有无障碍坡道，轮椅进不去。")
        page.uncheck("input[name=is_public]")
        with page.expect_navigation():
            page.click("[data-submit]")
        number = page.locator("#tracking-number").inner_text().strip()
        shot(page, "report-received-private")
    case = Case.objects.get(tracking_number=number)
    assert case.reporter is None and not case.is_public and case.grid == flow_world.grid_a1a


def test_a_report_works_without_javascript(flow_world, persona, screenshots):
    """No script: one file input and typed coordinates still file a case."""
    shot = Shots(screenshots, start=95)
    with persona(None, next_url="/cases/report/", java_script_enabled=False) as page:
        assert page.locator("html.no-js").count() == 1
        page.locator("#id_photos").set_input_files(
            {"name": "bin.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes((30, 120, 30))}
        )
        page.fill("input[name=lon]", "120.705")
        page.fill("input[name=lat]", "31.605")
        page.select_option("#id_category", "C0301")
        page.fill("#id_description", "垃圾箱满了，已经溢出来两天。")
        shot(page, "report-no-js")
        with page.expect_navigation():
            page.click("button[type=submit][data-submit]")
        number = page.locator("#tracking-number").inner_text().strip()
    case = Case.objects.get(tracking_number=number)
    assert case.grid == flow_world.grid_a1a
    assert CasePhoto.objects.filter(case=case).count() == 1
