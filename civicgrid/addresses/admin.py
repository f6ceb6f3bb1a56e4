"""The register in the Django admin: to read and find rows. Every change goes through the pages and
`services` (checks, aliases, audit), so the admin changes nothing."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.addresses.models import Address, AddressAlias


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AliasInline(admin.TabularInline):
    model = AddressAlias
    fields = ("text", "kind", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Address)
class AddressAdmin(ReadOnly):
    list_display = ("text", "grid_code", "status", "source", "updated_at")
    list_filter = ("status", "source")
    search_fields = ("text", "grid_code")
    list_select_related = ("grid",)
    raw_id_fields = ("grid", "merged_into", "created_by")
    inlines = [AliasInline]


@admin.register(AddressAlias)
class AddressAliasAdmin(ReadOnly):
    list_display = ("text", "address", "kind", "grid_code", "created_at")
    list_filter = ("kind",)
    search_fields = ("text", "grid_code")
    list_select_related = ("address",)
    raw_id_fields = ("address", "created_by")
