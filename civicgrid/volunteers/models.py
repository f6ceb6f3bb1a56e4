"""Volunteers, teams, activities, sign-ups with their attendance, hours records and certificates.

Hours records are the legal 志愿服务记录: written once, never deleted, their minutes never changed.
A mistake is put right by a correction (a record of its own, `corrects` the original, signed
minutes); only the status moves, pending → approved or declined, through `services.hours_decide`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.volunteers.choices import ServiceField


class Volunteer(models.Model):
    """A person registered as a volunteer of a village or community (one registration per account)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    community = models.ForeignKey(
        "places.Place", verbose_name=_("community"), on_delete=models.PROTECT, related_name="volunteers"
    )
    real_name = models.CharField(_("real name"), max_length=50)
    # Copied from the account when registering; shown masked to anyone but the person and their managers.
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    # The community's code and a sequence: 329981001001-0007. `seq` is per community.
    number = models.CharField(_("volunteer number"), max_length=24, unique=True)
    seq = models.PositiveIntegerField()
    national_number = models.CharField(_("national volunteer number"), max_length=40, blank=True)
    # Only a SHA-256 (keyed with SECRET_KEY) of an ID number and its masked form are kept.
    id_number_hash = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField(_("ID number"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["community_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["community", "seq"], name="volunteer_seq_per_community"),
        ]

    def __str__(self) -> str:
        return f"{self.real_name} ({self.number})"

    def skill_list(self) -> list[str]:
        return split_skills(self.skills)


def split_skills(text: str) -> list[str]:
    """Return the skills written in `text`, split on commas (Chinese or Latin), 、 and semicolons."""
    for sep in ("，", "、", ";", "；"):
        text = text.replace(sep, ",")
    return [s.strip() for s in text.split(",") if s.strip()]


class Team(models.Model):
    """A volunteer team (志愿服务队) of a village or community, in one service field."""

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        "places.Place", verbose_name=_("community"), on_delete=models.PROTECT, related_name="volunteer_teams"
    )
    service_field = models.CharField(_("service field"), max_length=20, choices=ServiceField.choices)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_name_per_community")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("volunteers:team", args=[self.pk])


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("Team leader")
        MEMBER = "member", _("Member")

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="memberships"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["team_id", "role", "volunteer_id"]
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"], name="one_membership_per_team")]
        indexes = [models.Index(fields=["volunteer", "is_active", "role"], name="vol_membership_idx")]

    def __str__(self) -> str:
        return f"{self.team} · {self.volunteer}"


class Activity(models.Model):
    """One volunteer activity of a team: when, where (WGS-84), how many, and its rules."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        CLOSED = "closed", _("Closed")

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="activities"
    )
    # The team's community, kept here so lists filter on one indexed column.
    community = models.ForeignKey(
        "places.Place", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    service_field = models.CharField(_("service field"), max_length=20, choices=ServiceField.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place_name = models.CharField(_("meeting place"), max_length=200)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    signup_opens_at = models.DateTimeField(_("sign-up opens"), null=True, blank=True)
    signup_closes_at = models.DateTimeField(_("sign-up closes"), null=True, blank=True)
    # No cancelling within this many hours of the start (0: until the start).
    cancel_cutoff_hours = models.PositiveIntegerField(_("no cancelling within (hours)"), default=0)
    required_skills = models.CharField(_("required skills"), max_length=200, blank=True)
    # Null: check-in from anywhere; else only within this many metres of (lon, lat).
    checkin_radius_m = models.PositiveIntegerField(_("check-in radius (metres)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at", "id"], name="vol_activity_status_idx"),
            models.Index(fields=["community", "starts_at"], name="vol_activity_community_idx"),
            models.Index(fields=["team", "starts_at"], name="vol_activity_team_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("volunteers:activity", args=[self.pk])


class Signup(models.Model):
    """A volunteer's place on an activity (or on its waiting list), and their attendance.

    One row per volunteer and activity: signing up again after cancelling reuses it.
    """

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="signups"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="signups"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    # The waiting list moves up in this order.
    queued_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # Null: the volunteer scanned the code; else who checked them in or out by hand.
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["activity_id", "queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="one_signup_per_activity")
        ]
        indexes = [
            models.Index(fields=["activity", "state", "queued_at"], name="vol_signup_queue_idx"),
            models.Index(fields=["volunteer", "state"], name="vol_signup_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.volunteer}"


class HoursQuerySet(models.QuerySet):
    """Hours rows are never deleted; a bulk update may only record a decision."""

    DECISION_FIELDS = frozenset({"status", "decided_by", "decided_at", "decline_reason"})

    def update(self, **kwargs):
        if not set(kwargs) <= self.DECISION_FIELDS:
            raise TypeError("HoursRecord rows are append-only: only their decision may be recorded")
        return super().update(**kwargs)

    def delete(self):
        raise TypeError("HoursRecord rows are append-only")


class HoursRecord(models.Model):
    """Minutes of service credited to a volunteer, once approved (the 志愿服务记录).

    Never deleted, never edited: `save()` of an existing row and `delete()` raise TypeError; the
    status moves only pending → approved or declined, by a compare-and-set update in
    `services.hours_decide`.
    """

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Attendance")
        CORRECTION = "correction", _("Correction")
        MANUAL = "manual", _("Recorded by the organiser")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="hours"
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hours",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="hours"
    )
    community = models.ForeignKey(
        "places.Place", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    service_field = models.CharField(_("service field"), max_length=20, choices=ServiceField.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # Signed: a correction that takes time away is below zero.
    minutes = models.IntegerField(_("minutes"))
    day = models.DateField(_("day of service"))
    content = models.CharField(_("service content"), max_length=200)
    started_at = models.DateTimeField(_("from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    # The volunteer checked in but never out; credited by VOLUNTEER_MISSING_CHECKOUT.
    missing_checkout = models.BooleanField(_("missing check-out"), default=False)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    # Why a correction or a manual record was made.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)

    objects = HoursQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours record")
        verbose_name_plural = _("hours records")
        ordering = ["day", "id"]
        constraints = [
            # Closing an activity twice never credits its attendance twice.
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=Q(kind="attendance"),
                name="one_attendance_record",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "status", "day"], name="vol_hours_volunteer_idx"),
            models.Index(fields=["team", "status", "day"], name="vol_hours_team_idx"),
            models.Index(fields=["community", "status", "day"], name="vol_hours_community_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.day} · {self.minutes} min"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("HoursRecord rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("HoursRecord rows are append-only")


class Certificate(models.Model):
    """A 志愿服务记录证明 issued by a community from this platform's records; numbered per community per year.

    `lines` is a snapshot of the records it covers, so a later correction never changes a certificate
    already handed out (a new certificate is issued instead).
    """

    community = models.ForeignKey(
        "places.Place", verbose_name=_("issued by (community)"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField(_("year"))
    seq = models.PositiveIntegerField()
    number = models.CharField(_("certificate number"), max_length=20)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="certificates"
    )
    volunteer_name = models.CharField(_("name"), max_length=50)
    volunteer_number = models.CharField(_("volunteer number"), max_length=24)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    total_minutes = models.IntegerField(_("total minutes"))
    lines = models.JSONField(_("lines"), default=list)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by_name = models.CharField(_("handled by"), max_length=100)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "seq"], name="certificate_seq_per_community_year"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "issued_at"], name="vol_certificate_idx")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Certificate rows are never changed once issued")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("volunteers:certificate", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise TypeError("Certificate rows are never deleted")
