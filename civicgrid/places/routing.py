"""Route a point to its grid, village, town and district (interface; the index lives in lib/geo)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlaceRef:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Location:
    lon: float
    lat: float
    routed: bool
    grid: PlaceRef | None
    village: PlaceRef | None
    town: PlaceRef | None
    district: PlaceRef | None


def locate(lon: float, lat: float, crs: str = "wgs84") -> Location:
    raise NotImplementedError
