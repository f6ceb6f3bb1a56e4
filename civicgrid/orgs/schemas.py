"""The API's shapes of the organisation tree, its people and posts (pydantic, through django-ninja)."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    leading: bool
    status: str
    region_code: str
    region_name: str
    founded_on: date | None
    depth: int
    children: int
    parent_id: int | None = None


class OrgPageOut(Schema):
    items: list[OrgOut]
    next_cursor: str = Field("", description="Send as `after` for the next page; empty on the last page.")
    total: int | None = None


class NetworkPersonOut(Schema):
    id: int
    name: str
    phone: str = Field(description="Whole only for those who manage one of the person's organisations.")
    id_number: str = Field(description="Always masked.")


class PostOut(Schema):
    id: int
    role: str
    role_label: str
    term_start: date
    term_end: date | None
    end_reason: str
    person: NetworkPersonOut
    organisation_id: int
    organisation_name: str
    also_holds: list[str] = Field(default_factory=list, description="The holder's other current posts.")


class OrgDetailOut(OrgOut):
    contact_name: str
    contact_phone: str
    address: str
    note: str
    ancestors: list[str]
    posts: list[PostOut]
    past_posts: list[PostOut]
    can_manage: bool


class OrgIn(Schema):
    parent_id: int | None = Field(
        None, description="The organisation above; none: a new top (administrators)."
    )
    name: str = Field(max_length=120)
    kind: str
    region_code: str = Field(max_length=15)
    leading: bool = False
    founded_on: date | None = None
    status: str = "active"
    dissolved_on: date | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class OrgPatch(Schema):
    name: str | None = Field(None, max_length=120)
    kind: str | None = None
    region_code: str | None = Field(None, max_length=15)
    leading: bool | None = None
    founded_on: date | None = None
    status: str | None = None
    dissolved_on: date | None = None
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class MoveIn(Schema):
    parent_id: int


class PersonIn(Schema):
    organisation_id: int = Field(description="An organisation you manage, where the person will hold a post.")
    name: str = Field(max_length=50)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18)
    note: str = Field("", max_length=200)


class AppointIn(Schema):
    person_id: int
    organisation_id: int
    role: str
    term_start: date
    term_end: date | None = None


class EndTermIn(Schema):
    term_end: date
    reason: str = Field("", max_length=200)


class CrossOut(Schema):
    person: NetworkPersonOut
    posts: list[PostOut]
