"""Cases: categories with deadlines, the case itself, its append-only events, photos and notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AppendOnly


class QuickIcon(models.TextChoices):
    """The icons the report page draws for its common problems (symbols of static/icons/quick.svg)."""

    RUBBISH = "rubbish", _("icon: rubbish")
    BIN = "bin", _("icon: litter bin")
    LAMP = "lamp", _("icon: street light")
    ROAD = "road", _("icon: road surface")
    MANHOLE = "manhole", _("icon: manhole cover")
    WATER = "water", _("icon: water")
    PARKING = "parking", _("icon: parked vehicle")
    BIKE = "bike", _("icon: bicycle")
    STALL = "stall", _("icon: street stall")
    FLYER = "flyer", _("icon: flyers")
    NOISE = "noise", _("icon: noise")
    TREE = "tree", _("icon: tree")
    FIRE = "fire", _("icon: fire")
    BUILDING = "building", _("icon: building")
    TOILET = "toilet", _("icon: toilet")
    PEOPLE = "people", _("icon: people")
    OTHER = "other", _("icon: other")


class Category(models.Model):
    """A two-level category: a major class (大类, no parent) or a minor class (小类) under one.

    Only minor classes are chosen for cases; they carry the default handling agency and deadlines.
    """

    class Kind(models.TextChoices):
        COMPONENT = "component", _("Component (部件)")
        EVENT = "event", _("Event (事件)")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("default agency"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Hours an agency has to sign for a dispatch.
    response_hours = models.PositiveIntegerField(_("response deadline (hours)"), default=24)
    # The resolution deadline is either in hours (calendar time) or in working days.
    resolution_hours = models.PositiveIntegerField(_("resolution deadline (hours)"), null=True, blank=True)
    resolution_workdays = models.PositiveIntegerField(
        _("resolution deadline (working days)"), null=True, blank=True
    )
    # Urgent cases use these instead (emergencies: 2 h).
    urgent_response_hours = models.PositiveIntegerField(_("urgent response deadline (hours)"), default=1)
    urgent_resolution_hours = models.PositiveIntegerField(_("urgent resolution deadline (hours)"), default=2)
    photo_required = models.BooleanField(_("photo required"), default=False)
    # A description is asked for unless the category says enough with its photo (rubbish, a street
    # light out): then it is optional on every door, and the report page offers `phrases` to tap.
    description_required = models.BooleanField(_("description required"), default=True)
    # Set: shown on the report page as a large icon among the common problems (by `quick_order`).
    quick_icon = models.CharField(
        _("icon on the report page"),
        max_length=20,
        blank=True,
        choices=QuickIcon.choices,
        help_text=_("Leave empty to list the category only under “More”."),
    )
    quick_order = models.PositiveSmallIntegerField(_("icon order"), default=0)
    # Suggested phrases, one per line, tapped into the description on the report page.
    phrases = models.TextField(_("suggested phrases"), blank=True, help_text=_("One per line."))
    phrases_en = models.TextField(_("suggested phrases (English)"), blank=True, help_text=_("One per line."))
    is_urgent = models.BooleanField(_("always urgent"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_phrases(self) -> list[str]:
        """Return the suggested phrases in the active language (English when it is en and there are some)."""
        from django.utils.translation import get_language

        text = (
            self.phrases_en if self.phrases_en and (get_language() or "").startswith("en") else self.phrases
        )
        return [line.strip() for line in text.splitlines() if line.strip()][:8]

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


QUESTION_CODE_RE = r"^[a-z][a-z0-9_]{0,39}$"


class CategoryQuestion(models.Model):
    """One more question a report in a minor class answers (an Open311 service attribute).

    Read with the categories (`categories.questions`) by every intake door; a save or delete bumps
    `CategoryRevision` like a category edit. Answers are checked in one place, `answers.clean_answers`.
    """

    class Datatype(models.TextChoices):
        # The values are Open311 GeoReport v2's attribute datatypes.
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE = "singlevaluelist", _("One choice from a list")
        MULTI = "multivaluelist", _("Several choices from a list")

    LIST_TYPES = frozenset({Datatype.SINGLE, Datatype.MULTI})

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[
            RegexValidator(
                QUESTION_CODE_RE,
                _("A code starts with a lowercase letter, then up to 39 lowercase letters, digits or _."),
            )
        ],
        help_text=_("Lowercase letters, digits and _, starting with a letter; the key of the answer."),
    )
    label = models.CharField(_("question"), max_length=100)
    label_en = models.CharField(_("English question"), max_length=150, blank=True)
    hint = models.CharField(_("hint"), max_length=200, blank=True)
    hint_en = models.CharField(_("English hint"), max_length=300, blank=True)
    datatype = models.CharField(_("answer type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=1, validators=[MinValueValidator(1)])
    values = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_(
            'For the list types only: a JSON list of choices, e.g. [{"key": "missing", "name": "缺失", '
            '"name_en": "Missing"}].'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="unique_question_code_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"

    def clean(self) -> None:
        """Refuse choices a question of its type cannot have, and a question on a major class."""
        if self.values is None:
            # An emptied field in the admin: no choices (the column holds JSON, never NULL).
            self.values = []
        errors: dict[str, str] = {}
        try:
            category = self.category
        except Category.DoesNotExist:
            category = None
        if category is not None and category.parent_id is None:
            errors["category"] = _("Questions belong to a minor class (小类), not a major class.")
        message = values_error(self.datatype, self.values)
        if message:
            errors["values"] = message
        if errors:
            raise ValidationError(errors)


def values_error(datatype: str, values) -> str:
    """Return why `values` do not fit a question of `datatype` ("" when they do)."""
    is_list = datatype in CategoryQuestion.LIST_TYPES
    if not is_list:
        return "" if not values else str(_("Only the list types have choices: leave this empty ([])."))
    if not isinstance(values, list) or not values:
        return str(_('A list question needs at least one choice: a JSON list of {"key", "name"}.'))
    seen: set[str] = set()
    for number, item in enumerate(values, start=1):
        if not isinstance(item, dict):
            return str(_("Choice %(n)d is not an object with a key and a name.") % {"n": number})
        unknown = set(item) - {"key", "name", "name_en"}
        if unknown:
            return str(
                _("Choice %(n)d has unknown fields: %(fields)s (allowed: key, name, name_en).")
                % {"n": number, "fields": ", ".join(sorted(unknown))}
            )
        key, name = item.get("key"), item.get("name")
        if not isinstance(key, str) or not key.strip():
            return str(_("Choice %(n)d has no key.") % {"n": number})
        if len(key) > 100:
            return str(_("Choice %(n)d: a key has at most 100 characters.") % {"n": number})
        if not isinstance(name, str) or not name.strip():
            return str(_("Choice %(n)d has no name.") % {"n": number})
        if not isinstance(item.get("name_en", ""), str):
            return str(_("Choice %(n)d: name_en must be text.") % {"n": number})
        if key in seen:
            return str(_("The key “%(key)s” appears twice.") % {"key": key[:100]})
        seen.add(key)
    return ""


class CategoryRevision(models.Model):
    """A counter bumped in the transaction that changes any category (`categories.bump_revision`).

    Every process compares it with the revision its copy of the categories was loaded at and reloads
    when it moved (`civicgrid.cases.categories`), like `places.RoutingRevision` for boundaries.
    """

    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("category revision")

    def __str__(self) -> str:
        return str(self.revision)


class Holiday(models.Model):
    """A day off on a weekday, or a make-up working day (调休) on a weekend, for working-day deadlines."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("make-up working day"), default=False)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TrackingCounter(models.Model):
    """The last tracking number given out on one day; incremented with a conditional update."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(models.Model):
    """A reported problem, from intake to closing. Its state changes only through `services.case_act`."""

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported, to verify")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged into another case")
        GRID_HANDLING = "grid_handling", _("Handled in the grid")
        VILLAGE = "village", _("At the village")
        VILLAGE_HANDLING = "village_handling", _("Handled by the village")
        TOWN = "town", _("At the town command centre")
        DISPATCHED = "dispatched", _("Dispatched, to sign for")
        IN_PROGRESS = "in_progress", _("In progress at the agency")
        SUSPENDED = "suspended", _("Suspended (long-term)")
        CHECKING = "checking", _("Resolved, to check on site")
        RESOLVED = "resolved", _("Resolved, to rate")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        RESIDENT = "resident", _("Resident snap-and-report")
        MOBILE = "mobile_grid_member", _("Mobile grid member")
        PATROL = "grid_patrol", _("Grid patrol")
        HOTLINE = "hotline", _("12345 hotline")
        LIAISON = "liaison_group", _("Liaison group")
        DELIBERATION = "deliberation", _("Deliberation")
        OPEN311 = "open311", _("Open311 client app")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    class Handler(models.TextChoices):
        GRID = "grid", _("Grid")
        VILLAGE = "village", _("Village")
        AGENCY = "agency", _("Agency")

    class Request(models.TextChoices):
        NONE = "", _("None")
        EXTENSION = "extension", _("Extension")
        SUSPENSION = "suspension", _("Long-term suspension")

    tracking_number = models.CharField(_("tracking number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # No index of its own: lists filter by category within a region, whose index comes first.
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Where it is, WGS-84, and the coordinate system it arrived in.
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    input_crs = models.CharField(_("coordinate system"), max_length=8, default="wgs84")
    routed = models.BooleanField(_("routed to a grid"), default=True)
    # The place it was filed under, denormalised so scoping and dashboards are indexed filters.
    grid = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("grid"),
    )
    village = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("village"),
    )
    town = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("town"),
    )
    district = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("district"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        db_index=False,  # case_reporter_idx, for signed-in reporters only
    )
    # Private: shown only to staff within scope, masked elsewhere.
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # A hash of the request filed with the key: the same key with another request is refused.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # The answers to its category's questions, as `answers.clean_answers` returned them:
    # {code: value, or a list of keys for a multiple choice}.
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.REPORTED)
    # Bumped by every action; the compare-and-set in case_act checks it.
    version = models.PositiveIntegerField(default=0)
    handler = models.CharField(_("handled by"), max_length=10, choices=Handler.choices, blank=True)
    lead_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("lead agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
        db_index=False,
    )
    co_agencies = models.ManyToManyField(
        "accounts.Agency", verbose_name=_("co-handling agencies"), blank=True, related_name="co_cases"
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        # Indexed by case_merged_into_idx (partial: few cases are ever merged).
        db_index=False,
    )
    pending_request = models.CharField(
        _("pending request"), max_length=12, choices=Request.choices, blank=True, default=""
    )
    pending_until = models.DateTimeField(_("requested until"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    # The deadline of the step the case is in now, and whether the sweep found it passed.
    step_due_at = models.DateTimeField(_("step deadline"), null=True, blank=True, db_index=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    # Set by the sweep once it warned that the step deadline is near; cleared when the step changes.
    due_notice_sent = models.BooleanField(default=False)
    response_due_at = models.DateTimeField(_("response deadline"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution deadline"), null=True, blank=True)
    # A time limit the report came with (a 12345 order's 办理时限): resolution deadlines never pass it.
    due_limit = models.DateTimeField(_("time limit given"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    solved = models.BooleanField(_("solved (reporter's view)"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="unique_external_ref_per_source",
            )
        ]
        # Every index is written by every report: these few serve the scoped queues and lists (a
        # region or agency, then the state), the sweep (step_due_at) and date order (created_at).
        indexes = [
            # Open311's public lists: a window of request times, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                name="case_public_created_idx",
                condition=models.Q(is_public=True),
            ),
            models.Index(fields=["grid", "state"], name="case_grid_state_idx"),
            models.Index(fields=["village", "state"], name="case_village_state_idx"),
            models.Index(fields=["town", "state"], name="case_town_state_idx"),
            models.Index(fields=["district", "state"], name="case_district_state_idx"),
            # Lists of every step, newest first (`selectors.NEWEST`): one region's cases in id order,
            # which a keyset page walks from its cursor. A grid's few thousand cases sort quickly
            # through its (grid, state) index; it has no such index of its own.
            models.Index(fields=["village", "id"], name="case_village_id_idx"),
            models.Index(fields=["town", "id"], name="case_town_id_idx"),
            models.Index(fields=["district", "id"], name="case_district_id_idx"),
            # Partial: most reports are anonymous and most cases never reach an agency.
            models.Index(
                fields=["lead_agency", "state"],
                name="case_agency_state_idx",
                condition=models.Q(lead_agency__isnull=False),
            ),
            # An agency's lead cases newest first (`selectors.case_page` reads them apart from the
            # co-handled ones): in id order, where the (agency, state) index makes SQLite sort all of them.
            models.Index(
                fields=["lead_agency", "id"],
                name="case_agency_id_idx",
                condition=models.Q(lead_agency__isnull=False),
            ),
            models.Index(
                fields=["reporter"], name="case_reporter_idx", condition=models.Q(reporter__isnull=False)
            ),
            # The case page lists the cases merged into this one. Partial: a report enters it only when
            # merged, so intake writes nothing to it.
            models.Index(
                fields=["merged_into"],
                name="case_merged_into_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
            # Lists of overdue steps (`overdue=true`). Partial: only overdue steps, which are open and
            # few; intake writes nothing to it (a new case is never overdue).
            models.Index(
                fields=["step_due_at"], name="case_overdue_idx", condition=models.Q(is_overdue=True)
            ),
            # Partial: the few cases outside every grid, listed beside the map per region (a region's
            # other indexes would read all its cases to find none). Routed reports never write them.
            *(
                models.Index(
                    fields=[level, "state"],
                    name=f"case_unrouted_{level}_idx",
                    condition=models.Q(routed=False),
                )
                for level in ("village", "town", "district")
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.tracking_number])

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES


TERMINAL_STATES = frozenset({Case.State.REJECTED, Case.State.MERGED, Case.State.CLOSED})


class CaseTally(models.Model):
    """How many cases filed under one place on one day are in one state now: a count kept, not recounted.

    A case is counted once per level of its places (grid, village, town, district) and once under
    `EVERYWHERE`, so the count of a region, of some steps, over some days is one indexed sum. The
    services move a case between tallies in the transaction that changes its state, places or day
    (`civicgrid.cases.counts`); `manage.py case_counts --check/--repair` compares them with a recount.
    Rows that fall to 0 stay.
    """

    # The id of a Place, or EVERYWHERE (0) for every case whatever its places. Not a foreign key:
    # 0 is no place, and a tally is dropped with `case_counts --repair`, never through the place.
    place_id = models.BigIntegerField()
    state = models.CharField(max_length=20, choices=Case.State.choices)
    # The case's local date of creation (TIME_ZONE).
    day = models.DateField()
    n = models.IntegerField(default=0)

    pk = models.CompositePrimaryKey("place_id", "state", "day")

    EVERYWHERE = 0

    class Meta:
        verbose_name = _("case tally")
        verbose_name_plural = _("case tallies")

    def __str__(self) -> str:
        return f"{self.place_id} {self.state} {self.day}: {self.n}"


class CaseFigure(models.Model):
    """One fact of case handling summed per place, agency, worker and day: a figure's part, kept.

    `civicgrid.cases.figures` says which facts an event makes (a dispatch, a signature on time, a rating,
    a closing and its handling time …) and writes them in the transaction that records the event; every
    rate and ranking is then a sum over a few hundred of these rows, however many cases there are.
    A fact is summed under each place of the case (grid, village, town, district) and `EVERYWHERE`;
    those of an agency's work once more under the agency, those of a grid worker's verification once
    more under the worker. `manage.py case_figures --check/--repair` compares them with a recount from
    the events. Rows that fall to 0 stay.
    """

    # The id of a Place, or EVERYWHERE (0).
    place_id = models.BigIntegerField()
    # The agency whose work it is, or 0 for every agency's and none.
    agency_id = models.BigIntegerField(default=0)
    # The grid worker whose work it is, or 0 for everyone's.
    user_id = models.BigIntegerField(default=0)
    # The local date the fact belongs to (`figures`: the dispatch's day for a dispatch's outcome).
    day = models.DateField()
    key = models.CharField(max_length=32)
    n = models.BigIntegerField(default=0)

    pk = models.CompositePrimaryKey("place_id", "agency_id", "user_id", "day", "key")

    EVERYWHERE = 0

    class Meta:
        verbose_name = _("case figure")
        verbose_name_plural = _("case figures")
        # Reads go by the key's order: a place, then every agency (or 0), every worker (or 0), days.

    def __str__(self) -> str:
        return f"{self.place_id}/{self.agency_id}/{self.user_id} {self.day} {self.key}: {self.n}"


class CaseFigureMonth(models.Model):
    """The `CaseFigure` rows of one month summed: a month, a quarter or a year is then read from a dozen
    rows a fact instead of hundreds (`figures` writes both in the same statement's transaction and reads
    whole months here, the days at a period's ends from `CaseFigure`)."""

    place_id = models.BigIntegerField()
    agency_id = models.BigIntegerField(default=0)
    user_id = models.BigIntegerField(default=0)
    # The first day of the month.
    month = models.DateField()
    key = models.CharField(max_length=32)
    n = models.BigIntegerField(default=0)

    pk = models.CompositePrimaryKey("place_id", "agency_id", "user_id", "month", "key")

    class Meta:
        verbose_name = _("monthly case figure")
        verbose_name_plural = _("monthly case figures")

    def __str__(self) -> str:
        return f"{self.place_id}/{self.agency_id}/{self.user_id} {self.month:%Y-%m} {self.key}: {self.n}"


class ScoreWeights(models.Model):
    """How the monthly composite score weighs the rates, from a month on (`civicgrid.cases.rankings`).

    A month is scored with the weights of the latest row whose month is not after it, so changing the
    weights from a month on leaves every earlier month's score as it was published. Weights are points
    out of 100; a rate a unit has nothing to divide by for is left out and the others count in its stead.
    """

    month = models.DateField(_("from month"), unique=True, help_text=_("The first day of the month."))
    response = models.PositiveSmallIntegerField(_("response rate"), default=30)
    resolution = models.PositiveSmallIntegerField(_("resolution rate"), default=30)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction rate"), default=30)
    on_time_closure = models.PositiveSmallIntegerField(_("on-time closure rate"), default=10)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("score weights")
        verbose_name_plural = _("score weights")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response__lte=100)
                & models.Q(resolution__lte=100)
                & models.Q(satisfaction__lte=100)
                & models.Q(on_time_closure__lte=100),
                name="score_weights_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month is not None and self.month.day != 1:
            raise ValidationError({"month": _("Give the first day of a month.")})
        total = self.response + self.resolution + self.satisfaction + self.on_time_closure
        if total != 100:
            raise ValidationError(
                _("The weights must add up to 100 (they add up to %(total)d).") % {"total": total}
            )


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class CaseEvent(AppendOnly):
    """One step on a case's record. Never edited or deleted."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    # No index: people are deactivated, never deleted, and nothing lists events by actor yet.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    actor_role = models.CharField(_("acting as"), max_length=24, blank=True)
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The step shows on the reporter's record and the public status page (never with staff names).
    is_public = models.BooleanField(_("public"), default=True)
    # The note is a reply to the reporter (a resolution answer, a rejection's reason): the reporter and
    # the public status page read it. Other notes are internal to the staff handling the case.
    note_is_reply = models.BooleanField(_("reply to the reporter"), default=False)
    # The key the phone sent the step with (an action queued offline and sent when the signal came
    # back): the same step sent again finds it and is not applied twice (`services.case_act`).
    client_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (unique when set)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="caseevent_client_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def _photo_path(instance: CasePhoto, filename: str) -> str:
    return f"cases/{instance.case.created_at:%Y/%m}/{instance.case.tracking_number}/{filename}"


class CasePhoto(models.Model):
    """A photo of a case, stripped of EXIF, with its thumbnail."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        RESULT = "result", _("Result")
        CHECK = "check", _("Check")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORT)
    image = models.ImageField(upload_to=_photo_path)
    thumbnail = models.ImageField(upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=20)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.image.name}"


