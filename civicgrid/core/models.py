"""The audit log of administrative writes. Entries are written by `core.audit.record` only."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model._meta.object_name} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model._meta.object_name} rows are append-only")


class AppendOnly(models.Model):
    """A row written once and never edited or deleted: the audit log, a case's record.

    `save()` of an existing row, `delete()` and queryset `update()`/`delete()` raise TypeError.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class AuditEntry(AppendOnly):
    """One administrative write: who made it, what it changed, where, and through which door.

    Never edited or deleted. The actor's name and the target's text are kept as they were when the
    write was made, so the entry still reads right after a rename. `changes` holds, per field,
    `{"from": ..., "to": ...}` (a create has only "to", a delete only "from"); a bulk write such as
    an import holds plain facts (counts). It never holds a password, token secret or hash.
    """

    class Source(models.TextChoices):
        WEB = "web", _("Web page")
        ADMIN = "admin", _("Admin site")
        API = "api", _("API")
        COMMAND = "command", _("Command or system")

    at = models.DateTimeField(_("time"), default=timezone.now)
    # Null: a command or the system. People are deactivated, never deleted, so PROTECT costs nothing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_text = models.CharField(_("actor (as written)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40)
    # `app_label.model_name` of the target (e.g. `places.place`) and its primary key.
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    target_text = models.CharField(_("target"), max_length=200, blank=True)
    # The code of the place the write concerns; administrators read the entries within their region.
    place_code = models.CharField(_("place code"), max_length=15, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.COMMAND)
    client = models.CharField(_("client address"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        # Read newest first: overall, by actor, by target, and by region (a place-code range).
        indexes = [
            models.Index(fields=["at", "id"], name="audit_newest_idx"),
            models.Index(fields=["actor", "at", "id"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id", "at"], name="audit_target_idx"),
            models.Index(fields=["place_code", "at"], name="audit_place_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_text}"
