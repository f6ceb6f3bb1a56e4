"""Admin: administrators edit categories, the working-day calendar and the score weights; cases are read
here, never edited.

Every case change goes through `services.case_act`, so the admin shows cases and their record
read-only, scoped by the permission module like every other list. Category and calendar edits are
recorded in the audit log (`AuditedAdminMixin`), and so are score weights.
"""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import access, hotline_categories
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    Category,
    CategoryQuestion,
    Holiday,
    HotlineCategoryMap,
    HotlineOrder,
    ScoreWeights,
)
from civicgrid.core import audit
from civicgrid.core.admin import AuditedAdminMixin

QUESTION_AUDIT_FIELDS = [
    "category",
    "code",
    "label",
    "label_en",
    "hint",
    "hint_en",
    "datatype",
    "required",
    "order",
    "values",
    "is_active",
]


class CategoryQuestionForm(forms.ModelForm):
    class Meta:
        model = CategoryQuestion
        fields = QUESTION_AUDIT_FIELDS[1:]
        widgets = {"values": forms.Textarea(attrs={"rows": 3, "cols": 40})}
        error_messages = {
            "values": {"invalid": _("The choices are not valid JSON: check quotes and commas.")}
        }


class CategoryQuestionInline(admin.StackedInline):
    """The questions of a minor class (Open311 attributes); the model's `clean` checks the choices."""

    model = CategoryQuestion
    form = CategoryQuestionForm
    extra = 0
    ordering = ["order", "code"]


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
        "description_required",
        "quick_icon",
        "is_urgent",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "photo_required", "description_required", "is_urgent", "parent"]
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
        "description_required",
        "quick_icon",
        "quick_order",
        "phrases",
        "phrases_en",
        "is_urgent",
        "is_active",
        "sort",
    )
    inlines = [CategoryQuestionInline]

    def save_formset(self, request, form, formset, change) -> None:
        """Save the questions, recording each one added, changed or deleted in the audit log.

        Each save or delete bumps the category revision (signals), so every process reloads them.
        """
        if formset.model is not CategoryQuestion:
            super().save_formset(request, form, formset, change)
            return
        with transaction.atomic():
            saved = formset.save(commit=False)
            for obj in formset.deleted_objects:
                audit.record(
                    actor=request.user,
                    action="category_question.delete",
                    target=obj,
                    changes=audit.as_deleted(audit.snapshot(obj, QUESTION_AUDIT_FIELDS)),
                )
                obj.delete()
            for obj in saved:
                stored = CategoryQuestion.objects.filter(pk=obj.pk).first() if obj.pk else None
                before = audit.snapshot(stored, QUESTION_AUDIT_FIELDS) if stored is not None else {}
                obj.save()
                after = audit.snapshot(obj, QUESTION_AUDIT_FIELDS)
                changes = audit.diff(before, after) if stored is not None else audit.as_created(after)
                if changes:
                    audit.record(
                        actor=request.user,
                        action=f"category_question.{'update' if stored is not None else 'create'}",
                        target=obj,
                        changes=changes,
                    )
            formset.save_m2m()


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


@admin.register(HotlineCategoryMap)
class HotlineCategoryMapAdmin(admin.ModelAdmin):
    """The hotline's category paths; a category is set through `hotline_categories.mapping_answer`
    (checked and audited, as on the table page). Paths come from imports: none added or deleted here."""

    list_display = ["path", "category", "orders_seen", "first_seen_at", "answered_by", "answered_at"]
    list_filter = [("category", admin.EmptyFieldListFilter)]
    search_fields = ["path", "path_key", "category__code", "category__name"]
    list_select_related = ["category", "answered_by"]
    fields = ["path", "path_key", "category", "orders_seen", "first_seen_at", "answered_by", "answered_at"]
    readonly_fields = ["path", "path_key", "orders_seen", "first_seen_at", "answered_by", "answered_at"]
    ordering = ["category", "-orders_seen"]

    def has_module_permission(self, request):
        return access.can_manage_hotline_categories(request.user)

    def has_view_permission(self, request, obj=None):
        return access.can_manage_hotline_categories(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_manage_hotline_categories(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change) -> None:
        if obj.category is not None:
            saved = hotline_categories.mapping_answer(
                actor=request.user, key=obj.path_key, category=obj.category
            )
            obj.__dict__.update(saved.__dict__)


@admin.register(HotlineOrder)
class HotlineOrderAdmin(admin.ModelAdmin):
    """12345 orders as the hotline wrote them, read-only, scoped like their cases."""

    list_display = ["order_number", "case", "kind", "category_path", "received_at", "due_at", "routed_by"]
    list_filter = ["kind", "routed_by"]
    search_fields = ["order_number", "case__tracking_number", "address_text", "category_path"]
    list_select_related = ["case"]
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(case__in=access.scope_cases(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