class Appointment(models.Model):
    """An on-site appointment of the agencies with the grid (海棠有约), set when dispatching."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appointments")
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    participants = models.TextField(_("participants"), max_length=1000)

    class Meta:
        verbose_name = _("appointment")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app notice to one person: new work, a returned dispatch, a deadline, a rating; or the
    daily digest of the rest (`NoticePreference`), the one kind about no single case."""

    class Kind(models.TextChoices):
        NEW_WORK = "new_work", _("New work in your queue")
        RETURNED = "returned", _("Dispatch returned")
        DUE_SOON = "due_soon", _("Deadline approaching")
        OVERDUE = "overdue", _("Deadline passed")
        RATED = "rated", _("Your work was rated")
        REQUEST = "request", _("Request to decide")
        UPDATE = "update", _("Your report was updated")
        DIGEST = "digest", _("Daily digest")

    # Indexed by notification_user_idx (user, created_at, id), which serves look-ups by user too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    # Null for a digest only (`Kind.DIGEST`): it sums up many cases.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # In the site's language, as written; readers see `notices.text_of(notification)`,
    # in their own language.
    text = models.CharField(max_length=300)
    # What it says, to render it for each reader: a message id of civicgrid.cases.notices and its values.
    message = models.CharField(max_length=200, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(kind="digest"),
                name="notification_case_unless_digest",
            )
        ]
        # A reader's page reads only its own rows, newest first, from the cursor on (both orders are
        # the index's, read backwards); the unread ones (their list, count and "mark all read") have
        # their own partial index, so neither grows with the reader's years of read notices.
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="notification_user_idx"),
            models.Index(
                fields=["user", "created_at", "id"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.case_id}"


# Kinds that ask the reader to act on their case (while it is open and where the notice found it,
# `notices.is_todo`); the others inform. The notifications page splits on them, and with the daily
# digest on only these (and the digest) count on the header's bell (`selectors.unread_count`).
TODO_KINDS = frozenset(
    {
        Notification.Kind.NEW_WORK,
        Notification.Kind.RETURNED,
        Notification.Kind.DUE_SOON,
        Notification.Kind.OVERDUE,
        Notification.Kind.REQUEST,
    }
)


class NoticePreference(models.Model):
    """How a person wants to be told: each notice as it comes (no row, or `digest` off), or a daily
    digest of the notices that only inform, sent at `digest_hour` (local time) by `manage.py
    notices_digest`; to-do notices still come at once either way.

    Written by `services.digest.notice_preference_set`; `last_digest_on` is the day of the last digest,
    claimed by a compare-and-set so that a day's digest goes out once however often the command runs.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notice_preference",
    )
    digest = models.BooleanField(_("daily digest"), default=False)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    # The language the person used when they chose: the digest's email is written in it.
    language = models.CharField(_("digest email language"), max_length=10, blank=True, default="")
    last_digest_on = models.DateField(_("last digest on"), null=True, blank=True)
    # Where the next digest's window starts.
    last_digest_at = models.DateTimeField(_("last digest at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__lte=23), name="notice_preference_digest_hour_range"
            )
        ]
        # The hourly command reads the people with the digest on whose hour has come.
        indexes = [
            models.Index(
                fields=["digest_hour"], name="notice_pref_digest_idx", condition=models.Q(digest=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} digest={self.digest} at {self.digest_hour}"


class CaseFollower(models.Model):
    """A person who reported the same problem and joined an open case instead of filing a duplicate.

    Written by `services.following.case_follow`; followers are told when the case is resolved, closed
    or answered (`services.notifying.notify_followers`), and its handling staff see how many there are.
    A follower row is no event of the case: it moves no count or figure.
    """

    class Source(models.TextChoices):
        REPORT_PAGE = "report_page", _("Report page")
        API = "api", _("API")

    # Indexed by unique_case_follower (case, user): a case's followers.
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="followers", db_index=False
    )
    # Indexed by case_follower_user_idx: a person's followed cases.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("follower"),
        on_delete=models.CASCADE,
        related_name="followed_cases",
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.REPORT_PAGE)
    created_at = models.DateTimeField(_("followed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case follower")
        verbose_name_plural = _("case followers")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="unique_case_follower")]
        indexes = [models.Index(fields=["user", "case"], name="case_follower_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.case_id}"


class HotlineCategoryMap(models.Model):
    """The hotline's category path (问题分类, e.g. "城乡建设>市容环卫>垃圾清运") → a CivicGrid category.

    Kept by administrators on a page; a path met in an import and not yet mapped is recorded with no
    category, and asked once (`civicgrid.cases.hotline_categories`).
    """

    # The path as first met, and normalised (NFKC, one separator ">", no spaces): unique.
    path = models.CharField(_("hotline category"), max_length=200)
    path_key = models.CharField(max_length=200, unique=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hotline_paths",
    )
    orders_seen = models.PositiveIntegerField(_("orders seen"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("mapped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hotline category mapping")
        verbose_name_plural = _("hotline category mappings")
        ordering = ["path_key"]

    def __str__(self) -> str:
        return self.path


class HotlineOrder(models.Model):
    """What a 12345 work order says beyond its case: kept as the hotline wrote it, for the reply."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        HELP = "help", _("Request for help")
        COMPLAINT = "complaint", _("Complaint")
        REPORT = "report", _("Report of wrongdoing")
        SUGGESTION = "suggestion", _("Suggestion")
        OTHER = "other", _("Other request")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="hotline_order")
    order_number = models.CharField(_("work-order number"), max_length=64, unique=True)
    kind = models.CharField(_("request type"), max_length=14, choices=Kind.choices, default=Kind.OTHER)
    category_path = models.CharField(_("hotline category"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    # The order's own time limit (办理时限): the case's resolution deadline, and "on time" in the reply.
    due_at = models.DateTimeField(_("time limit"), null=True, blank=True)
    handling_unit = models.CharField(_("handling unit"), max_length=100, blank=True)
    address_text = models.CharField(_("address as written"), max_length=200, blank=True)
    # How the order found its grid: "point", "exact", "alias", "parts", "similar", "placed", or "" (unrouted).
    routed_by = models.CharField(_("routed by"), max_length=10, blank=True)
    confidence = models.FloatField(_("match confidence"), null=True, blank=True)
    address = models.ForeignKey(
        "addresses.Address",
        verbose_name=_("standard address"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hotline_orders",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    # When its case got the answer the reply carries (resolved, returned or merged); None while open.
    # Kept by the workflow (`hotline_replies.order_answered`): platforms pull replies by it.
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("12345 work order")
        verbose_name_plural = _("12345 work orders")
        indexes = [
            # The reply export and API: a region's orders in the order they were received (keyset).
            models.Index(fields=["received_at", "id"], name="hotline_order_received_idx"),
            # Replies answered since a moment (the pull API, the reply page's "answered between").
            models.Index(fields=["answered_at", "id"], name="hotline_order_answered_idx"),
        ]

    def __str__(self) -> str:
        return self.order_number
