"""Every write of the points app. Each public function runs in one transaction.

The ledger's one door is `_post`: it claims the entry's idempotency key, moves the kept balance with
a conditional UPDATE (never below zero) and the earned tallies in the same transaction. A retried
call with the same key returns the first entry and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound
from civicgrid.places.models import Place
from civicgrid.points import access, periods, selectors
from civicgrid.points.models import (
    ALL_TEAMS,
    Account,
    Award,
    Entry,
    Household,
    HouseholdMember,
    Objection,
    Publication,
    Redemption,
    Reward,
    RuleSet,
    Slot,
    Tally,
)
from civicgrid.points.presenters import shown_name
from civicgrid.volunteers.choices import ServiceField

Kind = Entry.Kind
Source = Entry.Source
# Kinds whose amounts count as earned in the leaderboards (a reversal counts as its original did).
EARNED_KINDS = frozenset({Kind.EARN, Kind.ADJUST})
MAX_POINTS = 1_000_000
NOTICE_DAYS_MAX = 30


# ---------------------------------------------------------------------------------------------
# The ledger


def _post(
    *,
    user_id: int,
    kind: str,
    amount: int,
    key: str,
    source_kind: str,
    source_id: int | None = None,
    community_id: int | None = None,
    team_id: int | None = None,
    rule: RuleSet | None = None,
    operator=None,
    approved_by=None,
    reason: str = "",
    day: date | None = None,
    clip: bool = False,
    reverses: Entry | None = None,
    counts_earned: bool | None = None,
    month: date | None = None,
    detail: dict | None = None,
) -> tuple[Entry, bool]:
    """Append one entry and move the balance and tallies; return (entry, whether it is new).

    1. An entry with `key` already there is returned as it is (a retry, a second announcement).
    2. In a savepoint: credit the account, or debit it only WHERE balance >= the amount. A debit the
       balance cannot cover is refused (Conflict), or with `clip` takes what is there and records
       the rest as `shortfall` (a correction after the points were spent).
    3. Insert the entry; its UNIQUE key makes a concurrent duplicate fail here, which rolls the
       savepoint back and returns the winner's entry.
    4. Add an earned amount to the person's tallies of the month (community, and team).
    """
    existing = Entry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.user_id != user_id:
            raise Conflict(_("This request key was already used for someone else."), code="key_reused")
        return existing, False
    now = timezone.now()
    day = day or timezone.localdate(now)
    if counts_earned is None:
        counts_earned = kind in EARNED_KINDS
    try:
        with transaction.atomic():
            Account.objects.get_or_create(user_id=user_id)
            shortfall = 0
            if amount >= 0:
                Account.objects.filter(pk=user_id).update(balance=F("balance") + amount)
            elif clip:
                held = Account.objects.select_for_update().get(pk=user_id).balance
                taken = min(held, -amount)
                shortfall, amount = -amount - taken, -taken
                Account.objects.filter(pk=user_id).update(balance=F("balance") + amount)
            elif not Account.objects.filter(pk=user_id, balance__gte=-amount).update(
                balance=F("balance") + amount
            ):
                raise Conflict(
                    _("Not enough points: %(points)s are needed.") % {"points": -amount},
                    code="insufficient_points",
                    extra={"needed": -amount},
                )
            after = Account.objects.filter(pk=user_id).values_list("balance", flat=True).get()
            entry = Entry.objects.create(
                user_id=user_id,
                kind=kind,
                amount=amount,
                balance_after=after,
                shortfall=shortfall,
                idempotency_key=key,
                rule=rule,
                source_kind=source_kind,
                source_id=source_id,
                community_id=community_id,
                team_id=team_id,
                reverses=reverses,
                counts_earned=counts_earned,
                month=month or periods.month_of(day),
                at=now,
                operator=operator if operator is not None and operator.is_authenticated else None,
                approved_by=approved_by,
                reason=reason[:300],
                detail=detail or {},
            )
            if counts_earned and community_id is not None and amount:
                tally_add(
                    community_id=community_id,
                    team_id=team_id,
                    user_id=user_id,
                    month=entry.month,
                    amount=amount,
                )
    except IntegrityError:
        existing = Entry.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        if existing.user_id != user_id:
            raise Conflict(_("This request key was already used for someone else."), code="key_reused")
        return existing, False
    return entry, True


def tally_add(*, community_id: int, team_id: int | None, user_id: int, month: date, amount: int) -> None:
    """Add `amount` to the person's earned points of the month: in the community, and in the team."""
    teams = [ALL_TEAMS] if not team_id else [ALL_TEAMS, team_id]
    for team in teams:
        row = Tally.objects.filter(community_id=community_id, team_id=team, month=month, user_id=user_id)
        if row.update(earned=F("earned") + amount):
            continue
        try:
            with transaction.atomic():
                Tally.objects.create(
                    community_id=community_id, team_id=team, month=month, user_id=user_id, earned=amount
                )
        except IntegrityError:
            row.update(earned=F("earned") + amount)


