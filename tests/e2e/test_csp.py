"""The Content-Security-Policy breaks no page: every page of each persona loads with no violation and
no console error, maps and photo previews included."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civicgrid.cases import services
from civicgrid.cases.models import Case, Category
from civicgrid.cases.seed import load_categories
from conftest import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + " " + e.blockedURI);
});
"""


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def console(message, problems: list[str]) -> None:
    # The admin's pages name no icon, so the browser asks for /favicon.ico: a 404, not a policy matter.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        problems.append(f"console {message.type}: {message.text} {message.location}")


def visit(page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
    page.wait_for_load_state("load")
    for violation in page.evaluate("window.__cspViolations || []"):
        problems.append(f"{url}: CSP refused {violation}")


def test_no_page_breaks_the_content_security_policy(browser, live_server, e2e_world):
    world = e2e_world
    if not Category.objects.exists():
        load_categories(Category)
    case = services.case_create(
        reporter=world.resident,
        source=Case.Source.RESIDENT,
        category=Category.objects.get(code="C0201"),
        description="路面有一个大坑",
        lon=120.705,
        lat=31.605,
        photos=[jpeg()],
    ).case
    base = live_server.url
    problems: list[str] = []

    def open_page(user=None):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
        context.set_default_timeout(10_000)
        context.add_init_script(WATCH)
        page = context.new_page()
        page.on("console", lambda m: console(m, problems))
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        if user is not None:
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=login]", user.username)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        return context, page

    # Anyone: the home page, sign-in, the admin's sign-in, the report page with a photo preview.
    context, page = open_page()
    for url in ("/", "/accounts/login/", "/admin/login/", f"/cases/status/{case.tracking_number}/"):
        visit(page, base + url, problems)
    visit(page, f"{base}/cases/report/", problems)
    page.locator("#id_photos").set_input_files({"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.locator(".photo-preview img").wait_for()
    # The preview decodes (a blob: image the policy must allow); on a busy machine it takes a moment.
    page.wait_for_function(
        "() => { const i = document.querySelector('.photo-preview img'); return i && i.complete; }"
    )
    assert page.evaluate("document.querySelector('.photo-preview img').naturalWidth") > 0
    visit(page, f"{base}/cases/status/", problems)
    context.close()

    # The town operator: places and their maps, the work pages with the case map, a case.
    context, page = open_page(world.town_operator)
    for url in (
        "/",
        "/places/",
        world.grid_a1a.get_absolute_url(),
        "/cases/work/",
        "/cases/work/centre/",
        "/cases/work/map/",
        f"/cases/{case.tracking_number}/",
        "/cases/notifications/",
        "/accounts/tokens/",
    ):
        visit(page, base + url, problems)
    # The legend's colours are set by a script, not style="" attributes.
    page.goto(f"{base}/cases/work/map/")
    page.locator(".leaflet-container").wait_for()
    dot = page.evaluate(
        "getComputedStyle(document.querySelector('.work-legend__dot')).getPropertyValue('--dot').trim()"
    )
    assert dot.startswith("#"), dot
    context.close()

    # The resident's own case page with its photo.
    context, page = open_page(world.resident)
    visit(page, f"{base}/cases/{case.tracking_number}/", problems)
    visit(page, f"{base}/cases/mine/", problems)
    context.close()

    assert problems == [], "\n".join(problems)
