"""Co-governance (issue 14, DOMAIN.md §1): deliberation meetings (逢五说事) with agendas, attendance,
minutes and decisions; the grid forum (大家讲); the task board (揭榜领办); pairings of agencies and
financial institutions with villages (包片联村) and the people sent down to grids.

Places are `places.Place` rows: a meeting belongs to a village or a grid, a forum to a grid, a matter
to the region it serves; each row keeps its town (and village) so the town's lists and figures read
one indexed column. Decisions move cases only through the case workflow (`cases.services`): a decision
keeps the case it opened or moved and the action, never a side door.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# Meetings


class MeetingSeries(models.Model):
    """A recurring meeting of a village or a grid, its rule as data (`recurrence.py` reads it).

    `rule` and `params`: "days" {"days": [5, 15, 25]} (逢五说事; a day past the month's end is its last
    day); "weekday" {"nth": 1, "weekday": 0} (the first Monday; nth -1 = the last); "weekly"
    {"weekday": 2}. `on_holiday`: what happens to a date on a day off (weekend or `cases.Holiday`).
    """

    class Rule(models.TextChoices):
        DAYS = "days", _("On days of the month")
        WEEKDAY = "weekday", _("On a weekday of the month")
        WEEKLY = "weekly", _("Every week")

    class Shift(models.TextChoices):
        KEEP = "keep", _("Keep the date")
        NEXT = "next", _("Move to the next working day")
        PREVIOUS = "previous", _("Move to the previous working day")
        SKIP = "skip", _("Skip that meeting")

    place = models.ForeignKey(
        "places.Place", verbose_name=_("village or grid"), on_delete=models.PROTECT, related_name="+"
    )
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    name = models.CharField(_("name"), max_length=80)
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices)
    params = models.JSONField(_("rule parameters"), default=dict)
    on_holiday = models.CharField(_("on a day off"), max_length=10, choices=Shift.choices, default=Shift.KEEP)
    time = models.TimeField(_("time"))
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        indexes = [models.Index(fields=["town", "place"], name="gov_series_town_idx")]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    """One meeting (of a series, or a one-off): its agenda, who came, minutes and decisions."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        MeetingSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings"
    )
    place = models.ForeignKey(
        "places.Place", verbose_name=_("village or grid"), on_delete=models.PROTECT, related_name="+"
    )
    # The village (the place itself for a village meeting) and town: residents' and the town's lists.
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    minutes = models.TextField(_("minutes"), blank=True)
    # The agenda and decisions are shown to the village's residents (never attendees' phones).
    is_published = models.BooleanField(_("published to residents"), default=False)
    held_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["place", "starts_at"], name="gov_meeting_place_idx"),
            models.Index(fields=["village", "starts_at"], name="gov_meeting_village_idx"),
            models.Index(fields=["town", "state", "starts_at"], name="gov_meeting_town_idx"),
        ]
        constraints = [
            # A series makes one meeting a day.
            models.UniqueConstraint(
                fields=["series", "starts_at"],
                condition=models.Q(series__isnull=False),
                name="gov_meeting_series_day_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    """One item on a meeting's agenda: a case escalated to the village, a forum topic with enough
    support, or a matter a cadre puts on it."""

    class Source(models.TextChoices):
        CASE = "case", _("A case at the village")
        TOPIC = "topic", _("A forum topic")
        CADRE = "cadre", _("Put on by a cadre")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    topic = models.ForeignKey(
        "governance.ForumTopic", on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    title = models.CharField(_("title"), max_length=120)
    note = models.TextField(_("note"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # What the meeting said about it (a decision may follow).
    outcome = models.TextField(_("outcome"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "case"],
                condition=models.Q(case__isnull=False),
                name="gov_agenda_case_uniq",
            ),
            models.UniqueConstraint(
                fields=["meeting", "topic"],
                condition=models.Q(topic__isnull=False),
                name="gov_agenda_topic_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Who came to a meeting, by the part they play."""

    class Kind(models.TextChoices):
        CADRE = "cadre", _("Village cadre")
        GRID = "grid", _("Grid worker or leader")
        REPRESENTATIVE = "representative", _("Residents' representative")
        PARTY_MEMBER = "party_member", _("Party member")
        AGENCY = "agency", _("Agency")
        PAIRED_UNIT = "paired_unit", _("Paired unit")
        RESIDENT = "resident", _("Resident")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    kind = models.CharField(_("attends as"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    name = models.CharField(_("name"), max_length=60)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    """What a meeting decided, with an owner and a due date. It may open a case or move one on through
    the case workflow (`case`, `case_action`: the action applied, "" for a case opened)."""

    class State(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    text = models.TextField(_("decision"))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    owner_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    owner_name = models.CharField(_("owner"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(_("how it was done"), blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case_action = models.CharField(max_length=30, blank=True)
    # Kept for the town's and the village's lists and figures.
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["town", "state", "due_on"], name="gov_decision_town_idx"),
            models.Index(fields=["village", "state", "due_on"], name="gov_decision_village_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


# ---------------------------------------------------------------------------------------------
# The grid forum (大家讲)


class ForumTopic(models.Model):
    """A topic a resident raises in their grid's forum; enough support puts it on the next meeting's agenda."""

    class State(models.TextChoices):
        OPEN = "open", _("Open for support")
        ON_AGENDA = "on_agenda", _("On a meeting's agenda")
        CLOSED = "closed", _("Topic closed")
        HIDDEN = "hidden", _("Hidden by the moderator")

    grid = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("what it is about"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # Kept with each support (compare-and-set), so lists sort by it without counting.
    support_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.CharField(_("moderator's note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("forum topic")
        verbose_name_plural = _("forum topics")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "state", "-created_at", "-id"], name="gov_topic_grid_idx"),
            models.Index(fields=["grid", "state", "-support_count", "-id"], name="gov_topic_support_idx"),
            models.Index(fields=["village", "state", "-support_count"], name="gov_topic_village_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ForumSupport(models.Model):
    """One resident's support of a topic (once each)."""

    topic = models.ForeignKey(ForumTopic, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="gov_support_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.topic_id}"


class ForumReply(models.Model):
    """A reply under a topic; the moderator may hide it."""

    topic = models.ForeignKey(ForumTopic, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    body = models.TextField(_("reply"))
    is_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["topic", "created_at", "id"], name="gov_reply_topic_idx")]

    def __str__(self) -> str:
        return self.body[:60]


# ---------------------------------------------------------------------------------------------
# The task board (揭榜领办)


class Matter(models.Model):
    """A "key small matter" a town or village publishes for an agency, enterprise or organisation to
    take up: need, budget, region and deadline; claimed once (compare-and-set on `state`, `version`)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open to claim")
        CLAIMED = "claimed", _("Claimed, in progress")
        COMPLETED = "completed", _("Completed, to verify")
        VERIFIED = "verified", _("Verified")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class ClaimantKind(models.TextChoices):
        AGENCY = "agency", _("Agency")
        ENTERPRISE = "enterprise", _("Enterprise")
        ORGANISATION = "organisation", _("Social organisation")
        FINANCE = "finance", _("Financial institution")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=120)
    need = models.TextField(_("what is needed"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    # The place it serves (a grid, village or town) and the one that published it (its town or village).
    region = models.ForeignKey(
        "places.Place", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    publisher = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    village = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    claimant_kind = models.CharField(
        _("claimant kind"), max_length=14, choices=ClaimantKind.choices, blank=True
    )
    claimant_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    claimant_name = models.CharField(_("claimant"), max_length=100, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    plan = models.TextField(_("plan"), blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["town", "state", "deadline"], name="gov_matter_town_idx"),
            models.Index(fields=["state", "-published_at", "-id"], name="gov_matter_board_idx"),
            models.Index(fields=["claimant_agency", "state"], name="gov_matter_agency_idx"),
            # The public board, whole or narrowed to a town or a village (board part, 0002).
            models.Index(fields=["-published_at", "-id"], name="gov_matter_published_idx"),
            models.Index(fields=["town", "-published_at", "-id"], name="gov_matter_town_board_idx"),
            models.Index(fields=["village", "-published_at", "-id"], name="gov_matter_village_board_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class MatterUpdate(models.Model):
    """A step on a matter's record: published, claimed, progress (with photos), completed, verified,
    returned for more work, withdrawn."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published")
        CLAIMED = "claimed", _("Claimed")
        PROGRESS = "progress", _("Progress")
        COMPLETED = "completed", _("Completed")
        VERIFIED = "verified", _("Verified")
        RETURNED = "returned", _("Returned for more work")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    text = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["matter", "at"], name="gov_update_matter_idx")]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.kind}"


def _matter_photo_path(instance: MatterPhoto, filename: str) -> str:
    return f"governance/matters/{instance.update.matter_id}/{filename}"


class MatterPhoto(models.Model):
    """A photo of a matter's progress, validated and stripped like a case photo."""

    update = models.ForeignKey(MatterUpdate, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_matter_photo_path)
    thumbnail = models.ImageField(upload_to=_matter_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=20)
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.image.name


# ---------------------------------------------------------------------------------------------
# Pairings (包片联村, financial village cadres) and people sent down to grids


class Pairing(models.Model):
    """An agency or a financial institution paired with a village, over a term."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Agency paired with a village")
        FINANCE = "finance", _("Financial institution paired with a village")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    village = models.ForeignKey(
        "places.Place", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    partner_name = models.CharField(_("partner"), max_length=100)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["village", "kind", "id"]
        indexes = [
            models.Index(fields=["town", "kind"], name="gov_pairing_town_idx"),
            models.Index(fields=["agency", "starts_on"], name="gov_pairing_agency_idx"),
        ]

    def __str__(self) -> str:
        return self.partner_name


class SupportRecord(models.Model):
    """Support given under a pairing: a visit, funds, a loan, a matter taken up."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        FUNDS = "funds", _("Funds")
        LOAN = "loan", _("Loan")
        MATTER = "matter", _("Matter taken up")
        OTHER = "other", _("Other support")

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="support")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["pairing", "on"], name="gov_support_pairing_idx")]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.kind} {self.on}"


class Envoy(models.Model):
    """A person sent down to a grid: a people's deputy, a party member, a financial village cadre."""

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("People's deputy")
        PARTY_MEMBER = "party_member", _("Party member")
        FINANCIAL_CADRE = "financial_cadre", _("Financial village cadre")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=60)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    role = models.CharField(_("role in the grid"), max_length=60, blank=True)
    # Private: shown whole to the grid's staff only.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    grid = models.ForeignKey(
        "places.Place", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    town = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    pairing = models.ForeignKey(
        Pairing, on_delete=models.SET_NULL, null=True, blank=True, related_name="envoys"
    )
    starts_on = models.DateField(_("term from"))
    ends_on = models.DateField(_("term until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person sent down")
        verbose_name_plural = _("people sent down")
        ordering = ["grid", "kind", "name"]
        indexes = [
            models.Index(fields=["grid", "ends_on"], name="gov_envoy_grid_idx"),
            models.Index(fields=["town", "kind"], name="gov_envoy_town_idx"),
            # A village's list of people sent down, grid by grid (`selectors_pairings.envoys_in_village`).
            models.Index(fields=["village", "grid", "id"], name="gov_envoy_village_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class EnvoyActivity(models.Model):
    """What a person sent down did in their grid: a household visit, a case they took part in, other."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Household visit")
        CASE = "case", _("Case")
        MEETING = "meeting", _("Meeting")
        OTHER = "other", _("Other")

    envoy = models.ForeignKey(Envoy, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["envoy", "on"], name="gov_activity_envoy_idx")]

    def __str__(self) -> str:
        return f"{self.envoy_id} {self.kind} {self.on}"
