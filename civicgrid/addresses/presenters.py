"""What one viewer sees of a standard address, built once for the pages (and any API to come).

Other apps add panels to an address's page (the orders and cases at it, which this app cannot import
under the layers contract): `register_panel(fn)` from their `AppConfig.ready`, `fn(user, address)`
returning an object with a `template` attribute (the include that draws it) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.addresses import access, selectors
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.places import display
from civicgrid.places.models import Boundary, Place

_panels: list[Callable[[Any, Address], Any]] = []


def register_panel(fn: Callable[[Any, Address], Any]) -> None:
    """Add a panel to the address page (once, however often an app's `ready` runs)."""
    if fn not in _panels:
        _panels.append(fn)


def panels_for(user, address: Address) -> list[Any]:
    return [panel for fn in _panels if (panel := fn(user, address)) is not None]


STATUS_BADGE = {
    Address.Status.ACTIVE: "badge-green",
    Address.Status.MERGED: "badge-amber",
    Address.Status.RETIRED: "badge-red",
}


@dataclass(frozen=True)
class Part:
    label: str
    value: str


@dataclass
class AddressView:
    address: Address
    parts: list[Part]
    status_label: str
    status_badge: str
    can_edit: bool
    aliases: list[AddressAlias]
    merged_from: list[Address]
    map: dict[str, Any] | None
    panels: list[Any] = field(default_factory=list)


def part_list(address: Address) -> list[Part]:
    """Return the address's parts that are filled in, labelled in the reader's language."""
    labels = {
        "road": _("Road or street"),
        "number": _("House number"),
        "compound": _("Residential compound"),
        "building": _("Building"),
        "unit": _("Unit"),
    }
    return [Part(label, getattr(address, name)) for name, label in labels.items() if getattr(address, name)]


def grid_outline(grid: Place) -> dict[str, Any] | None:
    """Return the grid's current boundary as a Feature drawn on the tiles, or None."""
    boundary = Boundary.objects.filter(place=grid, valid_to__isnull=True).first()
    if boundary is None:
        return None
    return {
        "type": "Feature",
        "geometry": display.geometry(boundary.geometry),
        "properties": {"name": grid.display_name, "code": grid.code},
    }


def map_data(grid: Place, address: Address | None = None) -> dict[str, Any]:
    """Return what an address map draws: the grid's outline and the address's point, on the tiles."""
    point = None
    if address is not None and address.lon is not None and address.lat is not None:
        lon, lat = display.point(address.lon, address.lat)
        point = [round(lon, 7), round(lat, 7)]
    return {"outline": grid_outline(grid), "point": point}


def address_view(user, address: Address) -> AddressView:
    """Return an address as `user` sees it on its page (they may read it: `access.address_for`)."""
    return AddressView(
        address=address,
        parts=part_list(address),
        status_label=address.get_status_display(),
        status_badge=STATUS_BADGE.get(address.status, "badge-blue"),
        can_edit=address.status == Address.Status.ACTIVE and access.can_keep(user, address.grid),
        aliases=selectors.aliases_of(address),
        merged_from=selectors.merged_from(address),
        map=map_data(address.grid, address),
        panels=panels_for(user, address),
    )


def breadcrumb(user, place: Place) -> list[Place]:
    """Return the chain from the district down to `place`, for the register's breadcrumb: the places
    whose register `user` keeps (a grid worker's breadcrumb is their grid alone)."""
    chain = [place]
    node = place.parent
    while node is not None and node.level not in (Place.Level.CITY,):
        chain.append(node)
        node = node.parent
    return [p for p in reversed(chain) if access.can_keep(user, p)]


def sub_links(user, current: str) -> list[dict[str, Any]]:
    """Return the register's sub-navigation: the register, and the import for those who may import."""
    links = [{"key": "register", "label": _("Address register"), "url": reverse("addresses:home")}]
    if access.can_import(user):
        links.append({"key": "import", "label": _("Import a workbook"), "url": reverse("addresses:import")})
    for link in links:
        link["current"] = link["key"] == current
    return links
