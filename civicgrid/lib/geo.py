"""Geometry helpers with no models: boundary parsing, areas, coordinate systems, the routing index."""

from __future__ import annotations

import math
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

# Metres per degree of latitude, and of longitude at the equator (WGS-84 mean values).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0


class GeometryError(ValueError):
    """A geometry a user sent that cannot be a boundary; the message is translated."""


def parse_boundary(geometry: Any) -> Polygon | MultiPolygon:
    """Return the shapely geometry of a GeoJSON Polygon/MultiPolygon, or raise GeometryError saying why not."""
    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        raise GeometryError(_("A boundary must be a GeoJSON geometry with “type” and “coordinates”."))
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("A boundary must be a Polygon or MultiPolygon, not %(type)s.") % {"type": geometry["type"]}
        )
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise GeometryError(_("The boundary's coordinates are malformed."))
    if geom.is_empty:
        raise GeometryError(_("The boundary is empty."))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds):
        raise GeometryError(_("The boundary's coordinates are malformed."))
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        raise GeometryError(
            _("Coordinates are out of range: longitude must be within ±180 and latitude within ±90.")
        )
    if not geom.is_valid:
        raise GeometryError(
            _("The boundary is not a valid polygon (%(reason)s).") % {"reason": explain_validity(geom)}
        )
    if geom.area == 0:
        raise GeometryError(_("The boundary has no area."))
    return geom


def geometry_area_m2(geom: Polygon | MultiPolygon) -> float:
    """Return the area in square metres, by a local equirectangular projection (fine at grid scale)."""
    lat = geom.centroid.y
    return float(geom.area * M_PER_DEG_LAT * M_PER_DEG_LON * math.cos(math.radians(lat)))
