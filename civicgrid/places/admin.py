"""Admin for places; every list is scoped by the permission module, every write goes through services."""

from django.contrib import admin

from civicgrid.places import access
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import place_update


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "level", "kind", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["parent"]
    readonly_fields = ["code", "level", "kind", "parent", "created_at"]

    def get_queryset(self, request):
        return access.scope_places(request.user, super().get_queryset(request))

    def has_add_permission(self, request):
        # Places are created by the importer (services.place_create), which checks codes and parents.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The service records the rename in the audit log, in the admin's transaction.
        access.check(request.user, access.Perm.PLACE_MANAGE, obj)
        place_update(place=obj, name=obj.name, name_en=obj.name_en, actor=request.user)


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin):
    list_display = ["place", "valid_from", "valid_to", "area_m2", "source"]
    list_filter = ["valid_to"]
    search_fields = ["place__code", "place__name"]
    list_select_related = ["place"]

    def get_queryset(self, request):
        visible = access.scope_places(request.user)
        return super().get_queryset(request).filter(place__in=visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Boundary versions are history: redraw through the importer, never edit.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
