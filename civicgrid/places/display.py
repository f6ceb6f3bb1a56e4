"""Coordinates as the maps draw them: the stored WGS-84, shifted to the tiles' system.

Boundaries and case points are stored in WGS-84. Tiles from AMap or Tencent are drawn in GCJ-02, so
on those (settings.MAP_TILE_CRS = "gcj02") everything a map draws is shifted here, on the server,
before it is sent: points, outlines, boxes. A viewport the map sends back is in the tiles' system and
is shifted back (`stored_bbox`) before it is queried. 天地图 (CGCS2000) and OpenStreetMap need nothing.

A point picked on a map is in the tiles' system too: the report page sends it with its `crs` (`crs()`),
and intake (`routing.locate`) converts it to WGS-84 as it does for the API. The browser's GPS fix
(WGS-84) is shifted in the page by `static/js/crs.js`, a port of `lib.geo.wgs84_to_gcj02`.

Used by the staff case map (`cases.views_work`), the place pages, the case pages and the report page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from civicgrid.lib.geo import gcj02_to_wgs84, transform_geometry, wgs84_to_gcj02

BBox = tuple[float, float, float, float]


def crs() -> str:
    """Return the coordinate system the maps draw in (wgs84 or gcj02), and so of a point picked on one."""
    return settings.MAP_TILE_CRS


def shifted() -> bool:
    """Return whether the maps draw on GCJ-02 tiles (so what they draw is shifted)."""
    return crs() == "gcj02"


def point(lon: float, lat: float) -> tuple[float, float]:
    """Return where a stored (WGS-84) point is drawn, as (lon, lat)."""
    return wgs84_to_gcj02(lon, lat) if shifted() else (lon, lat)


def geometry(geom: dict[str, Any]) -> dict[str, Any]:
    """Return a stored GeoJSON geometry (or Feature) as drawn: a shifted copy, or the same one."""
    if not shifted():
        return geom
    if geom.get("type") == "Feature":
        return {**geom, "geometry": geometry(geom["geometry"])}
    return transform_geometry(geom, _shift_rounded)


# Decimals of a shifted outline's positions (0.1 m), as the map index rounds the stored ones.
DECIMALS = 6


def _shift_rounded(lon: float, lat: float) -> tuple[float, float]:
    glon, glat = wgs84_to_gcj02(lon, lat)
    return round(glon, DECIMALS), round(glat, DECIMALS)


def bbox(box: BBox) -> BBox:
    """Return a stored box as drawn (its corners shifted: the offset changes by metres over a town)."""
    if not shifted():
        return box
    west, south = wgs84_to_gcj02(box[0], box[1])
    east, north = wgs84_to_gcj02(box[2], box[3])
    return west, south, east, north


def stored_bbox(box: BBox) -> BBox:
    """Return the stored (WGS-84) box of a box the map drew, such as its viewport."""
    if not shifted():
        return box
    west, south = gcj02_to_wgs84(box[0], box[1])
    east, north = gcj02_to_wgs84(box[2], box[3])
    return west, south, east, north


def tiles() -> dict[str, str]:
    """Return the template context a map container reads its tiles from (`data-tile-*`)."""
    return {
        "map_tile_crs": crs(),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_labels_url": settings.MAP_TILE_LABELS_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
