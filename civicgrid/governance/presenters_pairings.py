"""What a viewer sees of pairings and people sent down: one picture per object and viewer, which the
pages and the API both render. An envoy's phone is whole only for `access.can_see_envoy_phone`;
their activity and cases only for `access.can_view_envoy_work`; the buttons follow the write rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case
from civicgrid.governance import access, selectors_pairings
from civicgrid.governance.figures import TownFigures
from civicgrid.governance.models import Envoy, EnvoyActivity, Pairing, SupportRecord
from civicgrid.governance.selectors_pairings import Totals
from civicgrid.lib.privacy import mask_phone
from civicgrid.places.models import Place

# The grid page's include (`places/detail.html` renders it through the lead's hook).
GRID_ENVOYS_TEMPLATE = "governance/pairings/_grid_envoys.html"


def _current(starts_on: date, ends_on: date | None) -> bool:
    today = timezone.localdate()
    return starts_on <= today and (ends_on is None or ends_on >= today)


def _person(user) -> str:
    return str(user) if user is not None else ""


# --- Pairings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairingView:
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
    totals: Totals
    url: str
    can_record: bool
    can_manage: bool


def pairing_view(user, pairing: Pairing, totals: Totals | None = None) -> PairingView:
    """`pairing` as `user` sees it (the viewer may read it: the selectors made sure)."""
    current = _current(pairing.starts_on, pairing.ends_on)
    return PairingView(
        id=pairing.pk,
        kind=pairing.kind,
        kind_label=pairing.get_kind_display(),
        partner=pairing.partner_name,
        agency_id=pairing.agency_id,
        village_code=pairing.village.code,
        village_name=pairing.village.display_name,
        starts_on=pairing.starts_on,
        ends_on=pairing.ends_on,
        is_current=current,
        note=pairing.note,
        totals=totals if totals is not None else getattr(pairing, "totals", Totals()),
        url=reverse("governance:pairings_detail", args=[pairing.pk]),
        can_record=current and access.can_record_support(user, pairing),
        can_manage=current and access.can_manage_pairings(user, pairing.village),
    )


@dataclass(frozen=True)
class SupportView:
    id: int
    kind: str
    kind_label: str
    on: date
    amount: Decimal | None
    matter_id: int | None
    matter_title: str
    note: str
    recorded_by: str


def support_view(record: SupportRecord) -> SupportView:
    return SupportView(
        id=record.pk,
        kind=record.kind,
        kind_label=record.get_kind_display(),
        on=record.on,
        amount=record.amount,
        matter_id=record.matter_id,
        matter_title=record.matter.title if record.matter_id else "",
        note=record.note,
        recorded_by=_person(record.recorded_by),
    )


def pairing_chart(months: list[selectors_pairings.MonthTotals]) -> dict:
    """A pairing page's month-by-month chart data (the table beside it says the same)."""
    return {
        "months": [f"{m.month:%Y-%m}" for m in months],
        "visits": [m.totals.visits for m in months],
        "funds": [_yuan(m.totals.funds) for m in months],
        "loans": [_yuan(m.totals.loans) for m in months],
        "labels": {"visits": _("Visits"), "funds": _("Funds (yuan)"), "loans": _("Loans (yuan)")},
    }


# --- People sent down ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvoyView:
    id: int
    kind: str
    kind_label: str
    name: str
    organisation: str
    role: str
    phone: str
    phone_is_masked: bool
    grid_code: str
    grid_name: str
    starts_on: date
    ends_on: date | None
    is_current: bool
    has_account: bool
    activity_count: int | None
    case_count: int | None
    # The envoy's page, for a viewer who may read their work ("" otherwise).
    url: str
    can_record: bool
    can_manage: bool


