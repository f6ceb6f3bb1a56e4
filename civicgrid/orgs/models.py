"""The organisation network (妇建网络): organisations in a tree, the people who hold posts in them,
the targets that should be covered and the links that cover them, set-up checklists and structure targets.

The tree is django-treebeard's materialized path (`path` of 4-character steps, one indexed prefix
filter per subtree); every write to it goes through `services` under one lock, so two moves never
interleave. The administrative region of an organisation or a target is a separate dimension: a
place of the place tree, with its district and town kept beside it for plain group-bys.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    CITY_FEDERATION = "city_fed", _("City federation")
    DISTRICT_FEDERATION = "district_fed", _("District federation")
    TOWN_FEDERATION = "town_fed", _("Town / street federation")
    VILLAGE_FEDERATION = "village_fed", _("Village / community federation")
    ENTERPRISE_FEDERATION = "enterprise_fed", _("Enterprise federation")
    INDUSTRY_FEDERATION = "industry_fed", _("Industry federation")
    PARK_FEDERATION = "park_fed", _("Industrial-park federation")
    BUSINESS_DISTRICT_FEDERATION = "business_fed", _("Business-district federation")
    SOCIAL_ORG_FEDERATION = "social_fed", _("Social-organisation federation")
    WOMENS_GROUP = "womens_group", _("Women's group")
    WOMENS_HOME = "womens_home", _("Women's home")
    MICRO_HOME = "micro_home", _("Women's micro-home")
    INSTRUCTOR_TEAM = "instructor_team", _("Organising-instructor team")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")


# The federation kinds by the level of the place tree they stand at (the four levels of "123456").
FEDERATION_LEVEL = {
    OrgKind.CITY_FEDERATION: "city",
    OrgKind.DISTRICT_FEDERATION: "district",
    OrgKind.TOWN_FEDERATION: "town",
    OrgKind.VILLAGE_FEDERATION: "village",
}


class Organisation(MP_Node):
    """One organisation of the network; its place in the tree is its `path` (treebeard)."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Being set up")
        ACTIVE = "active", _("Active")
        DISSOLVED = "dissolved", _("Dissolved")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    leading = models.BooleanField(
        _("leading enterprise"), default=False, help_text=_("A leading enterprise's federation (龙头企业).")
    )
    region = models.ForeignKey(
        "places.Place", verbose_name=_("region"), on_delete=models.PROTECT, related_name="organisations"
    )
    # The region's district and town (None above that level): group-bys and scoping without a join.
    district = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    town = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    teams = models.ManyToManyField(
        "volunteers.Team", verbose_name=_("volunteer teams"), blank=True, related_name="organisations"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Up to 1,679,615 children per node and 63 levels (treebeard's defaults).
    steplen = 4

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            # Children of a node: one depth, a path range.
            models.Index(fields=["depth", "path"], name="org_depth_path_idx"),
            models.Index(fields=["district", "kind", "status"], name="org_district_kind_idx"),
            models.Index(fields=["town", "kind", "status"], name="org_town_kind_idx"),
            models.Index(fields=["region", "kind"], name="org_region_kind_idx"),
            models.Index(fields=["name"], name="org_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:detail", args=[self.pk])


PATH_MAX = 255


def subtree(path: str, *, below_only: bool = False) -> models.Q:
    """Q for the organisations of the subtree at `path` (itself too, unless `below_only`).

    A range of the path index, not `path LIKE 'p%'`: SQLite never turns LIKE into an index range (its
    LIKE ignores case), so every subtree would scan the whole index. Paths use 0-9A-Z, so every path
    below `p` lies between `p` and `p` padded with "Z".
    """
    upper = path.ljust(PATH_MAX, "Z")
    return (
        models.Q(path__gt=path, path__lte=upper) if below_only else models.Q(path__gte=path, path__lte=upper)
    )


class Person(models.Model):
    """Someone who holds or held a post. The ID number is kept only as a keyed hash (to find the same
    person twice) and a masked form (to show)."""

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="org_person",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"], name="org_person_name_idx")]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A post a person holds in an organisation for a term. Ending a term sets `term_end`; nothing is deleted."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice-chair")
        EXECUTIVE = "executive", _("Executive member")
        INSTRUCTOR = "instructor", _("Instructor")
        MEMBER = "member", _("Member")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="positions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="positions"
    )
    role = models.CharField(_("post"), max_length=12, choices=Role.choices)
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    end_reason = models.CharField(_("reason the term ended"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organisation_id", "role", "term_start"]
        indexes = [
            models.Index(fields=["organisation", "term_end"], name="org_position_org_idx"),
            models.Index(fields=["person", "term_end"], name="org_position_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "role"],
                condition=models.Q(term_end__isnull=True),
                name="one_open_term_per_post",
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True) | models.Q(term_end__gte=models.F("term_start")),
                name="term_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.organisation}"


# Posts that let a person who also has the federation-cadre role act on the organisation's subtree.
OFFICE_ROLES = (Position.Role.CHAIR, Position.Role.VICE_CHAIR, Position.Role.EXECUTIVE)


class TargetCategory(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL_ORG = "social_org", _("Social organisation")
    PARK = "park", _("Industrial park")
    BUSINESS_DISTRICT = "business_district", _("Business district")
    BUILDING = "building", _("Commercial building")
    NEW_EMPLOYMENT = "new_employment", _("New-employment group")


class CoverageKind(models.TextChoices):
    ORGANISATION = "org", _("Organisation coverage")
    WORK = "work", _("Work coverage")
    ACTIVITY = "activity", _("Activity coverage")


class CoverageMode(models.TextChoices):
    OWN = "own", _("Own federation")
    INDUSTRY = "industry", _("Built by the industry")
    AREA = "area", _("Built jointly by area")
    FALLBACK = "fallback", _("Covered by the village / community")


class Target(models.Model):
    """Something that should be covered: an enterprise, a social organisation, a park, a business
    district, a building. `covered_*` keep whether it is covered today (refreshed by every link write
    and by the daily `orgs_coverage` sweep), so a region's rate is one indexed count."""

    name = models.CharField(_("name"), max_length=150)
    category = models.CharField(_("category"), max_length=20, choices=TargetCategory.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True
    )
    region = models.ForeignKey(
        "places.Place", verbose_name=_("region"), on_delete=models.PROTECT, related_name="org_targets"
    )
    district = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    town = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    size = models.PositiveIntegerField(_("women members / employees"), null=True, blank=True)
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active until"), null=True, blank=True, help_text=_("The day it closed."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    covered_org = models.BooleanField(default=False)
    covered_work = models.BooleanField(default=False)
    covered_activity = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)  # kept like covered_*: active today
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=[
                    "district",
                    "is_active",
                    "category",
                    "covered_org",
                    "covered_work",
                    "covered_activity",
                ],
                name="org_target_district_idx",
            ),
            models.Index(
                fields=["town", "is_active", "category", "covered_org", "covered_work", "covered_activity"],
                name="org_target_town_idx",
            ),
            models.Index(
                fields=[
                    "village",
                    "is_active",
                    "category",
                    "covered_org",
                    "covered_work",
                    "covered_activity",
                ],
                name="org_target_village_idx",
            ),
            models.Index(
                fields=["is_active", "category", "covered_org", "covered_work", "covered_activity"],
                name="org_target_all_idx",
            ),
            models.Index(fields=["name"], name="org_target_name_idx"),
            # The daily sweep's windows on the dates.
            models.Index(fields=["active_from"], name="org_target_from_idx"),
            models.Index(fields=["active_to"], name="org_target_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_to__isnull=True) | models.Q(active_to__gt=models.F("active_from")),
                name="target_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CoverageLink(models.Model):
    """An organisation covers a target, in one mode and one kind, from a date (to a date)."""

    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.PROTECT, related_name="links"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="coverage_links"
    )
    mode = models.CharField(_("mode"), max_length=10, choices=CoverageMode.choices)
    kind = models.CharField(_("kind of coverage"), max_length=10, choices=CoverageKind.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True, help_text=_("The day it ended."))
    evidence = models.TextField(_("evidence"), blank=True)
    end_reason = models.CharField(_("reason it ended"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("coverage link")
        verbose_name_plural = _("coverage links")
        ordering = ["target_id", "kind", "valid_from"]
        indexes = [
            models.Index(fields=["target", "kind", "valid_from"], name="org_link_target_idx"),
            models.Index(fields=["organisation", "valid_to"], name="org_link_org_idx"),
            models.Index(fields=["valid_from"], name="org_link_from_idx"),
            models.Index(fields=["valid_to"], name="org_link_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="link_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.target} ({self.get_kind_display()})"


class CoverageSnapshot(models.Model):
    """A month's coverage figures for one region, category and kind, kept so that "full coverage on
    date D" can be shown later even after targets and links changed. `place` None: the whole network."""

    month = models.DateField(_("month"))
    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=20, choices=TargetCategory.choices)
    kind = models.CharField(max_length=10, choices=CoverageKind.choices)
    active = models.PositiveIntegerField(default=0)
    covered = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("coverage snapshot")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "place", "category", "kind"], name="one_snapshot_per_cell"
            ),
        ]
        indexes = [models.Index(fields=["place", "month"], name="org_snapshot_place_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.place_id or '*'} {self.category} {self.kind}: {self.covered}/{self.active}"


class ChecklistTemplate(models.Model):
    """A set-up checklist as data (the seed's "6个1"); a new version is a new row, old ones stay as used."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    kinds = models.JSONField(
        _("organisation kinds"), default=list, blank=True, help_text=_("Empty: every new organisation.")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="one_checklist_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    due_days = models.PositiveSmallIntegerField(_("due within (days)"), default=30)
    needs_evidence = models.BooleanField(_("evidence required"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        ordering = ["template_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """One checklist item for one organisation: due, done (with evidence), verified by someone else."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done, awaiting verification")
        VERIFIED = "verified", _("Verified")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="tasks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="tasks")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("checklist task")
        ordering = ["organisation_id", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="org_task_due_idx")]
        constraints = [models.UniqueConstraint(fields=["organisation", "item"], name="one_task_per_item")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.item}"


def _evidence_path(instance: Evidence, filename: str) -> str:
    now = timezone.now()
    return f"orgs/evidence/{now:%Y/%m}/{instance.sha256[:16]}{instance.extension}"


class Evidence(models.Model):
    """A file backing a checklist task or a coverage link: a photo (re-encoded, no EXIF) or a PDF."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence")
    link = models.ForeignKey(
        CoverageLink, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence_files"
    )
    file = models.FileField(upload_to=_evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(task__isnull=False) | models.Q(link__isnull=False),
                name="evidence_backs_something",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StructureTarget(models.Model):
    """A structure the network should have in every region of a level, e.g. "two leading-enterprise
    federations per district" or "three instructor teams per town"."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("Per district")
        TOWN = "town", _("Per town / street")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("organisation kind"), max_length=20, choices=OrgKind.choices)
    leading_only = models.BooleanField(_("leading enterprises only"), default=False)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    required = models.PositiveSmallIntegerField(_("required number"), default=1)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("structure target")
        verbose_name_plural = _("structure targets")
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.name
