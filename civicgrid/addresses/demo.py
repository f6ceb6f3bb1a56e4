"""The demo county's standard address register: `load()` after the places, `delete()` before they go.

Every grid of the demo county (琴湖市) gets a generated register (`generate.register_load`, source
"demo"): about 120 addresses a grid, 250 in the persona town (the town operator's), with roads
across grids, compounds, village houses and former names, so orders written against it route and
some wait for an operator.
"""

from __future__ import annotations

from django.db import transaction

from civicgrid.accounts.models import RoleAssignment
from civicgrid.addresses.generate import register_load
from civicgrid.addresses.matching import register_changed
from civicgrid.addresses.models import Address, AddressAlias, GridAddressCount
from civicgrid.places.models import Place

DISTRICT_CODE = "329881"  # the demo county (civicgrid.site.demo.DISTRICT_CODE; site sits above this app)
SEED = 20261129
PER_GRID = 120
PER_GRID_PERSONA_TOWN = 250
PERSONA_TOWN_OPERATOR = "town"


@transaction.atomic
def load() -> int:
    """Write the demo county's register; return how many addresses were added (none if it has one)."""
    in_county = Address.objects.filter(grid_code__startswith=DISTRICT_CODE)
    if in_county.exists():
        return 0
    grids = list(
        Place.objects.filter(code__startswith=DISTRICT_CODE, level=Place.Level.GRID).order_by("code")
    )
    persona = (
        RoleAssignment.objects.filter(user__username=PERSONA_TOWN_OPERATOR, place__isnull=False)
        .values_list("place__code", flat=True)
        .first()
    )
    town = persona[:9] if persona and persona.startswith(DISTRICT_CODE) else None
    busy = [g for g in grids if town and g.code.startswith(town)]
    rest = [g for g in grids if not (town and g.code.startswith(town))]
    added = 0
    for group, per_grid, seed in ((busy, PER_GRID_PERSONA_TOWN, SEED), (rest, PER_GRID, SEED + 1)):
        if group:
            added += len(register_load(group, seed=seed, per_grid=per_grid, source=Address.Source.DEMO))
    return added


@transaction.atomic
def delete() -> int:
    """Remove every address and alias in the demo county's grids (its places are about to go);
    return how many addresses went."""
    in_county = Address.objects.filter(grid_code__startswith=DISTRICT_CODE)
    AddressAlias.objects.filter(address__in=in_county).delete()
    in_county.exclude(merged_into=None).update(merged_into=None)
    count = in_county.count()
    in_county.delete()
    GridAddressCount.objects.filter(grid_code__startswith=DISTRICT_CODE).delete()
    register_changed()
    return count
