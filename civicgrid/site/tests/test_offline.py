"""The service worker and the web app manifest (issue 13): installable, and the pages a phone needs
without a signal kept."""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.urls import reverse

from civicgrid.site import offline


def test_the_service_worker_is_served_from_the_root_uncached(client, world):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert json.dumps(reverse("cases:report")) in text or reverse("cases:report") in text
    assert reverse("cases:outbox") in text
    assert offline.version() in text


def test_every_file_the_service_worker_keeps_exists():
    for path in offline.ASSETS:
        assert finders.find(path), path


def test_the_manifest_makes_the_site_installable(client, world):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    body = response.json()
    assert body["display"] == "standalone" and body["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_every_page_links_the_manifest_and_the_outbox(client, world):
    text = client.get("/").text
    assert 'rel="manifest"' in text
    assert "js/outbox.js" in text
    assert 'data-service-worker="/sw.js"' in text


def test_the_offline_page_offers_reporting(client, world):
    text = client.get(reverse("site:offline")).text
    assert reverse("cases:report") in text and reverse("cases:outbox") in text
