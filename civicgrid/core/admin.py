"""Admin: the audit log, read-only; and the mixin that makes other ModelAdmins record their writes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction

from civicgrid.core import audit
from civicgrid.core.models import AuditEntry


class AuditedAdminMixin:
    """Record an audit entry for every add, change and delete this ModelAdmin makes, in its transaction.

    Set `audit_prefix` ("category" records category.create, category.update, category.delete) and
    `audit_fields` (the fields the entry keeps; never a password). A ModelAdmin whose saves go through a
    service (which records) overrides `save_model` and keeps the deletes from here. Django wraps the
    change form in a transaction but not the "delete selected" action, so each write opens one.
    """

    audit_prefix: str = ""
    audit_fields: tuple[str, ...] = ()

    def audit_place_code(self, obj: models.Model) -> str:
        """Return the code of the place an entry about `obj` is filed under ("" for none)."""
        return ""

    def audit_snapshot(self, obj: models.Model) -> dict[str, Any]:
        return audit.snapshot(obj, list(self.audit_fields))

    def audit_masked(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Return `changes` as the log keeps them (a ModelAdmin masks personal data here)."""
        return changes

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            before = {}
            if change:
                stored = type(obj)._base_manager.filter(pk=obj.pk).first()
                before = self.audit_snapshot(stored) if stored is not None else {}
            super().save_model(request, obj, form, change)
            after = self.audit_snapshot(obj)
            changes = audit.diff(before, after) if change else audit.as_created(after)
            if change and not changes:
                return
            audit.record(
                actor=request.user,
                action=f"{self.audit_prefix}.{'update' if change else 'create'}",
                target=obj,
                place_code=self.audit_place_code(obj),
                changes=self.audit_masked(changes),
            )

    def _record_delete(self, request, obj: models.Model) -> None:
        audit.record(
            actor=request.user,
            action=f"{self.audit_prefix}.delete",
            target=obj,
            place_code=self.audit_place_code(obj),
            changes=self.audit_masked(audit.as_deleted(self.audit_snapshot(obj))),
        )

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            self._record_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record_delete(request, obj)
            super().delete_queryset(request, queryset)


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved `obj` the instance a service saved, so the admin goes on with it."""
    obj.__dict__.update(saved.__dict__)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The log as written: searchable, never added to, changed or deleted (the model refuses it too)."""

    list_display = ["at", "actor_text", "action", "target_text", "place_code", "source", "client"]
    list_filter = ["source", "action"]
    search_fields = ["actor_text", "target_text", "place_code", "request_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    def get_queryset(self, request):
        return audit.visible_entries(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
