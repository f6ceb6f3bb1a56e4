"""/api/v1/governance/board: the task board (揭榜领办) — the public board, a matter, and its steps.

The same services, selectors and presenters as the pages; every permission is in `access`. Anyone
reads the board and a published matter; steps need a signed-in caller (token or session). A step
not open in the matter's state, or sent with an older `version`, or that another caller took first
(two claimants racing), is a 409 and writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from civicgrid.accounts.models import Agency
from civicgrid.cases import api_input
from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.errors import invalid
from civicgrid.governance import presenters_board, selectors_board, services_board
from civicgrid.governance.models import Matter
from civicgrid.governance.schemas_board import (
    GovMatterClaimIn,
    GovMatterDetailOut,
    GovMatterIn,
    GovMatterPageOut,
    GovMatterStepIn,
)
from civicgrid.lib import keyset
from civicgrid.places.models import Place

router = Router(tags=["Task board"])


def _absolute(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    data["url"] = request.build_absolute_uri(data["url"])
    return data


def _card_out(request: HttpRequest, card: presenters_board.MatterCard) -> dict[str, Any]:
    return _absolute(request, asdict(card))


def _photo_out(request: HttpRequest, photo: presenters_board.PhotoView) -> dict[str, Any]:
    return {
        "id": photo.id,
        "thumbnail_url": request.build_absolute_uri(photo.thumbnail_url),
        "url": request.build_absolute_uri(photo.url) if photo.url else "",
        "width": photo.width,
        "height": photo.height,
    }


def _detail_out(request: HttpRequest, matter: Matter) -> dict[str, Any]:
    view = presenters_board.matter_view(request.user, matter)
    entries = []
    for e in view.entries:
        entry = asdict(e)
        entry["photos"] = [_photo_out(request, p) for p in e.photos]
        entries.append(entry)
    return {
        **_card_out(request, view.card),
        "need": view.need,
        "plan": view.plan,
        "publisher": view.publisher,
        "created_at": view.created_at,
        "claimed_at": view.claimed_at,
        "completed_at": view.completed_at,
        "verified_at": view.verified_at,
        "entries": entries,
        "steps": sorted({s.action for s in view.steps}, key=services_board.ACTIONS.index),
        "can_edit": view.can_edit,
        "version": view.version,
    }


def _matter(request: HttpRequest, pk: int) -> Matter:
    return selectors_board.matter_get(request.user, pk)


def _fresh(request: HttpRequest, matter: Matter) -> dict[str, Any]:
    return _detail_out(request, _matter(request, matter.pk))


class GovMatterListQuery(Schema):
    state: str = ""
    town: str = ""
    village: str = ""
    after: str = ""


@router.get(
    "/matters",
    response={200: GovMatterPageOut, **errors(400)},
    auth=anyone,
    summary="The public task board: published matters, newest published first",
)
def matter_list(request: HttpRequest, filters: Query[GovMatterListQuery]):
    """Every published matter with its state, 20 a page; narrow by `state`, `town` or `village`
    (codes). `state=draft` lists the drafts you may read (none for the public)."""
    states = dict(selectors_board.board_states(request.user))
    if filters.state and filters.state not in states:
        raise invalid({"state": _("Choose one of the states of a matter.")})
    town = selectors_board.place_by_code(filters.town, Place.Level.TOWN) if filters.town else None
    village = selectors_board.place_by_code(filters.village, Place.Level.VILLAGE) if filters.village else None
    if (filters.town and town is None) or (filters.village and village is None):
        raise invalid({"town" if filters.town and town is None else "village": _("No such place.")})
    chosen = selectors_board.BoardFilters(state=filters.state, town=town, village=village)
    try:
        page = selectors_board.board_page(request.user, filters=chosen, cursor=filters.after)
    except keyset.InvalidCursor:
        raise invalid({"after": _("Unknown cursor.")}, _("This cursor is not one of this list.")) from None
    return {
        "items": [_card_out(request, c) for c in presenters_board.matter_cards(page.items)],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/matters/{pk}",
    response={200: GovMatterDetailOut, **errors(400, 404)},
    auth=anyone,
    summary="A matter with its record, photos and the steps open to you",
)
def matter_detail(request: HttpRequest, pk: int):
    return _detail_out(request, _matter(request, pk))


@router.post(
    "/matters",
    response={201: GovMatterDetailOut, **errors(400, 401, 403, 413)},
    auth=signed_in,
    summary="Draft a matter (and publish it at once with `publish`)",
)
def matter_create(request: HttpRequest, payload: GovMatterIn):
    region = Place.objects.filter(code=payload.region_code.strip()).first()
    if region is None:
        raise invalid({"region_code": _("No place has this code.")})
    matter = services_board.matter_create(
        actor=request.user,
        title=payload.title,
        need=payload.need,
        budget=payload.budget,
        region=region,
        deadline=payload.deadline,
        publish=payload.publish,
    )
    return Status(201, _fresh(request, matter))


def _step(request: HttpRequest, pk: int, action: str, payload: GovMatterStepIn, photos=()) -> dict[str, Any]:
    matter = services_board.matter_step(
        matter=_matter(request, pk),
        action=action,
        actor=request.user,
        text=payload.text,
        photos=photos,
        version=payload.version,
    )
    return _fresh(request, matter)


STEP_ERRORS = errors(400, 401, 403, 404, 409, 413)


@router.post("/matters/{pk}/publish", response={200: GovMatterDetailOut, **STEP_ERRORS}, auth=signed_in,
             summary="Publish a draft on the board")  # fmt: skip
def matter_publish(request: HttpRequest, pk: int, payload: GovMatterStepIn):
    return _step(request, pk, "publish", payload)


@router.post("/matters/{pk}/withdraw", response={200: GovMatterDetailOut, **STEP_ERRORS}, auth=signed_in,
             summary="Withdraw a matter from the board (`text`: why)")  # fmt: skip
def matter_withdraw(request: HttpRequest, pk: int, payload: GovMatterStepIn):
    return _step(request, pk, "withdraw", payload)


@router.post(
    "/matters/{pk}/claim",
    response={200: GovMatterDetailOut, **STEP_ERRORS},
    auth=signed_in,
    summary="Claim an open matter with a plan",
)
def matter_claim(request: HttpRequest, pk: int, payload: GovMatterClaimIn):
    """Agency staff claim for their agency (`agency_code` when they serve more than one); a town's
    operator records a claim for an enterprise or organisation without an account (`claimant_kind`,
    `claimant_name`). Of two claimants racing, one wins; the other gets 409 `already_claimed`."""
    agency = None
    if payload.agency_code:
        agency = Agency.objects.filter(code=payload.agency_code.strip()).first()
        if agency is None:
            raise invalid({"agency_code": _("No agency has this code.")})
    matter = services_board.matter_claim(
        matter=_matter(request, pk),
        actor=request.user,
        plan=payload.plan,
        claim=services_board.ClaimIn(agency=agency, kind=payload.claimant_kind, name=payload.claimant_name),
        version=payload.version,
    )
    return _fresh(request, matter)


PHOTO_BODY = api_input.request_body(GovMatterStepIn)


def _with_photos(request: HttpRequest, pk: int, action: str) -> dict[str, Any]:
    data, photos = api_input.payload_of(request)
    payload: GovMatterStepIn = api_input.validate(GovMatterStepIn, data)
    return _step(request, pk, action, payload, photos)


@router.post(
    "/matters/{pk}/progress",
    response={200: GovMatterDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Report progress, with photos",
    openapi_extra=PHOTO_BODY,
)
def matter_progress(request: HttpRequest, pk: int):
    """Send JSON (`text`, `version`, `photos` as base64 strings) or multipart/form-data (photos as
    files named `photos`). Photos are checked and stripped of their metadata like case photos."""
    return _with_photos(request, pk, "progress")


@router.post(
    "/matters/{pk}/complete",
    response={200: GovMatterDetailOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Report the matter completed, with photos",
    openapi_extra=PHOTO_BODY,
)
def matter_complete(request: HttpRequest, pk: int):
    """The same body as a progress report; the village (or town) then verifies it."""
    return _with_photos(request, pk, "complete")


@router.post("/matters/{pk}/verify", response={200: GovMatterDetailOut, **STEP_ERRORS}, auth=signed_in,
             summary="Verify a completed matter (never its claimant)")  # fmt: skip
def matter_verify(request: HttpRequest, pk: int, payload: GovMatterStepIn):
    return _step(request, pk, "verify", payload)


@router.post("/matters/{pk}/return", response={200: GovMatterDetailOut, **STEP_ERRORS}, auth=signed_in,
             summary="Return a completed matter for more work (`text`: what is missing)")  # fmt: skip
def matter_return(request: HttpRequest, pk: int, payload: GovMatterStepIn):
    return _step(request, pk, "return", payload)
