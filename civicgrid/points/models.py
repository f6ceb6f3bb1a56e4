"""Points: versioned rules, the append-only ledger with its kept balances and tallies, households,
rewards with stock and slots, redemptions, manual awards, published leaderboards and objections.

The ledger is the truth: `Account.balance` and `Tally.earned` are kept in the entry's transaction
and can be recounted from the entries at any time (`points_check`). Volunteers' activities and
teams are referred to by plain ids (`activity_id`, `team_id`): points sits above volunteers but
only listens to its announcements.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AppendOnly
from civicgrid.places.models import Place
from civicgrid.volunteers.choices import ServiceField

# team_id of the tally rows of a whole community (every team and none).
ALL_TEAMS = 0


class RuleSet(AppendOnly):
    """One version of a community's points rules, in force from `valid_from` until the next version.

    A version is never edited: a change is a new version from a date, and each entry keeps the
    version it was made with. `community` empty: the default for every community that has no
    version of its own in force.
    """

    community = models.ForeignKey(
        Place,
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateField(_("in force from"))
    # {service field: points per confirmed hour}; a field not listed earns `hourly_default`.
    hourly = models.JSONField(_("points per hour by service field"), default=dict, blank=True)
    hourly_default = models.PositiveIntegerField(_("points per hour (other fields)"), default=0)
    per_activity = models.PositiveIntegerField(_("points per activity attended"), default=0)
    report_resident = models.PositiveIntegerField(_("points for a resident's accepted report"), default=0)
    report_mobile = models.PositiveIntegerField(
        _("points for a mobile grid member's accepted lead"), default=0
    )
    # Points earned under this version expire this many whole months after the month they were earned
    # in (12: points of March 2026 expire on 1 March 2027); empty: never. `services.points_expire`.
    expires_after_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("points rules")
        verbose_name_plural = _("points rules")
        constraints = [
            models.UniqueConstraint(fields=["community", "version"], name="points_rule_version_uniq"),
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(community__isnull=True),
                name="points_rule_default_uniq",
            ),
        ]
        indexes = [models.Index(fields=["community", "valid_from"], name="points_rule_from_idx")]

    def __str__(self) -> str:
        return f"v{self.version} ({self.valid_from:%Y-%m-%d})"

    def hourly_points(self, service_field: str) -> int:
        return int(self.hourly.get(service_field, self.hourly_default))

    def hourly_items(self) -> list[tuple[str, int]]:
        """The points per hour of each service field named in this version, with the field's label."""
        labels = dict(ServiceField.choices)
        return [(str(labels.get(field, field)), int(points)) for field, points in self.hourly.items()]

    def as_initial(self) -> dict:
        """This version's values as the initial values of the form of the next one."""
        initial = {
            "hourly_default": self.hourly_default,
            "per_activity": self.per_activity,
            "report_resident": self.report_resident,
            "report_mobile": self.report_mobile,
            "expires_after_months": self.expires_after_months,
        }
        initial.update({f"hourly_{field}": points for field, points in self.hourly.items()})
        return initial