def _reverse(
    *, entry: Entry, key: str, operator=None, reason: str = "", source_kind: str = Source.ENTRY
) -> Entry:
    """Append the entry that undoes `entry` (once: the reversal's key and `reverses` are unique)."""
    if entry.kind == Kind.REVERSE:
        raise Conflict(
            _("A reversal cannot itself be reversed; record a new entry instead."), code="not_reversible"
        )
    already = Entry.objects.filter(reverses=entry).first()
    if already is not None:
        if already.idempotency_key == key:
            return already
        raise Conflict(_("This entry has already been reversed."), code="already_reversed")
    reversal, _created = _post(
        user_id=entry.user_id,
        kind=Kind.REVERSE,
        amount=-entry.amount,
        key=key,
        source_kind=source_kind,
        source_id=entry.pk,
        community_id=entry.community_id,
        team_id=entry.team_id,
        rule=entry.rule,
        operator=operator,
        reason=reason,
        clip=True,
        reverses=entry,
        counts_earned=entry.counts_earned,
        month=entry.month,
    )
    return reversal


@transaction.atomic
def entry_reverse(*, actor, entry: Entry, reason: str) -> Entry:
    """Undo a mistaken entry with a reversing entry that points at it (office; redemptions are cancelled)."""
    entry = Entry.objects.select_related("community").get(pk=entry.pk)
    if entry.community is None or not access.can_manage(actor, entry.community):
        access.refuse()
    if entry.kind == Kind.REDEEM:
        raise Conflict(
            _("Cancel the redemption instead: that also frees its unit or slot."), code="not_reversible"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Give the reason for the correction."),
            extra={"fields": {"reason": _("This field is required.")}},
        )
    if Entry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This entry has already been reversed."), code="already_reversed")
    reversal = _reverse(entry=entry, key=f"reverse:{entry.pk}", operator=actor, reason=reason)
    audit.record(
        actor=actor,
        action="points.entry_reverse",
        target=entry,
        place_code=entry.community.code,
        changes={"entry": entry.pk, "amount": reversal.amount, "reason": reason},
    )
    return reversal


# ---------------------------------------------------------------------------------------------
# Earning from announcements (receivers connected in PointsConfig.ready, and the backfill command)

REPORT_SOURCES = {"resident": "report_resident", "mobile_grid_member": "report_mobile"}


@transaction.atomic
def report_accepted(
    *,
    case_id: int,
    reporter_id: int | None,
    source: str,
    community_id: int | None,
    day: date,
    tracking_number: str = "",
) -> Entry | None:
    """Credit the reporter of a report accepted on verification, by the rule in force on the day.

    Once per case (key "case:<id>:accepted"); nothing for sources that earn nothing, cases with no
    reporter account or no village, or a rule of 0 points.
    """
    field = REPORT_SOURCES.get(source)
    if field is None or reporter_id is None or community_id is None:
        return None
    rule = selectors.rule_in_force(community_id=community_id, day=day)
    points = getattr(rule, field, 0) if rule else 0
    if points <= 0:
        return None
    entry, _created = _post(
        user_id=reporter_id,
        kind=Kind.EARN,
        amount=points,
        key=f"case:{case_id}:accepted",
        source_kind=Source.CASE,
        source_id=case_id,
        community_id=community_id,
        rule=rule,
        day=day,
        detail={"tracking_number": tracking_number, "source": source},
    )
    return entry


