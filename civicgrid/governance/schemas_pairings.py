"""The API's shapes of pairings, people sent down and the town's figures (names prefixed GovPairing*,
GovEnvoy*, GovFigures*: unique across the whole API)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ninja import Schema
from pydantic import Field

CURSOR_HELP = "Send as `after` for the next page; empty on the last page."


class GovPairingTotalsOut(Schema):
    visits: int
    funds: Decimal = Field(description="Yuan.")
    loans: Decimal = Field(description="Yuan.")
    matters: int
    records: int


class GovPairingOut(Schema):
    id: int
    kind: str
    kind_label: str
    partner: str
    agency_id: int | None
    village_code: str
    village_name: str
    starts_on: date
    ends_on: date | None
    is_current: bool
    note: str
    totals: GovPairingTotalsOut = Field(description="All the support recorded under the pairing.")
    can_record: bool = Field(description="Whether you may record support under it now.")
    can_manage: bool = Field(description="Whether you may end it.")


class GovPairingPageOut(Schema):
    items: list[GovPairingOut]
    next_cursor: str = Field("", description=CURSOR_HELP)


class GovPairingMonthOut(Schema):
    month: date = Field(description="The month's first day.")
    totals: GovPairingTotalsOut


class GovPairingDetailOut(GovPairingOut):
    months: list[GovPairingMonthOut] = Field(description="The last 12 months, oldest first.")


class GovPairingIn(Schema):
    kind: str = Field(description="agency or finance.")
    village_code: str
    agency_id: int | None = Field(None, description="Required for an agency pairing.")
    partner_name: str = Field("", description="The financial institution's name (an agency's is its own).")
    starts_on: date
    ends_on: date | None = None
    note: str = ""


class GovPairingEndIn(Schema):
    ends_on: date
    note: str = ""


class GovPairingSupportOut(Schema):
    id: int
    kind: str
    kind_label: str
    on: date
    amount: Decimal | None = Field(description="Yuan, for funds and loans.")
    matter_id: int | None
    matter_title: str
    note: str
    recorded_by: str


class GovPairingSupportPageOut(Schema):
    items: list[GovPairingSupportOut]
    next_cursor: str = Field("", description=CURSOR_HELP)


class GovPairingSupportIn(Schema):
    kind: str = Field(description="visit, funds, loan, matter or other.")
    on: date
    amount: Decimal | None = Field(None, description="Yuan; required for funds and loans.")
    matter_id: int | None = Field(None, description="The task board's matter taken up (kind matter).")
    note: str = ""


class GovEnvoyOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    organisation: str
    role: str
    phone: str = Field(description="Whole only for the grid's staff and the managers; masked otherwise.")
    phone_is_masked: bool
    grid_code: str
    grid_name: str
    starts_on: date
    ends_on: date | None
    is_current: bool
    has_account: bool
    activity_count: int | None = Field(description="Null for a viewer who may not read their work.")
    case_count: int | None = Field(description="Null for a viewer who may not read their work.")
    can_record: bool
    can_manage: bool


class GovEnvoyPageOut(Schema):
    items: list[GovEnvoyOut]
    next_cursor: str = Field("", description=CURSOR_HELP)


class GovEnvoyCaseOut(Schema):
    tracking_number: str
    category: str
    state: str
    state_label: str
    reported_on: date


class GovEnvoyDetailOut(GovEnvoyOut):
    cases: list[GovEnvoyCaseOut] = Field(
        description="The grid's cases on which their account recorded a step during the term (newest 20)."
    )


class GovEnvoyIn(Schema):
    grid_code: str
    kind: str = Field(description="deputy, party_member, financial_cadre or other.")
    name: str
    organisation: str = ""
    role: str = ""
    phone: str = ""
    username: str = Field("", description="Their own account, if they have one.")
    pairing_id: int | None = None
    starts_on: date
    ends_on: date | None = None


class GovEnvoyEndIn(Schema):
    ends_on: date


class GovEnvoyActivityOut(Schema):
    id: int
    kind: str
    kind_label: str
    on: date
    note: str
    case_number: str
    recorded_by: str


class GovEnvoyActivityPageOut(Schema):
    items: list[GovEnvoyActivityOut]
    next_cursor: str = Field("", description=CURSOR_HELP)


class GovEnvoyActivityIn(Schema):
    kind: str = Field(description="visit, case, meeting or other.")
    on: date
    note: str = ""
    case_number: str = Field("", description="A case of their grid (required for kind case).")


class GovFiguresRowOut(Schema):
    place_code: str = Field(description="Empty for the town-wide matters.")
    place_name: str
    meetings_held: int
    decisions_due: int
    decisions_on_time: int
    on_time_percent: float | None
    matters_claimed: int
    matters_completed: int
    matters_verified: int


class GovFiguresPairingOut(Schema):
    pairing_id: int
    partner: str
    kind: str
    village_code: str
    village_name: str
    totals: GovPairingTotalsOut


class GovFiguresOut(Schema):
    town_code: str
    town_name: str
    period: str = Field(description="month, quarter or custom.")
    period_key: str = Field(description="2026-05, 2026-Q2, or 2026-05-01..2026-06-15.")
    start: date
    end: date
    villages: list[GovFiguresRowOut]
    town_wide: GovFiguresRowOut
    total: GovFiguresRowOut
    pairings: list[GovFiguresPairingOut]
    support: GovPairingTotalsOut
