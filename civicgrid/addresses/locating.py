"""Where a report known only by its address text goes: the one rule of every door that files such
reports (12345 orders without coordinates, Open311 requests with only an `address_string`).

The register's match (`matching.match`) places it when it is confident: in the address's grid, at the
address's point (or, for an address on record without one, the grid's centre). Otherwise it is filed
unrouted by the village or town its text names (`places.addresses.locate_address`), to wait in that
region's unrouted queue, where an operator places it and the register keeps the placement
(`services.placement_remember`).
"""

from __future__ import annotations

from civicgrid.addresses import matching
from civicgrid.places import mapindex
from civicgrid.places.addresses import locate_address
from civicgrid.places.models import Place
from civicgrid.places.routing import Location, PlaceRef


def _ref(place: mapindex.MapPlace) -> PlaceRef:
    return PlaceRef(id=place.id, code=place.code, name=place.name, level=place.level)


def in_grid(grid_id: int, lon: float | None = None, lat: float | None = None) -> Location | None:
    """A routed Location in grid `grid_id` with the places above it, at (lon, lat) or the grid's centre;
    None when the grid is not on the map (removed since)."""
    index = mapindex.current()
    grid = index.places.get(grid_id)
    if grid is None or grid.level != "grid":
        return None
    chain: dict[str, PlaceRef] = {}
    node: mapindex.MapPlace | None = grid
    while node is not None:
        chain[node.level] = _ref(node)
        node = index.places.get(node.parent_id) if node.parent_id is not None else None
    if lon is None or lat is None:
        lon, lat = grid.center
    return Location(
        lon, lat, True, chain["grid"], chain.get("village"), chain.get("town"), chain.get("district")
    )


def locate_text(text: str, within: Place) -> tuple[Location, matching.Match | None]:
    """Return where to file a report at address `text` within region `within`, and the register's
    match (None when nothing on record came close). The Location is routed only for a confident match."""
    found = matching.match(text, within=within)
    if found is not None and found.confident:
        location = in_grid(found.grid_id, found.lon, found.lat)
        if location is not None:
            return location, found
    return locate_address(text, within), found
