"""Coverage API at /api/v1/orgs/coverage: rates, the breakdown by region, targets and their links,
snapshots. The same services and selectors as the pages (`coverage`); every permission is in `access`.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import NotFound
from civicgrid.core.schemas import InputSchema
from civicgrid.lib.keyset import InvalidCursor
from civicgrid.orgs import access, coverage
from civicgrid.orgs.models import (
    CoverageKind,
    CoverageLink,
    CoverageMode,
    Organisation,
    Target,
    TargetCategory,
)
from civicgrid.places.models import Place

router = Router(tags=["Organisation coverage"])


# --- Schemas ------------------------------------------------------------------------------------


class CellOut(Schema):
    category: TargetCategory | None = Field(..., description="None: all categories together")
    kind: CoverageKind
    active: int
    covered: int
    rate: float | None = Field(..., description="covered / active; None when nothing is active")


class RatesOut(Schema):
    on: date
    place: str | None = Field(..., description="The region's code; None: every region the caller may read")
    source: str = Field(..., description="kept (today's flags), computed (from the dates) or snapshot")
    cells: list[CellOut]


class BreakdownRowOut(Schema):
    place: str | None = Field(
        ..., description="The child region's code; None: targets directly in the region"
    )
    name: str
    active: int
    covered: int
    rate: float | None


class BreakdownOut(Schema):
    place: str | None
    kind: CoverageKind
    category: TargetCategory | None
    child_level: str | None = Field(
        ..., description="None: a village or community (list its targets instead)"
    )
    rows: list[BreakdownRowOut]


class TargetOut(Schema):
    id: int
    name: str
    category: TargetCategory
    region: str = Field(..., description="The region's code")
    region_name: str
    credit_code: str | None
    size: int | None
    active_from: date
    active_to: date | None
    note: str
    is_active: bool
    covered_org: bool
    covered_work: bool
    covered_activity: bool


class TargetPageOut(Schema):
    targets: list[TargetOut]
    next: str = Field(..., description="The cursor of the next page (`after`); empty on the last page")


class LinkOut(Schema):
    id: int
    target_id: int
    organisation_id: int
    organisation: str
    mode: CoverageMode
    kind: CoverageKind
    valid_from: date
    valid_to: date | None
    evidence: str
    files: list[str]


class TargetDetailOut(TargetOut):
    links: list[LinkOut]


class TargetIn(InputSchema):
    name: str
    category: TargetCategory
    region: str = Field(..., description="The code of a district, town or village")
    active_from: date
    active_to: date | None = None
    credit_code: str | None = None
    size: int | None = Field(None, ge=0)
    note: str = ""


class LinkIn(InputSchema):
    target_id: int
    organisation_id: int
    mode: CoverageMode
    kind: CoverageKind
    valid_from: date
    valid_to: date | None = None
    evidence: str = ""


class LinkEndIn(InputSchema):
    valid_to: date = Field(..., description="The first day the link no longer covers")
    reason: str = ""


class SnapshotOut(Schema):
    month: date
    active: int
    covered: int
    rate: float | None


# --- Helpers ------------------------------------------------------------------------------------


def _place(code: str | None) -> Place | None:
    if not code:
        return None
    place = Place.objects.select_related("parent__parent__parent").filter(code=code).first()
    if place is None:
        raise NotFound(_("No such region."))
    return place


def _target_out(t: Target) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "category": t.category,
        "region": t.region.code,
        "region_name": t.region.display_name,
        "credit_code": t.credit_code,
        "size": t.size,
        "active_from": t.active_from,
        "active_to": t.active_to,
        "note": t.note,
        "is_active": t.is_active,
        "covered_org": t.covered_org,
        "covered_work": t.covered_work,
        "covered_activity": t.covered_activity,
    }


def _link_out(link: CoverageLink) -> dict:
    return {
        "id": link.pk,
        "target_id": link.target_id,
        "organisation_id": link.organisation_id,
        "organisation": link.organisation.name,
        "mode": link.mode,
        "kind": link.kind,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
        "evidence": link.evidence,
        "files": [f.name for f in link.evidence_files.all()],
    }


def _detail(request: HttpRequest, pk: int) -> dict:
    target = coverage.target_for(request.user, pk)
    return {**_target_out(target), "links": [_link_out(link) for link in coverage.target_links(target)]}


def _check_use(request: HttpRequest) -> None:
    if not access.can_use(request.user):
        raise access.refuse()


# --- Operations ---------------------------------------------------------------------------------


@router.get(
    "/rates",
    response={200: RatesOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Coverage rates per category and kind of a region, today or on a past day",
)
def rates(
    request: HttpRequest,
    place: str | None = None,
    category: TargetCategory | None = None,
    on: date | None = None,
):
    """Without `place`: every region the caller may read. `on` in the past: computed exactly from the
    dates of the targets and links, or read from the month's snapshot when `on` is a month's last day."""
    _check_use(request)
    found = coverage.rates(request.user, _place(place), category, on)
    return {
        "on": found.on,
        "place": found.place.code if found.place else None,
        "source": found.source,
        "cells": [
            {"category": c.category, "kind": c.kind, "active": c.active, "covered": c.covered, "rate": c.rate}
            for c in found.cells
        ],
    }


@router.get(
    "/breakdown",
    response={200: BreakdownOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Today's coverage of each child region (the dashboard's drill-down)",
)
def breakdown(
    request: HttpRequest,
    place: str | None = None,
    category: TargetCategory | None = None,
    kind: CoverageKind = CoverageKind.ORGANISATION,
):
    _check_use(request)
    found = coverage.breakdown(request.user, _place(place), category, kind)
    return {
        "place": found.place.code if found.place else None,
        "kind": found.kind,
        "category": found.category,
        "child_level": found.child_level,
        "rows": [
            {
                "place": r.place.code if r.place else None,
                "name": r.place.display_name if r.place else _("Directly in the region"),
                "active": r.active,
                "covered": r.covered,
                "rate": r.rate,
            }
            for r in found.rows
        ],
    }


@router.get(
    "/targets",
    response={200: TargetPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="The targets the caller may see, newest first (keyset pages)",
)
def targets(
    request: HttpRequest,
    region: str | None = None,
    category: TargetCategory | None = None,
    kind: CoverageKind | None = None,
    covered: bool | None = None,
    q: str = "",
    include_closed: bool = False,
    after: str = "",
):
    """`kind` with `covered`: only the targets covered (or not) today in that kind."""
    _check_use(request)
    filters = coverage.TargetFilter(
        place=_place(region),
        category=category or "",
        kind=kind or "",
        covered="" if covered is None else ("yes" if covered else "no"),
        q=q[:50],
        include_closed=include_closed,
    )
    try:
        page = coverage.target_page(request.user, filters, cursor=after)
    except InvalidCursor:
        raise coverage.invalid({"after": _("This is not a cursor of this list.")}) from None
    return {"targets": [_target_out(t) for t in page.items], "next": page.next_cursor}


@router.post(
    "/targets",
    response={201: TargetDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Add a target (a federation cadre, within their region)",
)
def target_create(request: HttpRequest, payload: TargetIn):
    """409 `duplicate_credit_code`: a target with this credit code is on record."""
    data = payload.dict()
    data["region"] = _place(data["region"])
    if data["region"] is None:
        raise coverage.invalid({"region": _("Choose the district, town or village the target lies in.")})
    made = coverage.target_create(actor=request.user, **data)
    return Status(201, _detail(request, made.pk))


@router.get(
    "/targets/{pk}",
    response={200: TargetDetailOut, **errors(400, 401, 404)},
    auth=signed_in,
    summary="A target and its links",
)
def target(request: HttpRequest, pk: int):
    return _detail(request, pk)


@router.post(
    "/links",
    response={201: LinkOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Link a target to an organisation that covers it",
)
def link_create(request: HttpRequest, payload: LinkIn):
    """The caller manages the organisation, and the target lies in its region or the caller may manage
    the target. 409 `already_linked`: the organisation covers it in this kind already (end that link)."""
    target = coverage.target_for(request.user, payload.target_id)
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None or not access.can_view(request.user, organisation):
        raise NotFound(_("No such organisation."))
    link = coverage.link_create(
        actor=request.user,
        target=target,
        organisation=organisation,
        mode=payload.mode,
        kind=payload.kind,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        evidence=payload.evidence,
    )
    link = (
        CoverageLink.objects.select_related("organisation").prefetch_related("evidence_files").get(pk=link.pk)
    )
    return Status(201, _link_out(link))


@router.post(
    "/links/{pk}/end",
    response={200: LinkOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="End a link (it stays on record)",
)
def link_end(request: HttpRequest, pk: int, payload: LinkEndIn):
    """409 `already_ended`: the link has ended already."""
    link = CoverageLink.objects.select_related("target__region").filter(pk=pk).first()
    if link is None or not access.can_view_target(request.user, link.target):
        raise NotFound(_("No such coverage link."))
    coverage.link_end(actor=request.user, link=link, valid_to=payload.valid_to, reason=payload.reason)
    link = CoverageLink.objects.select_related("organisation").prefetch_related("evidence_files").get(pk=pk)
    return _link_out(link)


@router.get(
    "/snapshots",
    response={200: list[SnapshotOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Month-end coverage of a region from the monthly snapshots, oldest first",
)
def snapshots(
    request: HttpRequest,
    place: str | None = None,
    category: TargetCategory | None = None,
    kind: CoverageKind = CoverageKind.ORGANISATION,
    months: int = 12,
):
    """Without `place`: the whole network (superusers only; others get an empty list)."""
    _check_use(request)
    return coverage.snapshot_series(
        request.user, _place(place), category, kind, months=max(1, min(months, 120))
    )
