"""Admin for people, roles, agencies, tokens and client keys; every write is recorded in the audit log.

Roles, agencies, tokens and client keys are written through `services` (which record); a person's own fields are
saved by Django's user admin and recorded by `AuditedAdminMixin`.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts import services
from civicgrid.accounts.models import Agency, ApiToken, ClientApp, LoginThrottle, RoleAssignment, User
from civicgrid.core import audit
from civicgrid.core.admin import AuditedAdminMixin, adopt
from civicgrid.lib.privacy import mask_phone


class RoleAssignmentInline(admin.TabularInline):
    """A person's roles, read-only here: roles change on the role assignment page, through the services."""

    model = RoleAssignment
    fields = ["role", "place", "agency", "is_active", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    list_display = ["username", "display_name", "phone", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("CivicGrid"), {"fields": ("display_name", "phone")}),
    )
    inlines = [RoleAssignmentInline]
    audit_prefix = "user"
    audit_fields = (
        "username",
        "display_name",
        "phone",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
    )

    def audit_place_code(self, obj) -> str:
        return services.home_code(obj) if obj.pk else ""

    def audit_masked(self, changes):
        phone = changes.get("phone")
        if phone:
            changes["phone"] = {side: mask_phone(value) for side, value in phone.items()}
        return changes

    def user_change_password(self, request, id, form_url=""):
        """Set a password (Django's page), and record that it was set; never what it is."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                audit.record(
                    actor=request.user,
                    action="user.password",
                    target=user,
                    place_code=self.audit_place_code(user),
                )
        return response


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_en"]
    audit_prefix = "agency"
    audit_fields = tuple(services.AGENCY_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        # Integrations dispatch by code, so an agency keeps the code it was created with.
        return ["code"] if obj is not None else []

    def audit_place_code(self, obj) -> str:
        return obj.region.code

    def save_model(self, request, obj, form, change):
        fields = {
            "name": obj.name,
            "name_en": obj.name_en,
            "kind": obj.kind,
            "region": obj.region,
            "phone": obj.phone,
            "is_active": obj.is_active,
        }
        if change:
            services.agency_update(agency=obj, actor=request.user, **fields)
        else:
            adopt(obj, services.agency_create(code=obj.code, actor=request.user, **fields))


class RoleAssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "place", "agency", "is_active"]

    def clean(self):
        data = super().clean()
        if "role" in data:
            problem = services.role_scope_problem(data["role"], data.get("place"), data.get("agency"))
            if problem:
                raise forms.ValidationError(problem)
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = RoleAssignmentAdminForm
    list_display = ["user", "role", "place", "agency", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__display_name", "place__code", "place__name"]
    autocomplete_fields = ["user", "place", "agency"]
    list_select_related = ["user", "place", "agency"]
    audit_prefix = "role"
    audit_fields = tuple(services.ROLE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        # A role belongs to one person; give the other person a role of their own instead.
        return ["user"] if obj is not None else []

    def audit_place_code(self, obj) -> str:
        return services.role_place_code(obj)

    def save_model(self, request, obj, form, change):
        """Assign, change, end or renew the role through the services, each recording its entry."""
        with transaction.atomic():
            if not change:
                saved = services.role_assign(
                    user=obj.user, role=obj.role, place=obj.place, agency=obj.agency, actor=request.user
                )
                if not obj.is_active:
                    services.role_end(assignment=saved, actor=request.user)
                adopt(obj, saved)
                return
            if {"role", "place", "agency"} & set(form.changed_data):
                services.role_change(
                    assignment=obj, role=obj.role, place=obj.place, agency=obj.agency, actor=request.user
                )
            if "is_active" in form.changed_data:
                if obj.is_active:
                    services.role_assign(
                        user=obj.user, role=obj.role, place=obj.place, agency=obj.agency, actor=request.user
                    )
                else:
                    services.role_end(assignment=obj, actor=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are read here and revoked through the service; the hash is never shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A token's secret is shown once, on the tokens page; the admin can only revoke.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        with transaction.atomic():
            for token in queryset.select_related("user"):
                services.api_token_revoke(user=request.user, token=token)


@admin.register(ClientApp)
class ClientAppAdmin(admin.ModelAdmin):
    """Client keys are read here and revoked through the service; issued on the client apps page.

    The hash is never shown, and nothing of a key is edited: a changed key is a new key.
    """

    list_display = [
        "name",
        "region",
        "contact",
        "prefix",
        "posts_per_hour",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact", "prefix", "region__name", "region__code"]
    fields = [
        "name",
        "contact",
        "region",
        "prefix",
        "posts_per_hour",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    list_select_related = ["region"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A key is shown once, on the client apps page, which also keeps the region within scope.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoke instead: the row keeps who issued and revoked a key, and when.
        return False

    @admin.action(description=_("Revoke the keys of the selected client applications"))
    def revoke(self, request, queryset):
        with transaction.atomic():
            for client in queryset.select_related("region"):
                services.client_app_revoke(actor=request.user, client=client)


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["key", "failures", "first_failure_at", "locked_until"]
    search_fields = ["key"]
