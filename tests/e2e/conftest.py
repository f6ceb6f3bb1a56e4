"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

No browser is ever downloaded. Without /usr/bin/chromium the tests are skipped with a loud reason,
except under CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread, which makes Django refuse ORM calls
# from fixtures; the calls are in fact synchronous, so the check only gets in the way here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _require_chromium() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "!!! the playwright package is missing: browser tests SKIPPED (pip install -e '.[dev]') !!!"
    else:
        if CHROMIUM.exists():
            return
        reason = (
            f"!!! {CHROMIUM} is missing: browser tests SKIPPED (apt-get install chromium fonts-noto-cjk) !!!"
        )
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " CI=true, so this is a failure.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def e2e_world(transactional_db, world):
    """The shared personas, committed so that the live server's thread sees them."""
    return world


def shown(locator: object) -> None:
    """Wait (up to the context's timeout) until the locator is visible: a click that submits a form
    returns once the navigation starts, so an immediate ``is_visible()`` may still read the old page."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