class Account(models.Model):
    """A person's kept balance: the sum of their entries, updated with each entry (never below zero)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="points_account"
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="points_balance_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.balance}"


class Entry(AppendOnly):
    """One change of a person's points. Never edited; a mistake is undone by a reversing entry."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        DEDUCT = "deduct", _("Deducted")
        REDEEM = "redeem", _("Redeemed")
        REVERSE = "reverse", _("Reversed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")

    class Source(models.TextChoices):
        CASE = "case", _("Accepted report")
        HOURS = "hours", _("Volunteer hours")
        ATTENDANCE = "attendance", _("Activity attended")
        AWARD = "award", _("Manual award or deduction")
        REDEMPTION = "redemption", _("Reward redemption")
        ENTRY = "entry", _("Correction of an entry")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Signed: what the balance changed by.
    amount = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    # What a deduction asked for beyond the balance it found (a balance never goes below zero).
    shortfall = models.BigIntegerField(_("not deducted (balance too low)"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    rule = models.ForeignKey(RuleSet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_kind = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    community = models.ForeignKey(
        Place,
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)
    # The entry it reverses; unique: an entry is reversed at most once.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # Whether it counts in the leaderboards' earned points (earn and adjust, and their reversals).
    counts_earned = models.BooleanField(default=False)
    # The first day of the month its earned points count in (the service's or report's month).
    month = models.DateField(_("month"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Facts its source gave, for reading it back in words (minutes and service field, a tracking number).
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [
            models.Index(fields=["user", "-id"], name="points_entry_user_idx"),
            models.Index(fields=["community", "id"], name="points_entry_comm_idx"),
            models.Index(fields=["source_kind", "source_id"], name="points_entry_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} ({self.idempotency_key})"


class Tally(models.Model):
    """Points a person earned in a community (and team) in a month; leaderboards read these rows.

    `team_id` ALL_TEAMS: the community as a whole. Kept in the entry's transaction.
    """

    community = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    team_id = models.BigIntegerField(default=ALL_TEAMS)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField()
    earned = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "team_id", "month", "user"], name="points_tally_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["community", "team_id", "month", "-earned"], name="points_tally_rank_idx")
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.team_id} {self.month:%Y-%m} {self.user_id}: {self.earned}"


class Household(models.Model):
    """A household (户) of a community: its balance is the sum of its members' balances."""

    community = models.ForeignKey(
        Place, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("household"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="points_household_uniq")]

    def __str__(self) -> str:
        return self.name


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    # A person belongs to one household.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.household_id}: {self.user_id}"


class Reward(models.Model):
    """Goods with stock, or a service booked by slot (2 hours of housekeeping), for points."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service by appointment")

    community = models.ForeignKey(
        Place, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    cost = models.PositiveIntegerField(_("points"))
    # Goods: units left. Services: unused (their slots have capacities).
    stock = models.PositiveIntegerField(_("stock"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    providers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("providers"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        indexes = [models.Index(fields=["community", "is_active", "id"], name="points_reward_comm_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="points_reward_stock_gte_0")
        ]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    capacity = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("taken"), default=0)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["reward", "starts_at"], name="points_slot_reward_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(taken__lte=models.F("capacity")), name="points_slot_capacity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


class Redemption(models.Model):
    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    cost = models.PositiveIntegerField(_("points"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BOOKED)
    idempotency_key = models.CharField(max_length=120, unique=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [
            models.Index(fields=["user", "-id"], name="points_redemption_user_idx"),
            models.Index(fields=["reward", "state", "id"], name="points_redemption_reward_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} {self.user_id} {self.state}"


class Award(models.Model):
    """A manual award or deduction: requested by one person, approved by another."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        DEDUCT = "deduct", _("Deduction")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    community = models.ForeignKey(
        Place, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.PositiveIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("manual award or deduction")
        verbose_name_plural = _("manual awards and deductions")
        indexes = [models.Index(fields=["community", "state", "-id"], name="points_award_comm_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.points} → {self.user_id}"


class Publication(models.Model):
    """A leaderboard published for a period, with a notice period (公示期) for objections.

    `rows` is the board as published (rank, shown name, points): a notice does not change after it is
    posted; a later correction is a new publication.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    class Names(models.TextChoices):
        FULL = "full", _("Full name")
        SURNAME = "surname", _("Surname and *")
        INITIALS = "initials", _("Initials")

    community = models.ForeignKey(
        Place, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="+"
    )
    team_id = models.BigIntegerField(_("team"), default=ALL_TEAMS)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    period_start = models.DateField(_("period starts"))
    names = models.CharField(_("names shown as"), max_length=10, choices=Names.choices, default=Names.SURNAME)
    rows = models.JSONField(default=list)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    objections_until = models.DateTimeField(_("objections taken until"))

    class Meta:
        verbose_name = _("published leaderboard")
        verbose_name_plural = _("published leaderboards")
        indexes = [models.Index(fields=["community", "-published_at"], name="points_pub_comm_idx")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.period} {self.period_start:%Y-%m}"


class Objection(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="objections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    text = models.TextField(_("objection"))
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.publication_id}: {self.text[:30]}"
