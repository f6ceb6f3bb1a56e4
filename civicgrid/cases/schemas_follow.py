"""API schemas of nearby duplicates and following (`cases.duplicates`, `services.following`)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from civicgrid.cases.schemas import Crs
from civicgrid.core.schemas import InputSchema


class SimilarQuery(InputSchema):
    lon: float = Field(..., ge=-180, le=180, description="Longitude of the new report, in `crs`")
    lat: float = Field(..., ge=-90, le=90, description="Latitude of the new report, in `crs`")
    crs: Crs = Field("wgs84", description="wgs84 (GPS), gcj02 (WeChat, AMap) or bd09 (Baidu)")
    category: str = Field("", max_length=10, description="The code of the minor class chosen, if any")
    text: str = Field("", max_length=2000, description="The description typed so far, if any")
    limit: int = Field(5, ge=1, le=20)


class SimilarCaseOut(Schema):
    """What anyone may read of an open public case (no names, no phones), and why it was offered."""

    tracking_number: str
    state_label: str
    category: str = Field(..., description="The minor class's name in the request's language")
    category_code: str
    description: str
    address: str
    lon: float = Field(..., description="WGS-84, rounded to about 100 m")
    lat: float
    created_at: datetime
    distance_m: float = Field(..., description="From the point asked about, in metres")
    same_category: bool
    text_score: float = Field(..., description="How alike the texts are, 0..1 (character pairs)")
    photo_url: str = Field(..., description="The first report photo's thumbnail, or empty")
    status_url: str = Field(..., description="The case's public status page")


class SimilarOut(Schema):
    radius_m: float
    window_days: float
    items: list[SimilarCaseOut]


class FollowOut(Schema):
    tracking_number: str
    created: bool = Field(..., description="False when you already followed this case")
    status_url: str = Field(..., description="The case's public status page")
