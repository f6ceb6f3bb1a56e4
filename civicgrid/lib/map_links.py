"""Links that open a phone's map app at a point, each in the coordinate system that app expects.

Points are stored in WGS-84 (what GPS gives). Each app is told the point in its own system:
- Android's `geo:` URI (RFC 5870, any map app installed): WGS-84, as stored.
- 高德地图 (AMap)'s marker page with `coordinate=gaode` (its app opens with `callnative=1`): GCJ-02.
- 百度地图 (Baidu Maps)'s marker page: WGS-84, declared with `coord_type=wgs84` (its default is BD-09);
  `output=html` and `src=webapp.<company>.<app>` are what its URI API documents as required.
- Apple Maps: GCJ-02, as Apple draws China on AutoNavi's data; outside China GCJ-02 is WGS-84 itself.
A point sent in the wrong system lands 300-600 m away in a Chinese city: the wrong street.

Used by the case page's "navigate here" (`cases.presenters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.geo import wgs84_to_gcj02

# Decimals of a coordinate in a link: 0.1 m, finer than any phone's fix.
DECIMALS = 6
# Who calls Baidu's URI API (its "webapp.companyName.appName" rule) and AMap's.
BAIDU_SOURCE = "webapp.civicgrid.civicgrid"
AMAP_SOURCE = "civicgrid"
# The longest label a link carries; a map app shows a line of it.
LABEL_MAX = 60


@dataclass(frozen=True)
class MapLink:
    # "geo", "amap", "baidu" or "apple".
    app: str
    # The app's name as a button shows it.
    label: Promise
    href: str


def _number(value: float) -> str:
    return f"{value:.{DECIMALS}f}"


def _query(params: dict[str, str]) -> str:
    # Commas stay readable in "lat,lon"; everything else is percent-encoded as UTF-8.
    return urlencode(params, quote_via=quote, safe=",")


def map_links(lon: float, lat: float, *, label: str = "", detail: str = "") -> list[MapLink]:
    """Return links opening the map apps at a WGS-84 point, pinned with `label` (and `detail`, where an
    app shows a second line), most used in China first and the phone's own `geo:` chooser last."""
    label = " ".join((label or "").split())[:LABEL_MAX]
    detail = " ".join((detail or "").split())[:LABEL_MAX] or label
    lat_w, lon_w = _number(lat), _number(lon)
    glon, glat = wgs84_to_gcj02(lon, lat)
    lat_g, lon_g = _number(glat), _number(glon)
    amap = {
        "position": f"{lon_g},{lat_g}",
        "name": label,
        "src": AMAP_SOURCE,
        "coordinate": "gaode",
        "callnative": "1",
    }
    baidu = {
        "location": f"{lat_w},{lon_w}",
        "title": label,
        "content": detail,
        "output": "html",
        "coord_type": "wgs84",
        "src": BAIDU_SOURCE,
    }
    apple = {"ll": f"{lat_g},{lon_g}", "q": label}
    # Android puts the label in brackets after the point it pins (`q=lat,lon(label)`).
    geo = f"geo:{lat_w},{lon_w}?q={lat_w},{lon_w}"
    if label:
        geo += f"({quote(label, safe='')})"
    return [
        MapLink("amap", _("AMap"), f"https://uri.amap.com/marker?{_query(amap)}"),
        MapLink("baidu", _("Baidu Maps"), f"https://api.map.baidu.com/marker?{_query(baidu)}"),
        MapLink("apple", _("Apple Maps"), f"https://maps.apple.com/?{_query(apple)}"),
        MapLink("geo", _("Other map app"), geo),
    ]
