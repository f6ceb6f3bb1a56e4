"""Admin: administrators edit categories, the working-day calendar and the score weights; cases are read
here, never edited.

Every case change goes through `services.case_act`, so the admin shows cases and their record
read-only, scoped by the permission module like every other list. Category and calendar edits are
recorded in the audit log (`AuditedAdminMixin`), and so are score weights.
"""

from django.contrib import admin

from civicgrid.cases import access
from civicgrid.cases.models import Case, CaseEvent, Category, Holiday, ScoreWeights
from civicgrid.core.admin import AuditedAdminMixin


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "parent",
        "kind",
        "default_agency",
        "response_hours",
        "resolution_hours",
        "resolution_workdays",
        "photo_required",
        "is_urgent",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "photo_required", "is_urgent", "parent"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["parent", "default_agency"]
    autocomplete_fields = ["default_agency"]
    ordering = ["sort", "code"]
    audit_prefix = "category"
    audit_fields = (
        "code",
        "name",
        "name_en",
        "kind",
        "parent",
        "default_agency",
        "response_hours",
        "resolution_hours",
        "resolution_workdays",
        "urgent_response_hours",
        "urgent_resolution_hours",
        "photo_required",
        "is_urgent",
        "is_active",
        "sort",
    )


@admin.register(Holiday)
class HolidayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    audit_prefix = "holiday"
    audit_fields = ("date", "is_workday", "name")


@admin.register(ScoreWeights)
class ScoreWeightsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["month", "response", "resolution", "satisfaction", "on_time_closure", "note"]
    ordering = ["-month"]
    audit_prefix = "score_weights"
    audit_fields = ("month", "response", "resolution", "satisfaction", "on_time_closure", "note")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "action", "from_state", "to_state", "actor", "actor_role", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "state",
        "category",
        "town",
        "village",
        "grid",
        "is_overdue",
        "created_at",
    ]
    list_filter = ["state", "source", "is_overdue", "priority"]
    search_fields = ["tracking_number", "external_ref", "description", "address"]
    list_select_related = ["category", "town", "village", "grid"]
    inlines = [CaseEventInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return access.scope_cases(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
