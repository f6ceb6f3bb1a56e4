"""Points API at /api/v1/points: my balance and entries, rewards and redeeming, my redemptions,
leaderboards and objections, and the community office's actions.

The same services, selectors and presenters as the pages; every permission is in `points.access`.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.places.models import Place
from civicgrid.points import access, periods, presenters, selectors, services
from civicgrid.points.models import ALL_TEAMS, Award, Objection, Publication, Redemption, Reward, Slot
from civicgrid.points.schemas import (
    AnswerIn,
    AwardIn,
    AwardOut,
    BalanceOut,
    DecisionIn,
    EntriesOut,
    ObjectionIn,
    ObjectionOut,
    PublicationOut,
    PublishIn,
    RedeemIn,
    RedemptionOut,
    RewardOut,
    StandingOut,
)

router = Router(tags=["points"])


def _community(request: HttpRequest, pk: int) -> Place:
    community = Place.objects.filter(pk=pk, level=Place.Level.VILLAGE).first()
    if community is None:
        raise NotFound(_("No such village or community."))
    access.check_manage(request.user, community)
    return community


def _award_out(award: Award) -> dict:
    return {
        "id": award.pk,
        "kind": award.kind,
        "points": award.points,
        "reason": award.reason,
        "state": award.state,
        "person": str(award.user),
        "requested_by": str(award.requested_by),
        "decided_by": str(award.decided_by) if award.decided_by_id else None,
        "entry_id": award.entry_id,
    }


@router.get(
    "/me", response={200: BalanceOut, **errors(400, 401)}, auth=signed_in, summary="My balance and household"
)
def me(request: HttpRequest):
    household = selectors.household_of(request.user)
    return {
        "balance": selectors.balance(request.user),
        "household": None
        if household is None
        else {
            "name": household.household.name,
            "balance": household.balance,
            "members": [{"name": str(user), "balance": points} for user, points in household.members],
        },
    }


@router.get(
    "/me/entries",
    response={200: EntriesOut, **errors(400, 401)},
    auth=signed_in,
    summary="My entries, newest first",
)
def my_entries(request: HttpRequest, after: str = ""):
    page = selectors.entries_page(request.user, cursor=after)
    return {"entries": [asdict(presenters.entry_view(e)) for e in page.items], "next": page.next_cursor}


@router.get(
    "/rewards", response={200: list[RewardOut], **errors(400)}, auth=anyone, summary="The reward catalogue"
)
def rewards(request: HttpRequest, community: int | None = None):
    place = Place.objects.filter(pk=community).first() if community else None
    return [asdict(presenters.reward_view(r)) for r in selectors.catalogue(community=place)[:200]]


def _reward(pk: int) -> Reward:
    reward = Reward.objects.select_related("community").filter(pk=pk, is_active=True).first()
    if reward is None:
        raise NotFound(_("This reward is not offered any more."))
    return reward


@router.get(
    "/rewards/{pk}",
    response={200: RewardOut, **errors(400, 404)},
    auth=anyone,
    summary="A reward and its free slots",
)
def reward(request: HttpRequest, pk: int):
    item = _reward(pk)
    slots = selectors.open_slots(item) if item.kind == Reward.Kind.SERVICE else None
    return asdict(presenters.reward_view(item, slots))


@router.post(
    "/rewards/{pk}/redeem",
    response={200: RedemptionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Redeem a reward (once per Idempotency-Key)",
)
def redeem(
    request: HttpRequest,
    pk: int,
    payload: RedeemIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """Debit the points and take a unit (or a place of the slot) in one transaction.

    Send the same `Idempotency-Key` header (or `idempotency_key` field) with every retry: the first
    redemption is returned and charged once. 409: out of stock, slot full, or not enough points.
    """
    item = _reward(pk)
    slot = None
    if payload.slot_id is not None:
        slot = Slot.objects.filter(pk=payload.slot_id, reward=item).first()
        if slot is None:
            raise ApplicationError(
                _("Choose a time for the service."), extra={"fields": {"slot_id": _("Unknown slot.")}}
            )
    done = services.reward_redeem(
        user=request.user, reward=item, key=idempotency_key or payload.idempotency_key or "", slot=slot
    )
    done = Redemption.objects.select_related("reward", "reward__community", "slot").get(pk=done.pk)
    return asdict(presenters.redemption_view(done, request.user))


@router.get(
    "/redemptions",
    response={200: list[RedemptionOut], **errors(400, 401)},
    auth=signed_in,
    summary="My redemptions",
)
def my_redemptions(request: HttpRequest):
    return [
        asdict(presenters.redemption_view(r, request.user)) for r in selectors.redemptions_of(request.user)
    ]


def _redemption(request: HttpRequest, pk: int) -> Redemption:
    found = Redemption.objects.select_related("reward", "reward__community", "slot").filter(pk=pk).first()
    if found is None or not access.can_view_redemption(request.user, found):
        raise NotFound(_("No such redemption."))
    return found


@router.post(
    "/redemptions/{pk}/cancel",
    response={200: RedemptionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Cancel a booked redemption (its points are returned)",
)
def cancel(request: HttpRequest, pk: int):
    done = services.redemption_cancel(actor=request.user, redemption=_redemption(request, pk))
    return asdict(presenters.redemption_view(_redemption(request, done.pk), request.user))


@router.post(
    "/redemptions/{pk}/fulfil",
    response={200: RedemptionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Confirm a redemption was delivered (its provider or the office)",
)
def fulfil(request: HttpRequest, pk: int):
    done = services.redemption_fulfil(actor=request.user, redemption=_redemption(request, pk))
    return asdict(presenters.redemption_view(_redemption(request, done.pk), request.user))


@router.get(
    "/leaderboards",
    response={200: list[PublicationOut], **errors(400)},
    auth=anyone,
    summary="Published leaderboards",
)
def leaderboards(request: HttpRequest, community: int | None = None):
    place = Place.objects.filter(pk=community).first() if community else None
    return [
        asdict(v) for v in presenters.publication_views(selectors.publications(community=place, limit=100))
    ]


def _publication(pk: int) -> Publication:
    found = Publication.objects.select_related("community").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such leaderboard."))
    return found


@router.get(
    "/leaderboards/{pk}",
    response={200: PublicationOut, **errors(400, 404)},
    auth=anyone,
    summary="A published leaderboard",
)
def leaderboard(request: HttpRequest, pk: int):
    return asdict(presenters.publication_view(_publication(pk)))


def _objection_out(objection: Objection) -> dict:
    return {
        "id": objection.pk,
        "text": objection.text,
        "created_at": objection.created_at,
        "answer": objection.answer,
        "answered_at": objection.answered_at,
    }


@router.post(
    "/leaderboards/{pk}/objections",
    response={201: ObjectionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Object to a published leaderboard during its notice period",
)
def object_to(request: HttpRequest, pk: int, payload: ObjectionIn):
    objection = services.objection_raise(user=request.user, publication=_publication(pk), text=payload.text)
    return Status(201, _objection_out(objection))


# --- The community office -------------------------------------------------------------------


@router.get(
    "/communities/{pk}/leaderboard",
    response={200: list[StandingOut], **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A community's live leaderboard (the office)",
)
def live_leaderboard(request: HttpRequest, pk: int, period: str = Query(...), team: int = ALL_TEAMS):
    community = _community(request, pk)
    return [
        asdict(s)
        for s in selectors.leaderboard(community_id=community.pk, period=periods.parse(period), team_id=team)
    ]


@router.post(
    "/communities/{pk}/publications",
    response={201: PublicationOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Publish a leaderboard for a notice period",
)
def publish(request: HttpRequest, pk: int, payload: PublishIn):
    community = _community(request, pk)
    publication = services.leaderboard_publish(
        actor=request.user,
        community=community,
        period=periods.parse(payload.period),
        names=payload.names,
        notice_days=payload.notice_days,
        team_id=payload.team_id or ALL_TEAMS,
    )
    return Status(201, asdict(presenters.publication_view(publication)))


@router.post(
    "/communities/{pk}/awards",
    response={201: AwardOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Request a manual award or deduction",
)
def award_request(request: HttpRequest, pk: int, payload: AwardIn):
    community = _community(request, pk)
    person = selectors.person_by_login(payload.person)
    if person is None:
        raise ApplicationError(
            _("No one has this mobile number or account name."),
            extra={"fields": {"person": _("No one has this mobile number or account name.")}},
        )
    award = services.award_request(
        actor=request.user,
        community=community,
        user=person,
        kind=payload.kind,
        points=payload.points,
        reason=payload.reason,
    )
    return Status(201, _award_out(award))


@router.post(
    "/awards/{pk}/decision",
    response={200: AwardOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Approve or reject a manual award or deduction (not your own request)",
)
def award_decide(request: HttpRequest, pk: int, payload: DecisionIn):
    award = Award.objects.select_related("community").filter(pk=pk).first()
    if award is None or not access.can_manage(request.user, award.community):
        raise NotFound(_("No such request."))
    award = services.award_decide(actor=request.user, award=award, approve=payload.approve)
    return _award_out(Award.objects.select_related("user", "requested_by", "decided_by").get(pk=award.pk))


@router.post(
    "/objections/{pk}/answer",
    response={200: ObjectionOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Answer an objection (the office)",
)
def objection_answer(request: HttpRequest, pk: int, payload: AnswerIn):
    objection = Objection.objects.select_related("publication__community").filter(pk=pk).first()
    if objection is None or not access.can_manage(request.user, objection.publication.community):
        raise NotFound(_("No such objection."))
    return _objection_out(
        services.objection_answer(actor=request.user, objection=objection, answer=payload.answer)
    )
