"""The pairings endpoints of co-governance (mounted by governance/api.py under /api/v1/governance):
pairings and their support, people sent down and their activity, and the town's figures.

The same services, selectors and presenters as the pages; every permission is in `governance.access`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from civicgrid.accounts.models import Agency
from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.governance import access, figures, presenters_pairings, selectors_pairings, services_pairings
from civicgrid.governance.models import Envoy, Matter, Pairing
from civicgrid.governance.schemas_pairings import (
    GovEnvoyActivityIn,
    GovEnvoyActivityOut,
    GovEnvoyActivityPageOut,
    GovEnvoyDetailOut,
    GovEnvoyEndIn,
    GovEnvoyIn,
    GovEnvoyOut,
    GovEnvoyPageOut,
    GovFiguresOut,
    GovPairingDetailOut,
    GovPairingEndIn,
    GovPairingIn,
    GovPairingOut,
    GovPairingPageOut,
    GovPairingSupportIn,
    GovPairingSupportOut,
    GovPairingSupportPageOut,
)
from civicgrid.lib import keyset
from civicgrid.places.models import Place

router = Router(tags=["Co-governance: pairings and people sent down"])


def _place(user, code: str, field: str = "place_code") -> Place:
    try:
        return selectors_pairings.place_get(user, code)
    except NotFound:
        raise ApplicationError(
            _("No place you may open has the code “%(code)s”.") % {"code": (code or "")[:15]},
            code="not_found",
            status=404,
            extra={"fields": {field: _("Unknown place.")}},
        ) from None


def _pairing(request: HttpRequest, pk: int) -> Pairing:
    pairing = selectors_pairings.pairing_get(request.user, pk)
    if pairing is None:
        raise NotFound(_("No such pairing."))
    return pairing


def _envoy(request: HttpRequest, pk: int) -> Envoy:
    envoy = selectors_pairings.envoy_get(request.user, pk)
    if envoy is None:
        raise NotFound(_("No such person sent down."))
    return envoy


def _paged(call):
    try:
        return call()
    except keyset.InvalidCursor:
        raise ApplicationError(
            _("This cursor is not one of this list."), extra={"fields": {"after": _("Unknown cursor.")}}
        ) from None


def _totals(t: selectors_pairings.Totals) -> dict:
    return asdict(t)


def _pairing_out(user, pairing: Pairing, totals=None) -> dict:
    data = asdict(presenters_pairings.pairing_view(user, pairing, totals))
    data.pop("url")
    return data


def _envoy_out(user, envoy: Envoy) -> dict:
    data = asdict(presenters_pairings.envoy_view(user, envoy))
    data.pop("url")
    return data


# --- Pairings ------------------------------------------------------------------------------------


class PairingQuery(Schema):
    place: str = ""
    kind: str = ""
    after: str = ""


@router.get(
    "/",
    response={200: GovPairingPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="The pairings of a town (paged) or a village",
)
def pairing_list(request: HttpRequest, filters: Query[PairingQuery]):
    """`place`: a town's code (its pairings village by village, 50 a page) or a village's (all of
    them, current first); your own widest place when left out."""
    user = request.user
    if filters.place:
        place = _place(user, filters.place, "place")
    else:
        place = selectors_pairings.home_place(user)
        if place is None:
            raise PermissionDenied(_("Pairings are for the staff of a town and its villages."))
    if place.level == Place.Level.TOWN:
        page = _paged(
            lambda: selectors_pairings.pairings_in_town(user, place, kind=filters.kind, cursor=filters.after)
        )
        return {"items": [_pairing_out(user, p) for p in page.items], "next_cursor": page.next_cursor}
    if place.level == Place.Level.VILLAGE:
        rows = selectors_pairings.pairings_in_village(user, place)
        if filters.kind:
            rows = [p for p in rows if p.kind == filters.kind]
        return {"items": [_pairing_out(user, p) for p in rows], "next_cursor": ""}
    raise ApplicationError(
        _("Choose a town or a village."), extra={"fields": {"place": _("Choose a town or a village.")}}
    )


@router.post(
    "/",
    response={201: GovPairingOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Pair an agency or a financial institution with a village",
)
def pairing_create(request: HttpRequest, payload: GovPairingIn):
    village = _place(request.user, payload.village_code, "village_code")
    agency = None
    if payload.agency_id is not None:
        agency = Agency.objects.filter(pk=payload.agency_id).first()
        if agency is None:
            raise ApplicationError(
                _("No such agency."), extra={"fields": {"agency_id": _("No such agency.")}}
            )
    pairing = services_pairings.pairing_create(
        actor=request.user,
        kind=payload.kind,
        village=village,
        agency=agency,
        partner_name=payload.partner_name,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        note=payload.note,
    )
    return Status(201, _pairing_out(request.user, _pairing(request, pairing.pk)))


@router.get(
    "/partner/{agency_id}",
    response={200: list[GovPairingOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="An agency's pairings with villages",
)
def partner(request: HttpRequest, agency_id: int):
    agency = Agency.objects.filter(pk=agency_id).first()
    rows = selectors_pairings.pairings_of_agency(request.user, agency) if agency else []
    if agency is None or (not rows and agency.pk not in access.claimable_agency_ids(request.user)):
        raise NotFound(_("No such agency."))
    return [_pairing_out(request.user, p) for p in rows]


# --- People sent down ----------------------------------------------------------------------------


class EnvoyQuery(Schema):
    place: str
    after: str = ""


@router.get(
    "/envoys",
    response={200: GovEnvoyPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="The people sent down to a village's grids (paged) or to a grid (current)",
)
def envoy_list(request: HttpRequest, filters: Query[EnvoyQuery]):
    user = request.user
    place = Place.objects.filter(code=filters.place.strip()[:15]).first()
    if place is not None and place.level == Place.Level.GRID and access.can_view_envoys(user, place):
        envoys = selectors_pairings.envoys_for_grid(user, place)
        return {"items": [_envoy_out(user, e) for e in envoys], "next_cursor": ""}
    place = _place(user, filters.place, "place")
    if place.level != Place.Level.VILLAGE:
        raise ApplicationError(
            _("Choose a village or a grid."), extra={"fields": {"place": _("Choose a village or a grid.")}}
        )
    page = _paged(lambda: selectors_pairings.envoys_in_village(user, place, cursor=filters.after))
    return {"items": [_envoy_out(user, e) for e in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/envoys",
    response={201: GovEnvoyOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Send a person down to a grid",
)
def envoy_create(request: HttpRequest, payload: GovEnvoyIn):
    grid = _place(request.user, payload.grid_code, "grid_code")
    user = None
    if payload.username:
        user = selectors_pairings.account_named(payload.username)
        if user is None:
            raise ApplicationError(
                _("No account has this user name."),
                extra={"fields": {"username": _("No account has this user name.")}},
            )
    pairing = None
    if payload.pairing_id is not None:
        pairing = selectors_pairings.pairing_get(request.user, payload.pairing_id)
        if pairing is None:
            raise ApplicationError(
                _("No such pairing."), extra={"fields": {"pairing_id": _("No such pairing.")}}
            )
    envoy = services_pairings.envoy_create(
        actor=request.user,
        grid=grid,
        kind=payload.kind,
        name=payload.name,
        organisation=payload.organisation,
        role=payload.role,
        phone=payload.phone,
        user=user,
        pairing=pairing,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, _envoy_out(request.user, _envoy(request, envoy.pk)))


@router.get(
    "/envoys/{pk}",
    response={200: GovEnvoyDetailOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A person sent down, with the cases they handled",
)
def envoy_detail(request: HttpRequest, pk: int):
    envoy = _envoy(request, pk)
    data = _envoy_out(request.user, envoy)
    data["cases"] = [asdict(presenters_pairings.case_line(c)) for c in selectors_pairings.envoy_cases(envoy)]
    return data


@router.post(
    "/envoys/{pk}/end",
    response={200: GovEnvoyOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="End a person's term in the grid",
)
def envoy_end(request: HttpRequest, pk: int, payload: GovEnvoyEndIn):
    envoy = services_pairings.envoy_end(
        actor=request.user, envoy=_envoy(request, pk), ends_on=payload.ends_on
    )
    return _envoy_out(request.user, envoy)


@router.get(
    "/envoys/{pk}/activities",
    response={200: GovEnvoyActivityPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="What a person sent down did, latest first",
)
def activity_list(request: HttpRequest, pk: int, after: str = ""):
    envoy = _envoy(request, pk)
    page = _paged(lambda: selectors_pairings.activity_page(envoy, cursor=after))
    return {
        "items": [asdict(presenters_pairings.activity_view(a)) for a in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/envoys/{pk}/activities",
    response={201: GovEnvoyActivityOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Record what a person sent down did",
)
def activity_create(request: HttpRequest, pk: int, payload: GovEnvoyActivityIn):
    envoy = _envoy(request, pk)
    case = None
    if payload.case_number:
        case = selectors_pairings.case_in_grid(payload.case_number, envoy.grid)
        if case is None:
            raise ApplicationError(
                _("No case of this grid has that tracking number."),
                extra={"fields": {"case_number": _("No case of this grid has that tracking number.")}},
            )
    activity = services_pairings.envoy_activity_record(
        actor=request.user, envoy=envoy, kind=payload.kind, on=payload.on, note=payload.note, case=case
    )
    return Status(201, asdict(presenters_pairings.activity_view(activity)))


# --- Figures -------------------------------------------------------------------------------------


class FiguresQuery(Schema):
    town: str
    period: str = "month"
    month: str = ""
    quarter: str = ""
    since: date | None = None
    until: date | None = None


def _row_out(row: figures.Row) -> dict:
    return {
        "place_code": row.place.code if row.place is not None else "",
        "place_name": row.place.display_name if row.place is not None else _("Town-wide matters"),
        "meetings_held": row.meetings_held,
        "decisions_due": row.decisions_due,
        "decisions_on_time": row.decisions_on_time,
        "on_time_percent": row.on_time_percent,
        "matters_claimed": row.matters_claimed,
        "matters_completed": row.matters_completed,
        "matters_verified": row.matters_verified,
    }


@router.get(
    "/figures",
    response={200: GovFiguresOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="The town's co-governance figures for a month, a quarter or days chosen",
)
def figures_get(request: HttpRequest, filters: Query[FiguresQuery]):
    town = Place.objects.filter(code=filters.town.strip()[:15], level=Place.Level.TOWN).first()
    if town is None or not access.can_view_figures(request.user, town):
        raise ApplicationError(
            _("No town you may read has this code."),
            code="not_found",
            status=404,
            extra={"fields": {"town": _("Unknown town.")}},
        )
    period = figures.period_of(
        filters.period,
        month=filters.month,
        quarter=filters.quarter,
        since=filters.since,
        until=filters.until,
    )
    data = figures.town_figures(request.user, town, period)
    return {
        "town_code": town.code,
        "town_name": town.display_name,
        "period": period.kind,
        "period_key": period.key,
        "start": period.start,
        "end": period.end,
        "villages": [_row_out(r) for r in data.villages],
        "town_wide": _row_out(data.town_wide),
        "total": _row_out(data.total),
        "pairings": [
            {
                "pairing_id": r.pairing.pk,
                "partner": r.pairing.partner_name,
                "kind": r.pairing.kind,
                "village_code": r.pairing.village.code,
                "village_name": r.pairing.village.display_name,
                "totals": _totals(r.totals),
            }
            for r in data.pairings
        ],
        "support": _totals(data.support),
    }


# --- One pairing ---------------------------------------------------------------------------------


@router.get(
    "/{pk}",
    response={200: GovPairingDetailOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A pairing with its support in total and month by month",
)
def pairing_detail(request: HttpRequest, pk: int):
    pairing = _pairing(request, pk)
    totals = selectors_pairings.support_totals([pairing.pk]).get(pairing.pk, selectors_pairings.Totals())
    data = _pairing_out(request.user, pairing, totals)
    data["months"] = [
        {"month": m.month, "totals": _totals(m.totals)} for m in selectors_pairings.support_by_month(pairing)
    ]
    return data


@router.post(
    "/{pk}/end",
    response={200: GovPairingOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="End a pairing (it stays on record)",
)
def pairing_end(request: HttpRequest, pk: int, payload: GovPairingEndIn):
    services_pairings.pairing_end(
        actor=request.user, pairing=_pairing(request, pk), ends_on=payload.ends_on, note=payload.note
    )
    return _pairing_out(request.user, _pairing(request, pk))


@router.get(
    "/{pk}/support",
    response={200: GovPairingSupportPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A pairing's support records, latest first",
)
def support_list(request: HttpRequest, pk: int, after: str = ""):
    pairing = _pairing(request, pk)
    page = _paged(lambda: selectors_pairings.support_page(pairing, cursor=after))
    return {
        "items": [asdict(presenters_pairings.support_view(r)) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/{pk}/support",
    response={201: GovPairingSupportOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Record support given under a pairing",
)
def support_create(request: HttpRequest, pk: int, payload: GovPairingSupportIn):
    pairing = _pairing(request, pk)
    matter = None
    if payload.matter_id is not None:
        matter = Matter.objects.filter(pk=payload.matter_id).first()
        if matter is None:
            raise ApplicationError(
                _("No such matter."), extra={"fields": {"matter_id": _("No such matter.")}}
            )
    record = services_pairings.support_record(
        actor=request.user,
        pairing=pairing,
        kind=payload.kind,
        on=payload.on,
        amount=payload.amount,
        matter=matter,
        note=payload.note,
    )
    return Status(201, asdict(presenters_pairings.support_view(record)))