def hours_points(rule: RuleSet, service_field: str, minutes: int) -> int:
    """Return the points for `minutes` (signed) of service: per hour, rounded half away from zero."""
    per_hour = rule.hourly_points(service_field)
    sign = -1 if minutes < 0 else 1
    return sign * ((abs(minutes) * per_hour * 2 + 60) // 120)


@transaction.atomic
def hours_approved(record) -> list[Entry]:
    """Credit (or, for a negative correction, deduct) approved volunteer hours by the rule of their day.

    `record` is a `volunteers.signals.HoursAnnouncement`. Hours earn per confirmed hour by service
    field (key "hours:<record id>"); an attendance earns the rule's fixed points once per activity
    and person (key "activity:<activity id>:<user id>"). A deduction never takes the balance below
    zero: what it could not take is kept as the entry's shortfall.
    """
    rule = selectors.rule_in_force(community_id=record.community_id, day=record.day)
    if rule is None:
        return []
    posted = []
    points = hours_points(rule, record.service_field, record.minutes)
    common = {
        "user_id": record.user_id,
        "community_id": record.community_id,
        "team_id": record.team_id,
        "rule": rule,
        "day": record.day,
    }
    if points:
        entry, _created = _post(
            kind=Kind.EARN if points > 0 else Kind.ADJUST,
            amount=points,
            key=f"hours:{record.record_id}",
            source_kind=Source.HOURS,
            source_id=record.record_id,
            clip=True,
            detail={
                "minutes": record.minutes,
                "field": record.service_field,
                "activity_id": record.activity_id,
            },
            **common,
        )
        posted.append(entry)
    if record.kind == "attendance" and record.activity_id and record.minutes > 0 and rule.per_activity:
        entry, _created = _post(
            kind=Kind.EARN,
            amount=rule.per_activity,
            key=f"activity:{record.activity_id}:{record.user_id}",
            source_kind=Source.ATTENDANCE,
            source_id=record.activity_id,
            detail={"activity_id": record.activity_id},
            **common,
        )
        posted.append(entry)
    return posted


# ---------------------------------------------------------------------------------------------
# Rules


def _points(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= MAX_POINTS:
        raise ApplicationError(
            _("Points must be a whole number from 0 to %(max)s.") % {"max": MAX_POINTS},
            extra={"fields": {name: _("Enter a whole number from 0 to %(max)s.") % {"max": MAX_POINTS}}},
        )
    return number


@transaction.atomic
def rules_create(
    *,
    actor,
    community: Place | None,
    valid_from: date,
    hourly: dict[str, int] | None = None,
    hourly_default: int = 0,
    per_activity: int = 0,
    report_resident: int = 0,
    report_mobile: int = 0,
    expires_after_months: int | None = None,
    note: str = "",
) -> RuleSet:
    """Add a new version of a community's rules (or of the default), in force from `valid_from`.

    A version is never changed; entries keep the version they were made with. A version may not
    start before the latest one (versions follow each other in time).
    """
    if actor is not None:
        access.check_manage(actor, community)
    hourly = {str(k): _points(v, f"hourly_{k}") for k, v in (hourly or {}).items() if v not in (None, "")}
    unknown = set(hourly) - set(ServiceField.values)
    if unknown:
        raise ApplicationError(_("Unknown service field: %(field)s") % {"field": ", ".join(sorted(unknown))})
    versions = (
        RuleSet.objects.filter(community=community)
        if community
        else RuleSet.objects.filter(community__isnull=True)
    )
    latest = versions.order_by("-version").first()
    if latest is not None and valid_from < latest.valid_from:
        raise ApplicationError(
            _("A new version must start on or after %(day)s, when version %(version)s starts.")
            % {"day": latest.valid_from.isoformat(), "version": latest.version},
            extra={"fields": {"valid_from": _("Choose a later date.")}},
        )
    rule = RuleSet.objects.create(
        community=community,
        version=(versions.aggregate(top=Max("version"))["top"] or 0) + 1,
        valid_from=valid_from,
        hourly=hourly,
        hourly_default=_points(hourly_default, "hourly_default"),
        per_activity=_points(per_activity, "per_activity"),
        report_resident=_points(report_resident, "report_resident"),
        report_mobile=_points(report_mobile, "report_mobile"),
        expires_after_months=_expiry(expires_after_months),
        note=(note or "")[:200],
        created_by=actor,
    )
    if actor is not None:
        audit.record(
            actor=actor,
            action="points.rules_create",
            target=rule,
            place_code=community.code if community else "",
            changes=audit.as_created(
                audit.snapshot(
                    rule,
                    [
                        "version",
                        "valid_from",
                        "hourly",
                        "hourly_default",
                        "per_activity",
                        "report_resident",
                        "report_mobile",
                        "expires_after_months",
                    ],
                )
            ),
        )
    return rule


def _expiry(months) -> int | None:
    if months in (None, ""):
        return None
    months = _points(months, "expires_after_months")
    if not 1 <= months <= 120:
        message = _("From 1 to 120 months, or empty for never.")
        raise ApplicationError(message, extra={"fields": {"expires_after_months": message}})
    return months


def points_expire(today: date | None = None) -> int:
    """Post the expiry of every person's points that are past their rule's term, as of `today`
    (default: the local date); return how many entries were posted. Idempotent per person and day.

    Points earned in a month under a version with `expires_after_months` = N expire on the first day
    of the month N months later. Spending uses the oldest points first (the person's favour), so what
    expires is what those points exceed of everything taken out so far (redeemed, deducted, reversed,
    expired, less what a cancellation gave back): expired = max(0, credits past their term − debits). Run daily
    (`manage.py points_expire`).
    """
    today = today or timezone.localdate()
    this_month = periods.month_of(today)
    terms = RuleSet.objects.filter(expires_after_months__isnull=False).values_list(
        "pk", "expires_after_months"
    )
    past_term = Q()
    for rule_id, months in terms:
        past_term |= Q(rule_id=rule_id, month__lte=periods.add_months(this_month, -months))
    if not past_term:
        return 0
    credit = Q(amount__gt=0, kind__in=(Entry.Kind.EARN, Entry.Kind.ADJUST)) & past_term
    old = dict(
        Entry.objects.filter(credit)
        .values("user_id")
        .annotate(old=Sum("amount"))
        .values_list("user_id", "old")
    )
    due: dict[int, int] = {}
    ids = sorted(old)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        taken = dict(
            # Everything taken out, less what came back (a cancelled redemption's reversal).
            Entry.objects.filter(
                Q(amount__lt=0) | Q(kind=Entry.Kind.REVERSE, amount__gt=0), user_id__in=chunk
            )
            .values("user_id")
            .annotate(total=Sum("amount"))
            .values_list("user_id", "total")
        )
        for user_id in chunk:
            rest = old[user_id] + (taken.get(user_id) or 0)
            if rest > 0:
                due[user_id] = rest
    posted = 0
    for user_id, points in due.items():
        with transaction.atomic():
            _entry, new = _post(
                user_id=user_id,
                kind=Entry.Kind.EXPIRE,
                amount=-points,
                key=f"expire:{user_id}:{today.isoformat()}",
                source_kind=Entry.Source.OTHER,
                reason="expired",
                day=today,
                clip=True,
                counts_earned=False,
            )
        posted += int(new)
    return posted


# ---------------------------------------------------------------------------------------------
# Manual awards and deductions


@transaction.atomic
def award_request(*, actor, community: Place, user, kind: str, points: int, reason: str) -> Award:
    """Ask for a manual award or deduction; another member of the office approves it."""
    access.check_manage(actor, community)
    if kind not in Award.Kind.values:
        raise ApplicationError(
            _("Choose an award or a deduction."), extra={"fields": {"kind": _("Unknown kind.")}}
        )
    points = _points(points, "points")
    if points == 0:
        raise ApplicationError(
            _("Give at least 1 point."), extra={"fields": {"points": _("Give at least 1 point.")}}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Give the reason: it is shown to the person."),
            extra={"fields": {"reason": _("This field is required.")}},
        )
    award = Award.objects.create(
        community=community, user=user, kind=kind, points=points, reason=reason[:300], requested_by=actor
    )
    audit.record(
        actor=actor,
        action="points.award_request",
        target=award,
        place_code=community.code,
        changes=audit.as_created({"user": str(user), "kind": kind, "points": points, "reason": reason}),
    )
    return award


@transaction.atomic
def award_decide(*, actor, award: Award, approve: bool) -> Award:
    """Approve (post the entry) or reject a pending request; never the requester's own."""
    award = Award.objects.select_related("community").get(pk=award.pk)
    if not access.can_manage(actor, award.community):
        access.refuse()
    if award.requested_by_id == actor.pk:
        access.refuse(_("A request is approved by someone other than the person who made it."))
    now = timezone.now()
    state = Award.State.APPROVED if approve else Award.State.REJECTED
    if not Award.objects.filter(pk=award.pk, state=Award.State.PENDING).update(
        state=state, decided_by=actor, decided_at=now
    ):
        raise Conflict(_("This request has already been decided."), code="already_decided")
    award.refresh_from_db()
    if approve:
        deduct = award.kind == Award.Kind.DEDUCT
        entry, _created = _post(
            user_id=award.user_id,
            kind=Kind.DEDUCT if deduct else Kind.EARN,
            amount=-award.points if deduct else award.points,
            key=f"award:{award.pk}",
            source_kind=Source.AWARD,
            source_id=award.pk,
            community_id=award.community_id,
            rule=selectors.rule_in_force(community_id=award.community_id, day=timezone.localdate(now)),
            operator=award.requested_by,
            approved_by=actor,
            reason=award.reason,
            clip=True,
        )
        Award.objects.filter(pk=award.pk).update(entry=entry)
        award.entry = entry
    audit.record(
        actor=actor,
        action="points.award_decide",
        target=award,
        place_code=award.community.code,
        changes={"state": {"from": Award.State.PENDING, "to": state}},
    )
    return award


# ---------------------------------------------------------------------------------------------
# Households


@transaction.atomic
def household_create(*, actor, community: Place, name: str) -> Household:
    access.check_manage(actor, community)
    name = (name or "").strip()[:100]
    if not name:
        raise ApplicationError(
            _("Name the household."), extra={"fields": {"name": _("This field is required.")}}
        )
    if Household.objects.filter(community=community, name=name).exists():
        raise ApplicationError(
            _("This community already has a household of that name."),
            extra={"fields": {"name": _("Choose another name.")}},
        )
    household = Household.objects.create(community=community, name=name)
    audit.record(
        actor=actor,
        action="points.household_create",
        target=household,
        place_code=community.code,
        changes=audit.as_created({"name": name}),
    )
    return household


@transaction.atomic
def household_add(*, actor, household: Household, user) -> HouseholdMember:
    """Put a person in a household (a person belongs to one household)."""
    access.check_manage(actor, household.community)
    if HouseholdMember.objects.filter(user=user).exists():
        raise Conflict(_("This person already belongs to a household."), code="already_member")
    member = HouseholdMember.objects.create(household=household, user=user)
    audit.record(
        actor=actor,
        action="points.household_member",
        target=household,
        place_code=household.community.code,
        changes={"added": str(user)},
    )
    return member


# ---------------------------------------------------------------------------------------------
# Rewards


def _reward_fields(*, name: str, cost, stock, kind: str) -> dict:
    name = (name or "").strip()[:100]
    if not name:
        raise ApplicationError(
            _("Name the reward."), extra={"fields": {"name": _("This field is required.")}}
        )
    if kind not in Reward.Kind.values:
        raise ApplicationError(
            _("Choose goods or a service."), extra={"fields": {"kind": _("Unknown kind.")}}
        )
    cost = _points(cost, "cost")
    if cost == 0:
        raise ApplicationError(
            _("A reward costs at least 1 point."), extra={"fields": {"cost": _("Give at least 1 point.")}}
        )
    return {"name": name, "cost": cost, "stock": _points(stock, "stock"), "kind": kind}


@transaction.atomic
def reward_create(
    *,
    actor,
    community: Place,
    kind: str,
    name: str,
    cost: int,
    stock: int = 0,
    description: str = "",
    providers=(),
) -> Reward:
    access.check_manage(actor, community)
    fields = _reward_fields(name=name, cost=cost, stock=stock, kind=kind)
    reward = Reward.objects.create(community=community, description=(description or "").strip(), **fields)
    if providers:
        reward.providers.set(providers)
    audit.record(
        actor=actor,
        action="points.reward_create",
        target=reward,
        place_code=community.code,
        changes=audit.as_created({**fields, "providers": [str(p) for p in providers]}),
    )
    return reward


@transaction.atomic
def reward_update(
    *, actor, reward: Reward, add_stock: int = 0, is_active: bool | None = None, cost: int | None = None
) -> Reward:
    """Add stock (to what is left now: a concurrent redemption is not overwritten), price or withdraw a reward."""
    access.check_manage(actor, reward.community)
    before = audit.snapshot(reward, ["stock", "is_active", "cost"])
    changes: dict = {}
    if add_stock:
        number = int(add_stock)
        if number < 0:
            if not Reward.objects.filter(pk=reward.pk, stock__gte=-number).update(stock=F("stock") + number):
                raise Conflict(_("There are fewer units left than that."), code="stock_low")
        else:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + _points(number, "add_stock"))
    if is_active is not None:
        changes["is_active"] = bool(is_active)
    if cost is not None:
        changes["cost"] = _points(cost, "cost") or reward.cost
    if changes:
        Reward.objects.filter(pk=reward.pk).update(**changes)
    reward.refresh_from_db()
    audit.record(
        actor=actor,
        action="points.reward_update",
        target=reward,
        place_code=reward.community.code,
        changes=audit.diff(before, audit.snapshot(reward, ["stock", "is_active", "cost"])),
    )
    return reward


@transaction.atomic
def slot_add(*, actor, reward: Reward, starts_at: datetime, capacity: int) -> Slot:
    access.check_manage(actor, reward.community)
    if reward.kind != Reward.Kind.SERVICE:
        raise ApplicationError(_("Only a service is booked by slots; goods have stock."))
    if starts_at <= timezone.now():
        raise ApplicationError(
            _("A slot starts in the future."), extra={"fields": {"starts_at": _("Choose a later time.")}}
        )
    capacity = _points(capacity, "capacity")
    if not 1 <= capacity <= 1000:
        raise ApplicationError(
            _("A slot has from 1 to 1000 places."), extra={"fields": {"capacity": _("From 1 to 1000.")}}
        )
    slot = Slot.objects.create(reward=reward, starts_at=starts_at, capacity=capacity)
    audit.record(
        actor=actor,
        action="points.slot_add",
        target=reward,
        place_code=reward.community.code,
        changes={"slot": {"to": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M} × {capacity}"}},
    )
    return slot


def _key(key: str) -> str:
    key = (key or "").strip()
    if not 8 <= len(key) <= 100 or not key.isprintable():
        raise ApplicationError(
            _("Send an idempotency key of 8 to 100 characters, the same for each retry."), code="invalid_key"
        )
    return key


def reward_redeem(*, user, reward: Reward, key: str, slot: Slot | None = None) -> Redemption:
    """Redeem a reward: take a unit (or a slot's place) and debit its points in ONE transaction.

    1. The key (one per form drawn or API call) is claimed first by inserting the redemption: a
       retry, even a concurrent one, gets the first redemption back and is charged once.
    2. Goods: `stock = stock - 1 WHERE stock > 0`; a service: `taken = taken + 1 WHERE taken < capacity`
       on the chosen future slot. Nothing left: refused, nothing changes.
    3. Debit `balance = balance - cost WHERE balance >= cost`; too few points: refused, nothing changes.
    """
    key = _key(key)
    if not access.is_person(user):
        access.refuse(_("Sign in to redeem points."))
    existing = Redemption.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_redemption(existing, user)
    try:
        with transaction.atomic():
            return _redeem(user=user, reward=reward, key=key, slot=slot)
    except IntegrityError:
        existing = Redemption.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_redemption(existing, user)


def _same_redemption(existing: Redemption, user) -> Redemption:
    if existing.user_id != user.pk:
        raise Conflict(_("This request key was already used for someone else."), code="key_reused")
    return existing


def _redeem(*, user, reward: Reward, key: str, slot: Slot | None) -> Redemption:
    reward = Reward.objects.filter(pk=reward.pk).first()
    if reward is None or not reward.is_active:
        raise NotFound(_("This reward is not offered any more."))
    if reward.kind == Reward.Kind.SERVICE:
        if slot is None or slot.reward_id != reward.pk:
            raise ApplicationError(
                _("Choose a time for the service."),
                code="slot_required",
                extra={"fields": {"slot": _("Choose a time.")}},
            )
        if slot.starts_at <= timezone.now():
            raise Conflict(_("This time has passed: choose another."), code="slot_past")
    else:
        slot = None
    redemption = Redemption.objects.create(
        reward=reward, slot=slot, user=user, cost=reward.cost, idempotency_key=key
    )
    if slot is not None:
        taken = Slot.objects.filter(pk=slot.pk, taken__lt=F("capacity")).update(taken=F("taken") + 1)
        if not taken:
            raise Conflict(_("This time is fully booked: choose another."), code="slot_full")
    elif not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1):
        raise Conflict(_("This reward is out of stock."), code="out_of_stock")
    entry, _created = _post(
        user_id=user.pk,
        kind=Kind.REDEEM,
        amount=-reward.cost,
        key=f"redeem:{redemption.pk}",
        source_kind=Source.REDEMPTION,
        source_id=redemption.pk,
        community_id=reward.community_id,
        operator=user,
        reason=reward.name,
        detail={"reward": reward.name},
    )
    Redemption.objects.filter(pk=redemption.pk).update(entry=entry)
    redemption.entry = entry
    return redemption


@transaction.atomic
def redemption_cancel(*, actor, redemption: Redemption) -> Redemption:
    """Cancel a booked redemption: a reversing entry returns its points and its unit or slot place is freed.

    The person may cancel until a service's time starts; the office at any time before fulfilment.
    """
    redemption = Redemption.objects.select_related("reward", "reward__community", "slot", "entry").get(
        pk=redemption.pk
    )
    if not access.can_cancel(actor, redemption):
        access.refuse()
    office = access.can_manage(actor, redemption.reward.community)
    if not office and redemption.slot is not None and redemption.slot.starts_at <= timezone.now():
        raise Conflict(_("The service has started: ask the community office to cancel it."), code="started")
    now = timezone.now()
    if not Redemption.objects.filter(pk=redemption.pk, state=Redemption.State.BOOKED).update(
        state=Redemption.State.CANCELLED, cancelled_at=now, cancelled_by=actor
    ):
        raise Conflict(_("Only a booked redemption can be cancelled."), code="not_booked")
    if redemption.slot_id:
        Slot.objects.filter(pk=redemption.slot_id, taken__gt=0).update(taken=F("taken") - 1)
    else:
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
    if redemption.entry is not None:
        _reverse(
            entry=redemption.entry,
            key=f"cancel:{redemption.pk}",
            operator=actor,
            reason=_("Redemption cancelled"),
            source_kind=Source.REDEMPTION,
        )
    redemption.refresh_from_db()
    if office and actor.pk != redemption.user_id:
        audit.record(
            actor=actor,
            action="points.redemption_cancel",
            target=redemption,
            place_code=redemption.reward.community.code,
            changes={"state": {"from": "booked", "to": "cancelled"}},
        )
    return redemption


@transaction.atomic
def redemption_fulfil(*, actor, redemption: Redemption) -> Redemption:
    """Confirm a booked redemption was delivered (the reward's provider, or the office)."""
    redemption = Redemption.objects.select_related("reward", "reward__community").get(pk=redemption.pk)
    if not access.can_fulfil(actor, redemption):
        access.refuse()
    if not Redemption.objects.filter(pk=redemption.pk, state=Redemption.State.BOOKED).update(
        state=Redemption.State.FULFILLED, fulfilled_at=timezone.now(), fulfilled_by=actor
    ):
        raise Conflict(_("Only a booked redemption can be confirmed."), code="not_booked")
    redemption.refresh_from_db()
    audit.record(
        actor=actor,
        action="points.redemption_fulfil",
        target=redemption,
        place_code=redemption.reward.community.code,
        changes={"state": {"from": "booked", "to": "fulfilled"}},
    )
    return redemption


# ---------------------------------------------------------------------------------------------
# Leaderboards: publication and objections


@transaction.atomic
def leaderboard_publish(
    *,
    actor,
    community: Place,
    period: periods.Period,
    names: str,
    notice_days: int = 7,
    team_id: int = ALL_TEAMS,
    now: datetime | None = None,
) -> Publication:
    """Publish the community's (or a team's) leaderboard of a period, as it stands, for a notice period.

    The board is kept as published, names shown as the community chose; objections are taken until
    the notice period ends.
    """
    access.check_manage(actor, community)
    if names not in Publication.Names.values:
        raise ApplicationError(
            _("Choose how names are shown."), extra={"fields": {"names": _("Unknown choice.")}}
        )
    try:
        notice_days = int(notice_days)
    except (TypeError, ValueError):
        notice_days = -1
    if not 1 <= notice_days <= NOTICE_DAYS_MAX:
        raise ApplicationError(
            _("The notice period lasts from 1 to %(max)s days.") % {"max": NOTICE_DAYS_MAX},
            extra={"fields": {"notice_days": _("From 1 to %(max)s days.") % {"max": NOTICE_DAYS_MAX}}},
        )
    now = now or timezone.now()
    if period.start > timezone.localdate(now):
        raise ApplicationError(
            _("This period has not started yet."),
            extra={"fields": {"period": _("Choose a period that has started.")}},
        )
    standings = selectors.leaderboard(community_id=community.pk, period=period, team_id=team_id)
    rows = [{"rank": s.rank, "name": shown_name(s.name, names), "points": s.earned} for s in standings]
    publication = Publication.objects.create(
        community=community,
        team_id=team_id,
        period=period.kind,
        period_start=period.start,
        names=names,
        rows=rows,
        published_at=now,
        published_by=actor,
        objections_until=now + timedelta(days=notice_days),
    )
    audit.record(
        actor=actor,
        action="points.publish",
        target=publication,
        place_code=community.code,
        changes={"period": period.name, "rows": len(rows), "notice_days": notice_days},
    )
    return publication


@transaction.atomic
def objection_raise(*, user, publication: Publication, text: str, now: datetime | None = None) -> Objection:
    """Object to a published leaderboard, only during its notice period."""
    if not access.can_object(user):
        access.refuse(_("Sign in to object."))
    now = now or timezone.now()
    if now > publication.objections_until:
        raise Conflict(_("The notice period is over: objections are no longer taken."), code="notice_over")
    text = (text or "").strip()
    if not 5 <= len(text) <= 2000:
        raise ApplicationError(
            _("Write your objection in 5 to 2000 characters."),
            extra={"fields": {"text": _("Write 5 to 2000 characters.")}},
        )
    return Objection.objects.create(publication=publication, user=user, text=text, created_at=now)


@transaction.atomic
def objection_answer(*, actor, objection: Objection, answer: str) -> Objection:
    objection = Objection.objects.select_related("publication__community").get(pk=objection.pk)
    access.check_manage(actor, objection.publication.community)
    answer = (answer or "").strip()
    if not answer:
        raise ApplicationError(
            _("Write the answer."), extra={"fields": {"answer": _("This field is required.")}}
        )
    if not Objection.objects.filter(pk=objection.pk, answered_at__isnull=True).update(
        answer=answer[:2000], answered_by=actor, answered_at=timezone.now()
    ):
        raise Conflict(_("This objection has already been answered."), code="already_answered")
    objection.refresh_from_db()
    audit.record(
        actor=actor,
        action="points.objection_answer",
        target=objection,
        place_code=objection.publication.community.code,
        changes={"answer": answer[:200]},
    )
    return objection


# ---------------------------------------------------------------------------------------------
# Repair (points_check --repair)


@transaction.atomic
def ledger_repair(differences: list[selectors.Difference]) -> int:
    """Set each differing kept balance and tally to what the entries sum to; return how many were set."""
    for found in differences:
        if found.what == "balance":
            (user_id,) = found.key
            if not Account.objects.filter(pk=user_id).update(balance=found.counted):
                Account.objects.create(user_id=user_id, balance=found.counted)
        else:
            community_id, team_id, user_id, month = found.key
            Tally.objects.update_or_create(
                community_id=community_id,
                team_id=team_id,
                user_id=user_id,
                month=month,
                defaults={"earned": found.counted},
            )
    return len(differences)