def envoy_view(user, envoy: Envoy) -> EnvoyView:
    """`envoy` as `user` sees them (the viewer may see the envoy: the selectors made sure)."""
    whole = access.can_see_envoy_phone(user, envoy)
    work = access.can_view_envoy_work(user, envoy)
    current = _current(envoy.starts_on, envoy.ends_on)
    return EnvoyView(
        id=envoy.pk,
        kind=envoy.kind,
        kind_label=envoy.get_kind_display(),
        name=envoy.name,
        organisation=envoy.organisation,
        role=envoy.role,
        phone=envoy.phone if whole else mask_phone(envoy.phone),
        phone_is_masked=bool(envoy.phone) and not whole,
        grid_code=envoy.grid.code,
        grid_name=envoy.grid.display_name,
        starts_on=envoy.starts_on,
        ends_on=envoy.ends_on,
        is_current=current,
        has_account=envoy.user_id is not None,
        activity_count=getattr(envoy, "activity_count", None) if work else None,
        case_count=getattr(envoy, "case_count", None) if work else None,
        url=reverse("governance:pairings_envoy", args=[envoy.pk]) if work else "",
        can_record=current and access.can_record_envoy_activity(user, envoy),
        can_manage=current and access.can_manage_pairings(user, envoy.grid),
    )


@dataclass(frozen=True)
class ActivityView:
    id: int
    kind: str
    kind_label: str
    on: date
    note: str
    case_number: str
    recorded_by: str


def activity_view(activity: EnvoyActivity) -> ActivityView:
    return ActivityView(
        id=activity.pk,
        kind=activity.kind,
        kind_label=activity.get_kind_display(),
        on=activity.on,
        note=activity.note,
        case_number=activity.case.tracking_number if activity.case_id else "",
        recorded_by=_person(activity.recorded_by),
    )


@dataclass(frozen=True)
class CaseLine:
    """A case an envoy handled, as their page lists it (its own page decides what more to show)."""

    tracking_number: str
    category: str
    state: str
    state_label: str
    reported_on: date
    url: str


def case_line(case: Case) -> CaseLine:
    return CaseLine(
        tracking_number=case.tracking_number,
        category=case.category.display_name,
        state=case.state,
        state_label=case.get_state_display(),
        reported_on=timezone.localdate(case.created_at),
        url=case.get_absolute_url(),
    )


@dataclass(frozen=True)
class GridEnvoysPanel:
    """The grid page's panel of the people sent down (rendered by `GRID_ENVOYS_TEMPLATE`)."""

    template: str
    grid: Place
    envoys: list[EnvoyView] = field(default_factory=list)
    can_add: bool = False
    add_url: str = ""


def grid_envoys_panel(user, grid: Place) -> GridEnvoysPanel | None:
    """The panel of people sent down for `grid`'s page, or None when the viewer may not see them (or
    the place is not a grid). Four queries at most (`selectors_pairings.envoys_for_grid`)."""
    if grid.level != Place.Level.GRID or not access.can_view_envoys(user, grid):
        return None
    envoys = selectors_pairings.envoys_for_grid(user, grid)
    can_add = access.can_manage_pairings(user, grid)
    return GridEnvoysPanel(
        template=GRID_ENVOYS_TEMPLATE,
        grid=grid,
        envoys=[envoy_view(user, e) for e in envoys],
        can_add=can_add,
        add_url=reverse("governance:pairings_envoy_new", args=[grid.code]) if can_add else "",
    )


# --- Figures -------------------------------------------------------------------------------------


def _yuan(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def figures_chart(figures: TownFigures) -> dict:
    """The figures page's chart data (drawn by static/js/gov-pairings.js; the tables beside them say
    the same for those without scripts or charts)."""
    return {
        "villages": [r.place.display_name for r in figures.villages],
        "meetings": [r.meetings_held for r in figures.villages],
        "due": [r.decisions_due for r in figures.villages],
        "on_time": [r.decisions_on_time for r in figures.villages],
        "claimed": [r.matters_claimed for r in figures.villages],
        "completed": [r.matters_completed for r in figures.villages],
        "partners": [row.pairing.partner_name for row in figures.pairings],
        "visits": [row.totals.visits for row in figures.pairings],
        "funds": [_yuan(row.totals.funds) for row in figures.pairings],
        "loans": [_yuan(row.totals.loans) for row in figures.pairings],
        "labels": {
            "meetings": _("Meetings held"),
            "due": _("Decisions due"),
            "on_time": _("Done on time"),
            "claimed": _("Matters claimed"),
            "completed": _("Matters completed"),
            "visits": _("Visits"),
            "funds": _("Funds (yuan)"),
            "loans": _("Loans (yuan)"),
        },
    }
