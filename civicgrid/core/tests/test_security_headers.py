"""Every answer carries a Content-Security-Policy; production settings turn HSTS on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from civicgrid.core.tests.test_settings import ROOT


def production_settings(**env: str) -> dict:
    """Load civicgrid.settings as production would (no DEBUG) and return the security settings."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_COOKIES", "MAP_TILE_URL")}
    clean.update({"SECRET_KEY": "k" * 50, **env})
    code = (
        "import json, civicgrid.settings as s; print(json.dumps({'csp': s.CONTENT_SECURITY_POLICY, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), 'report_only': s.CSP_REPORT_ONLY}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def directives(policy: str) -> dict[str, list[str]]:
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/cases/report/", "/api/v1/cases/categories", "/api/v1/nope"]
)
def test_every_answer_carries_the_policy(client, world, url):
    policy = directives(client.get(url)["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # Icons are data: URIs and photo previews blob: URLs.
    assert {"'self'", "data:", "blob:"} <= set(policy["img-src"])


def test_production_turns_hsts_on_and_sends_a_policy_without_inline_code():
    found = production_settings()
    assert found["hsts"] >= 31_536_000
    assert found["report_only"] is False
    assert "unsafe-inline" not in found["csp"] and "unsafe-eval" not in found["csp"]


def test_hsts_is_off_when_cookies_are_not_secure():
    assert production_settings(SECURE_COOKIES="False")["hsts"] == 0


def test_the_map_tile_host_may_serve_images():
    found = production_settings(MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert directives(found["csp"])["img-src"][-1] == "https://*.tile.example.org"
    plain = production_settings(MAP_TILE_URL="https://tiles.example.net/osm/{z}/{x}/{y}.png")
    assert directives(plain["csp"])["img-src"][-1] == "https://tiles.example.net"


def test_a_whole_policy_and_the_proxy_header_come_from_the_environment():
    found = production_settings(
        CONTENT_SECURITY_POLICY="default-src 'self'", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"
    )
    assert found["csp"] == "default-src 'self'"
    assert found["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_an_https_answer_carries_hsts(settings, world):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_tianditu_key_draws_its_tiles_and_labels_from_its_host():
    found = production_settings(MAP_TIANDITU_KEY="0123abcd")
    assert directives(found["csp"])["img-src"][-1] == "https://t0.tianditu.gov.cn"
    code = "import civicgrid.settings as s; print(s.MAP_TILE_URL); print(s.MAP_TILE_LABELS_URL); print(s.MAP_TILE_CRS)"
    env = {**os.environ, "DEBUG": "True", "MAP_TIANDITU_KEY": "0123abcd"}
    env.pop("MAP_TILE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    tiles, labels, crs = out.stdout.split()
    assert tiles.startswith("https://t0.tianditu.gov.cn/vec_w/wmts?") and "LAYER=vec" in tiles
    assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=0123abcd" in tiles
    assert labels == tiles.replace("vec", "cva")
    assert crs == "wgs84"


def test_an_unknown_tile_crs_stops_the_app_from_starting():
    env = {**os.environ, "DEBUG": "True", "MAP_TILE_CRS": "bd09"}
    out = subprocess.run(
        [sys.executable, "-c", "import civicgrid.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "MAP_TILE_CRS must be wgs84 or gcj02" in out.stderr
