"""What the phone keeps for use without a signal (issue 13): the service worker's lists and the web
app manifest's contents. Read by `site.views.service_worker` and `site.views.manifest`.

The service worker (templates/site/sw.js) keeps the pages below and this site's static files; the
pages a person opens under `RUNTIME_PREFIXES` are kept as they were last seen (network first), so a
grid worker's queue and case pages open without a signal. Signing out forgets them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

# Static files every offline page needs, fetched when the service worker installs.
ASSETS = (
    "css/app.css",
    "css/similar.css",
    "css/questions.css",
    "css/report-quick.css",
    "css/photo-picker.css",
    "css/case-nav.css",
    "js/early.js",
    "js/app.js",
    "js/outbox.js",
    "js/outbox-page.js",
    "js/crs.js",
    "js/report.js",
    "js/report-similar.js",
    "js/photo-picker.js",
    "js/case-detail.js",
    "icons/quick.svg",
    "icons/app-192.png",
    "vendor/leaflet-1.9.4/leaflet.css",
    "vendor/leaflet-1.9.4/leaflet.js",
    "vendor/htmx.org-2.0.11/htmx.min.js",
)
# Pages opened under these are kept for offline use (HTML answers only, never downloads or the API).
RUNTIME_PREFIXES = ("/cases/", "/accounts/me/", "/volunteers/", "/points/")


def pages() -> list[str]:
    """Return the pages kept when the service worker installs: home, reporting, the outbox, offline."""
    return [reverse("site:home"), reverse("cases:report"), reverse("cases:outbox"), reverse("site:offline")]


def assets() -> list[str]:
    return [static(path) for path in ASSETS]


@lru_cache(maxsize=1)
def version() -> str:
    """Return a digest of the kept files' contents: a new release installs a new service worker,
    which replaces what the phone kept."""
    digest = hashlib.sha256()
    for path in ASSETS:
        found = finders.find(path)
        digest.update(path.encode())
        if found:
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:12]


def manifest() -> dict:
    """Return the web app manifest, in the request's language: installable from the browser's menu."""
    return {
        "name": _("CivicGrid — grid-based community governance"),
        "short_name": _("CivicGrid"),
        "description": _("Report a problem with a photo and its place; grid workers handle it on site."),
        "start_url": reverse("site:home") + "?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6fa",
        "theme_color": "#123a78",
        "lang": "zh-CN",
        "icons": [
            {"src": static("icons/app-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/app-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/app-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {"name": _("Report a problem"), "url": reverse("cases:report")},
            {"name": _("Waiting to be sent"), "url": reverse("cases:outbox")},
        ],
    }
