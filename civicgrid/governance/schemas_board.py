"""The API's shapes of the task board (pydantic, through django-ninja); every name starts with
GovMatter, unique across the whole API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from civicgrid.core.schemas import InputSchema


class GovMatterCardOut(Schema):
    id: int
    title: str
    state: str = Field(description="draft, open, claimed, completed, verified or withdrawn")
    state_label: str
    place: str = Field(description="The place it serves, with the village or town that holds it")
    town: str
    budget: Decimal | None = Field(description="Yuan; null when it is to be agreed")
    deadline: date
    is_overdue: bool
    claimant: str
    claimant_kind_label: str
    published_at: datetime | None
    url: str = Field(description="The matter's page")


class GovMatterPageOut(Schema):
    items: list[GovMatterCardOut]
    next_cursor: str = Field("", description="Send as `after` for the next page; empty on the last page.")


class GovMatterPhotoOut(Schema):
    id: int
    thumbnail_url: str
    url: str = Field(description="The full photo; empty when you may open the thumbnail only.")
    width: int
    height: int


class GovMatterEntryOut(Schema):
    id: int
    kind: str
    label: str
    at: datetime
    actor: str = Field(description="Who took the step (for the public: the claimant, the town or village)")
    text: str
    photos: list[GovMatterPhotoOut]


class GovMatterDetailOut(GovMatterCardOut):
    need: str
    plan: str
    publisher: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    verified_at: datetime | None
    entries: list[GovMatterEntryOut] = Field(description="The record, newest first")
    steps: list[str] = Field(description="The steps you may take now")
    can_edit: bool
    version: int = Field(description="Send back with a step: a step on an older version is refused (409).")


class GovMatterIn(InputSchema):
    title: str = Field(max_length=120)
    need: str = Field(max_length=4000)
    budget: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    region_code: str = Field(max_length=15, description="The town, village or grid it serves")
    deadline: date
    publish: bool = Field(False, description="Put it on the board at once (else a draft)")


class GovMatterStepIn(InputSchema):
    text: str = Field("", max_length=4000, description="The note, reason or report of the step")
    version: int | None = Field(None, description="The matter's version you acted on")


class GovMatterClaimIn(InputSchema):
    plan: str = Field(max_length=4000)
    agency_code: str = Field("", max_length=40, description="The agency you claim for (agency staff)")
    claimant_kind: str = Field(
        "", description="enterprise, organisation, finance or other (a town recording for a claimant)"
    )
    claimant_name: str = Field("", max_length=100)
    version: int | None = None
