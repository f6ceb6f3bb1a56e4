"""The administrative tree (city › district › town/street › village/community › grid) and grid boundaries."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    """A node of the administrative tree; grids are its leaves.

    Codes follow Beijing's 15-digit unit-grid code: a 6-digit division code (city `xxxx00`, district or
    county-level city `xxxxxx`), then 3 digits for the town, 3 for the village and 3 for the grid, so a
    node's code starts with its parent's code (the city's first four digits). Scoping by region is a
    prefix match on `code`; see `Place.scope_prefix`.
    """

    class Level(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District / county-level city")
        TOWN = "town", _("Town / street")
        VILLAGE = "village", _("Village / community")
        GRID = "grid", _("Grid")

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        COUNTY_CITY = "county_city", _("County-level city")
        TOWN = "town", _("Town")
        STREET = "street", _("Street")
        VILLAGE = "village", _("Village")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("places:detail", args=[self.code])

    # Length of the code prefix that every descendant shares, by level.
    PREFIX_LENGTH = {"city": 4, "district": 6, "town": 9, "village": 12, "grid": 15}
    # Length of the full code, by level.
    CODE_LENGTH = {"city": 6, "district": 6, "town": 9, "village": 12, "grid": 15}
    LEVEL_ORDER = ["city", "district", "town", "village", "grid"]

    @property
    def scope_prefix(self) -> str:
        """Return the code prefix shared by this place and all its descendants."""
        return self.code[: self.PREFIX_LENGTH[self.level]]

    @property
    def depth(self) -> int:
        return self.LEVEL_ORDER.index(self.level)

    def is_within(self, other: Place) -> bool:
        """Return True if this place is `other` or one of its descendants."""
        return self.depth >= other.depth and self.code.startswith(other.scope_prefix)

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Boundary(models.Model):
    """One version of a place's boundary: a GeoJSON Polygon or MultiPolygon in WGS-84.

    Redrawing a place closes the current version (`valid_to`) and adds a new one; cases keep the
    place they were filed under, so a redrawn grid keeps its cases. The routing index reads the
    current versions (`valid_to` is null).
    """

    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.CASCADE, related_name="boundaries"
    )
    geometry = models.JSONField(_("geometry"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    # Bounding box, so maps and the routing index need not parse every geometry to filter.
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")
        ordering = ["place__code", "-valid_from"]
        indexes = [models.Index(fields=["valid_to", "place"], name="boundary_current_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["place"],
                condition=models.Q(valid_to__isnull=True),
                name="one_current_boundary_per_place",
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} [{self.valid_from:%Y-%m-%d} – {self.valid_to or '…'}]"


class RoutingRevision(models.Model):
    """A counter bumped in the transaction that changes any boundary.

    Every process compares it with the revision its routing index was built from and rebuilds when
    it moved, so a redrawn grid routes correctly everywhere within seconds, without a restart.
    """

    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("routing revision")

    def __str__(self) -> str:
        return str(self.revision)
