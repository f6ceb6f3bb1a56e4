"""API schemas of the points app, read from the presenters' views."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from civicgrid.core.schemas import InputSchema


class MemberOut(Schema):
    name: str
    balance: int


class HouseholdOut(Schema):
    name: str
    balance: int = Field(..., description="The sum of its members' balances")
    members: list[MemberOut]


class BalanceOut(Schema):
    balance: int
    household: HouseholdOut | None


class EntryOut(Schema):
    id: int
    at: datetime
    kind: str = Field(..., description="earn, deduct, redeem, reverse, expire or adjust")
    kind_label: str
    amount: int = Field(..., description="Signed: what the balance changed by")
    balance_after: int
    words: str = Field(..., description="Where it came from, in words")
    community: str
    rule_version: int | None
    shortfall: int = Field(
        ..., description="What a deduction could not take (the balance never goes below zero)"
    )
    reverses_id: int | None


class EntriesOut(Schema):
    entries: list[EntryOut]
    next: str = Field(
        ..., description="Cursor of the next (older) page: pass it as `after`; empty on the last"
    )


class SlotOut(Schema):
    id: int
    starts_at: datetime
    capacity: int
    free: int


class RewardOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    kind_label: str
    cost: int
    stock: int | None = Field(..., description="Units left (goods); null for a service, booked by slot")
    available: bool
    community: str
    community_id: int
    slots: list[SlotOut]


class RedeemIn(InputSchema):
    slot_id: int | None = Field(None, description="The slot of a service")
    idempotency_key: str | None = Field(None, description="Or the Idempotency-Key header")


class RedemptionOut(Schema):
    id: int
    reward: str
    reward_id: int
    cost: int
    state: str
    state_label: str
    created_at: datetime
    slot_starts_at: datetime | None
    person: str
    can_cancel: bool
    can_fulfil: bool


class RowOut(Schema):
    rank: int
    name: str
    points: int


class PublicationOut(Schema):
    id: int
    community: str
    community_id: int
    team_id: int
    team: str
    period: str
    period_label: str
    names_label: str
    published_at: datetime
    objections_until: datetime
    open_for_objections: bool
    rows: list[RowOut]


class StandingOut(Schema):
    rank: int
    user_id: int
    name: str
    earned: int


class ObjectionIn(InputSchema):
    text: str


class ObjectionOut(Schema):
    id: int
    text: str
    created_at: datetime
    answer: str
    answered_at: datetime | None


class AwardIn(InputSchema):
    person: str = Field(..., description="Mobile number or account name")
    kind: str = Field(..., description="award or deduct")
    points: int
    reason: str


class DecisionIn(InputSchema):
    approve: bool


class AwardOut(Schema):
    id: int
    kind: str
    points: int
    reason: str
    state: str
    person: str
    requested_by: str
    decided_by: str | None
    entry_id: int | None


class PublishIn(InputSchema):
    period: str = Field(..., description="2026-03, 2026-Q1 or 2026")
    names: str = Field("surname", description="full, surname or initials")
    notice_days: int = 7
    team_id: int | None = None


class AnswerIn(InputSchema):
    answer: str
