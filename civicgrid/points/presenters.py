"""What a viewer sees of points: entries in words, rewards, redemptions, leaderboards.

Built once here; the pages render these objects and the API schemas read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.lib.privacy import mask_name
from civicgrid.points import access, periods, selectors
from civicgrid.points.models import Entry, Publication, Redemption, Reward, Slot
from civicgrid.volunteers.choices import ServiceField


def shown_name(name: str, mode: str) -> str:
    """Return a name as a community chose to publish it: full, surname and *, or initials.

    Initials: the first letter of each word of a Latin name ("Wang Ming" → "W. M."); a Chinese name
    has no words, so its family name followed by "." ("王居民" → "王.").
    """
    name = (name or "").strip()
    if mode == Publication.Names.FULL:
        return name
    if mode == Publication.Names.INITIALS:
        words = name.split()
        if len(words) > 1:
            return " ".join(f"{w[0].upper()}." for w in words)
        return f"{name[:1]}." if name else ""
    return mask_name(name)


def entry_words(entry: Entry) -> str:
    """Return where an entry came from, in words the person understands."""
    detail = entry.detail or {}
    if entry.kind == Entry.Kind.EXPIRE:
        return _("Expired: points past their term")
    if entry.kind == Entry.Kind.REVERSE:
        if entry.source_kind == Entry.Source.REDEMPTION:
            return _("Points returned: redemption cancelled")
        return _("Correction of an earlier entry")
    if entry.source_kind == Entry.Source.CASE:
        number = detail.get("tracking_number")
        if detail.get("source") == "mobile_grid_member":
            return _("Lead accepted (%(number)s)") % {"number": number} if number else _("Lead accepted")
        return _("Report accepted (%(number)s)") % {"number": number} if number else _("Report accepted")
    if entry.source_kind == Entry.Source.HOURS:
        minutes = int(detail.get("minutes") or 0)
        hours = f"{round(abs(minutes) / 60, 1):g}"  # 1 h 55 min: "1.9"
        field_label = str(dict(ServiceField.choices).get(detail.get("field"), detail.get("field") or ""))
        if minutes < 0:
            return _("Hours corrected: −%(hours)s h of %(field)s") % {"hours": hours, "field": field_label}
        return _("%(hours)s h of volunteer service: %(field)s") % {"hours": hours, "field": field_label}
    if entry.source_kind == Entry.Source.ATTENDANCE:
        return _("Took part in an activity")
    if entry.source_kind == Entry.Source.AWARD:
        label = _("Deduction") if entry.kind == Entry.Kind.DEDUCT else _("Award")
        return (
            _("%(label)s: %(reason)s") % {"label": label, "reason": entry.reason} if entry.reason else label
        )
    if entry.source_kind == Entry.Source.REDEMPTION:
        return _("Redeemed: %(reward)s") % {"reward": detail.get("reward") or entry.reason}
    return entry.reason or entry.get_kind_display()


@dataclass(frozen=True)
class EntryView:
    id: int
    at: datetime
    kind: str
    kind_label: str
    amount: int
    balance_after: int
    words: str
    community: str
    rule_version: int | None
    shortfall: int
    reverses_id: int | None


def entry_view(entry: Entry) -> EntryView:
    return EntryView(
        id=entry.pk,
        at=entry.at,
        kind=entry.kind,
        kind_label=entry.get_kind_display(),
        amount=entry.amount,
        balance_after=entry.balance_after,
        words=entry_words(entry),
        community=entry.community.display_name if entry.community_id and entry.community else "",
        rule_version=entry.rule.version if entry.rule_id and entry.rule else None,
        shortfall=entry.shortfall,
        reverses_id=entry.reverses_id,
    )


@dataclass(frozen=True)
class SlotView:
    id: int
    starts_at: datetime
    capacity: int
    free: int


def slot_view(slot: Slot) -> SlotView:
    return SlotView(id=slot.pk, starts_at=slot.starts_at, capacity=slot.capacity, free=slot.free)


@dataclass(frozen=True)
class RewardView:
    id: int
    name: str
    description: str
    kind: str
    kind_label: str
    cost: int
    stock: int | None
    available: bool
    community: str
    community_id: int
    slots: list[SlotView] = field(default_factory=list)


def reward_view(reward: Reward, slots: list[Slot] | None = None) -> RewardView:
    is_service = reward.kind == Reward.Kind.SERVICE
    slot_views = [slot_view(s) for s in slots or []]
    return RewardView(
        id=reward.pk,
        name=reward.name,
        description=reward.description,
        kind=reward.kind,
        kind_label=reward.get_kind_display(),
        cost=reward.cost,
        stock=None if is_service else reward.stock,
        available=reward.is_active
        and (bool(slot_views) if is_service and slots is not None else is_service or reward.stock > 0),
        community=reward.community.display_name,
        community_id=reward.community_id,
        slots=slot_views,
    )


@dataclass(frozen=True)
class RedemptionView:
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


def redemption_view(redemption: Redemption, viewer) -> RedemptionView:
    """What `viewer` sees of a redemption: a provider sees the person's name, for the appointment."""
    booked = redemption.state == Redemption.State.BOOKED
    started = redemption.slot is not None and redemption.slot.starts_at <= timezone.now()
    office = access.can_manage(viewer, redemption.reward.community)
    own = redemption.user_id == getattr(viewer, "pk", None)
    return RedemptionView(
        id=redemption.pk,
        reward=redemption.reward.name,
        reward_id=redemption.reward_id,
        cost=redemption.cost,
        state=redemption.state,
        state_label=redemption.get_state_display(),
        created_at=redemption.created_at,
        slot_starts_at=redemption.slot.starts_at if redemption.slot else None,
        person=str(redemption.user) if not own else "",
        can_cancel=booked and (office or (own and not started)),
        can_fulfil=booked and not own and access.can_fulfil(viewer, redemption),
    )


@dataclass(frozen=True)
class PublicationView:
    id: int
    community: str
    community_id: int
    team_id: int
    team: str  # the team's name ("" for the whole community)
    period: str
    period_label: str
    names_label: str
    published_at: datetime
    objections_until: datetime
    open_for_objections: bool
    rows: list[dict]


def publication_views(publications) -> list[PublicationView]:
    """The views of a list of publications, their teams' names read once."""
    now = timezone.now()
    names = selectors.team_names([p.team_id for p in publications])
    return [publication_view(p, now, names) for p in publications]


def publication_view(
    publication: Publication, now: datetime | None = None, team_names: dict[int, str] | None = None
) -> PublicationView:
    """What anyone sees of a published leaderboard. `team_names`: the names of the teams of a list of
    publications, read once (else the one team's is read)."""
    now = now or timezone.now()
    if team_names is None:
        team_names = selectors.team_names([publication.team_id])
    period = periods.of(publication.period, publication.period_start)
    return PublicationView(
        id=publication.pk,
        community=publication.community.display_name,
        community_id=publication.community_id,
        team_id=publication.team_id,
        team=team_names.get(publication.team_id, "") if publication.team_id else "",
        period=period.name,
        period_label=period.label,
        names_label=publication.get_names_display(),
        published_at=publication.published_at,
        objections_until=publication.objections_until,
        open_for_objections=now <= publication.objections_until,
        rows=list(publication.rows),
    )
