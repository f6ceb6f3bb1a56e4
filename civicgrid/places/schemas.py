"""API shapes for places."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

from civicgrid.core.schemas import InputSchema


class LocateIn(InputSchema):
    lon: float = Field(..., description="Longitude in the given coordinate system")
    lat: float = Field(..., description="Latitude in the given coordinate system")
    crs: Literal["wgs84", "gcj02", "bd09"] = Field(
        "wgs84", description="wgs84 (GPS), gcj02 (WeChat, AMap, Tencent) or bd09 (Baidu)"
    )


class PlaceRefOut(Schema):
    id: int
    code: str
    name: str
    level: str


class LocationOut(Schema):
    lon: float = Field(..., description="WGS-84 longitude, as stored")
    lat: float = Field(..., description="WGS-84 latitude, as stored")
    routed: bool = Field(..., description="False when the point is outside every grid")
    grid: PlaceRefOut | None
    village: PlaceRefOut | None
    town: PlaceRefOut | None
    district: PlaceRefOut | None


class PlaceOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None = Field(None, alias="parent.code")
    child_count: int | None = None


class BoundaryOut(Schema):
    geometry: dict[str, Any]
    valid_from: Any
    valid_to: Any | None
    area_m2: float


class PersonOut(Schema):
    name: str
    role: str
    role_label: str
    phone: str
    scope_code: str


class PlaceDetailOut(Schema):
    place: PlaceOut
    chain: list[PlaceOut]
    boundary: BoundaryOut | None
    children: list[PlaceOut]
    people: list[PersonOut]


class TreeIn(InputSchema):
    parent: str | None = Field(
        None, max_length=20, description="Code of a place; without it, the places you may start from"
    )


class SearchIn(InputSchema):
    q: str = Field("", max_length=100, description="Part of a place's name or code")
