"""The map apps' links: each app gets the point in the system it expects (no database)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.lib.map_links import map_links

# A published pair from googollee/eviltransform's test suite (as in test_geo.py): Shanghai, WGS-84 and
# GCJ-02, (lat, lon). Written here by hand, not computed with the function the links use.
WGS = (31.1774276, 121.5272106)
GCJ = (31.17530398364597, 121.531541859215)
# One link coordinate's rounding (6 decimals) and then some.
TOLERANCE = 1.5e-6


def links(lon=WGS[1], lat=WGS[0], **kw) -> dict[str, str]:
    return {link.app: link.href for link in map_links(lon, lat, **kw)}


def query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def pair(text: str) -> tuple[float, float]:
    first, second = text.split(",")
    return float(first), float(second)


def test_it_offers_amap_baidu_apple_and_the_phones_own_chooser():
    assert list(links()) == ["amap", "baidu", "apple", "geo"]


def test_amap_gets_the_point_shifted_to_gcj02_as_lon_lat():
    href = links(label="路灯不亮")["amap"]
    assert href.startswith("https://uri.amap.com/marker?")
    q = query(href)
    lon, lat = pair(q["position"])
    assert (lat, lon) == (pytest.approx(GCJ[0], abs=TOLERANCE), pytest.approx(GCJ[1], abs=TOLERANCE))
    assert q["coordinate"] == "gaode" and q["callnative"] == "1"
    assert q["name"] == "路灯不亮"


def test_baidu_gets_the_stored_wgs84_point_and_is_told_so():
    href = links(label="路灯不亮", detail="甲一村路口")["baidu"]
    assert href.startswith("https://api.map.baidu.com/marker?")
    q = query(href)
    lat, lon = pair(q["location"])
    assert (lat, lon) == (pytest.approx(WGS[0], abs=TOLERANCE), pytest.approx(WGS[1], abs=TOLERANCE))
    assert q["coord_type"] == "wgs84"
    assert q["output"] == "html" and q["src"].startswith("webapp.")
    assert (q["title"], q["content"]) == ("路灯不亮", "甲一村路口")


def test_apple_maps_gets_the_point_shifted_to_gcj02_in_china():
    href = links(label="路灯不亮")["apple"]
    assert href.startswith("https://maps.apple.com/?")
    q = query(href)
    lat, lon = pair(q["ll"])
    assert (lat, lon) == (pytest.approx(GCJ[0], abs=TOLERANCE), pytest.approx(GCJ[1], abs=TOLERANCE))
    assert q["q"] == "路灯不亮"


def test_the_geo_uri_carries_the_wgs84_point_and_the_label_in_brackets():
    href = links(label="井盖 (缺失)")["geo"]
    match = re.fullmatch(r"geo:([-\d.]+),([-\d.]+)\?q=([-\d.]+),([-\d.]+)\((.*)\)", href)
    assert match, href
    lat, lon, q_lat, q_lon = (float(g) for g in match.groups()[:4])
    assert (lat, lon) == (q_lat, q_lon)
    assert (lat, lon) == (pytest.approx(WGS[0], abs=TOLERANCE), pytest.approx(WGS[1], abs=TOLERANCE))
    # The label's own brackets are encoded, so the app reads where it ends.
    assert "(" not in match.group(5) and unquote(match.group(5)) == "井盖 (缺失)"


def test_outside_china_every_app_gets_the_same_point():
    # Paris: GCJ-02 is WGS-84 itself there.
    hrefs = links(lon=2.2945, lat=48.8584)
    assert pair(query(hrefs["amap"])["position"]) == (2.2945, 48.8584)
    assert pair(query(hrefs["apple"])["ll"]) == (48.8584, 2.2945)
    assert pair(query(hrefs["baidu"])["location"]) == (48.8584, 2.2945)


def test_a_point_with_no_label_still_gives_working_links():
    hrefs = links(label="")
    assert hrefs["geo"] == "geo:31.177428,121.527211?q=31.177428,121.527211"
    assert query(hrefs["baidu"])["location"] == "31.177428,121.527211"


@given(
    st.floats(min_value=73.0, max_value=135.0),
    st.floats(min_value=18.0, max_value=53.0),
    st.text(max_size=80),
)
def test_every_link_parses_back_to_its_point_whatever_the_label(lon, lat, label):
    hrefs = links(lon=lon, lat=lat, label=label)
    wgs_lat, wgs_lon = pair(query(hrefs["baidu"])["location"])
    assert (wgs_lat, wgs_lon) == (pytest.approx(lat, abs=1e-6), pytest.approx(lon, abs=1e-6))
    amap_lon, amap_lat = pair(query(hrefs["amap"])["position"])
    apple_lat, apple_lon = pair(query(hrefs["apple"])["ll"])
    assert (amap_lat, amap_lon) == (apple_lat, apple_lon)
    # The GCJ-02 offset in mainland China is a few hundred metres, never zero, never kilometres.
    assert 1e-4 < abs(amap_lon - lon) + abs(amap_lat - lat) < 0.02
    assert hrefs["geo"].startswith(f"geo:{wgs_lat:.6f},{wgs_lon:.6f}?q=")
