"""The standard address register (标准地址, the address part of 一标三实): every building address of a
grid on record, so that an address written by a call-taker finds its grid (`civicgrid.addresses.matching`).

An address is kept in its parts (road and number, residential compound, building, unit) and as the
normalised keys the matcher looks up (`civicgrid.addresses.normalize`); its other spellings — aliases,
former names, and the texts an operator placed by hand — are `AddressAlias` rows with their own key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Address(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In use")
        MERGED = "merged", _("Merged into another")
        RETIRED = "retired", _("No longer exists")

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported")
        WORKER = "worker", _("Added by a grid worker")
        PLACEMENT = "placement", _("Placed by an operator")
        DEMO = "demo", _("Demo data")

    grid = models.ForeignKey(
        "places.Place", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="addresses"
    )
    # The grid's 15-digit code: a region's addresses are a prefix range on it (`Place.scope_prefix`).
    grid_code = models.CharField(max_length=15)
    road = models.CharField(_("road or street"), max_length=60, blank=True)
    number = models.CharField(_("number"), max_length=20, blank=True)
    compound = models.CharField(_("residential compound"), max_length=60, blank=True)
    building = models.CharField(_("building"), max_length=20, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    # The address as written on the register: its parts joined, or as imported.
    text = models.CharField(_("address"), max_length=200)
    # Normalised (`normalize.parse`): the whole address, and the names that find candidates by parts.
    key = models.CharField(max_length=200)
    road_key = models.CharField(max_length=60, blank=True)
    number_key = models.CharField(max_length=20, blank=True)
    compound_key = models.CharField(max_length=60, blank=True)
    building_key = models.CharField(max_length=20, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("standard address")
        verbose_name_plural = _("standard addresses")
        indexes = [
            # Exact match of a whole address, in a region (prefix range on grid_code).
            models.Index(fields=["key", "grid_code"], name="address_key_idx"),
            # Candidates by parts: a road's numbers, a compound's buildings.
            models.Index(fields=["road_key", "number_key"], name="address_road_idx"),
            models.Index(fields=["compound_key", "building_key"], name="address_compound_idx"),
            # A grid's register, in the order its page lists it (keyset on id).
            models.Index(fields=["grid", "status", "id"], name="address_grid_idx"),
        ]

    def __str__(self) -> str:
        return self.text


class AddressAlias(models.Model):
    """Another spelling of an address: an alias, a former name, or an order's text that an operator
    placed at this address (so the next order written the same way routes by itself)."""

    class Kind(models.TextChoices):
        ALIAS = "alias", _("Alias")
        FORMER = "former", _("Former name")
        PLACED = "placed", _("Placed by an operator")

    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.CASCADE, related_name="aliases"
    )
    grid_code = models.CharField(max_length=15)
    text = models.CharField(_("written as"), max_length=200)
    key = models.CharField(max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ALIAS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("address alias")
        verbose_name_plural = _("address aliases")
        indexes = [models.Index(fields=["key", "grid_code"], name="address_alias_key_idx")]
        constraints = [
            models.UniqueConstraint(fields=["address", "key"], name="unique_alias_per_address"),
        ]

    def __str__(self) -> str:
        return self.text


class RegisterRevision(models.Model):
    """A counter bumped in every transaction that changes the register (`matching.register_changed`).

    The matcher's per-process caches (the region's names, for similarity) compare it with the revision
    they were built from and rebuild when it moved, so an address added in one process is found by
    its name in all of them within seconds."""

    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address register revision")

    def __str__(self) -> str:
        return str(self.revision)


class GridAddressCount(models.Model):
    """How many addresses a grid's register holds, by status, kept by every write (`counts.recount`):
    a village's, town's or city's figures are a sum over its grids' rows, never a count of addresses."""

    grid = models.OneToOneField(
        "places.Place", primary_key=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("grid")
    )
    grid_code = models.CharField(max_length=15, db_index=True)
    active = models.PositiveIntegerField(default=0)
    with_point = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("address count of a grid")
        verbose_name_plural = _("address counts of grids")

    def __str__(self) -> str:
        return self.grid_code
