"""People, their roles with a scope, agencies, API tokens, Open311 client keys and login throttling."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.roles import Role


class User(AbstractUser):
    """A person who signs in with username or mobile number and a password."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Agency(models.Model):
    """A city agency, state enterprise or institution that cases can be dispatched to."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government agency")
        STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
        INSTITUTION = "institution", _("Public institution")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    # The region the agency serves (usually the city or the county-level city).
    region = models.ForeignKey(
        "places.Place", verbose_name=_("region served"), on_delete=models.PROTECT, related_name="agencies"
    )
    phone = models.CharField(_("service phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """One role one person holds, with its scope: a place, or an agency for agency staff.

    A person may hold several. `civicgrid.core.scopes` reads these (through the loader in
    `accounts.selectors`) and nothing else to decide what a person may see and do.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("scope (place)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("scope (agency)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "place", "agency"], name="unique_role_assignment"
            ),
        ]

    def __str__(self) -> str:
        scope = self.place or self.agency or ""
        return f"{self.user} · {self.get_role_display()} · {scope}"


class ApiToken(models.Model):
    """A bearer token for staff and integrations; only its SHA-256 is stored.

    The token is shown once when created: `cg_<prefix>_<secret>`. The prefix finds the row, the hash
    checks the secret.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (cg_{self.prefix}_…)"


def default_posts_per_hour() -> int:
    """Return the POSTs per hour a new client key gets unless told otherwise (a setting)."""
    return settings.OPEN311_POSTS_PER_HOUR


class ClientApp(models.Model):
    """A client application of the Open311 API (a mini program, a FixMyStreet site) and its key.

    Administrators issue and revoke keys on the client apps page. The key is shown once when issued:
    `o311_<prefix>_<secret>`; the prefix finds the row and only the SHA-256 of the secret is stored.
    A key files requests within its `region` only, at most `posts_per_hour` POSTs an hour.
    """

    name = models.CharField(_("application"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200)
    region = models.ForeignKey(
        "places.Place", verbose_name=_("region"), on_delete=models.PROTECT, related_name="client_apps"
    )
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    posts_per_hour = models.PositiveIntegerField(_("POSTs per hour"), default=default_posts_per_hour)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("client application")
        verbose_name_plural = _("client applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(posts_per_hour__gte=1), name="client_app_posts_per_hour_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (o311_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginThrottle(models.Model):
    """Failed sign-ins counted per key (an account name, or a client address).

    Kept in the database, not the cache, so a lockout holds across all app processes.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
