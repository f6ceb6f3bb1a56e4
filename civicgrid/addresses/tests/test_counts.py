"""The register's kept counts per grid: every write keeps them, regions sum them, a check compares."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from civicgrid.addresses import counts, generate, selectors, services
from civicgrid.addresses.models import GridAddressCount
from civicgrid.addresses.tests.conftest import add

INSIDE_A1A = (120.705, 31.605)


def kept(grid) -> tuple[int, int, int, int]:
    row = GridAddressCount.objects.filter(grid=grid).first()
    return (row.active, row.with_point, row.merged, row.retired) if row else (0, 0, 0, 0)


def test_every_write_keeps_the_grid_counts(world):
    first = services.address_add(
        user=None, grid=world.grid_a1a, road="解放路", number="88", lon=INSIDE_A1A[0], lat=INSIDE_A1A[1]
    )
    second = add(world.grid_a1a, road="解放路", number="90")
    third = add(world.grid_a1b, road="幸福路", number="1")
    assert kept(world.grid_a1a) == (2, 1, 0, 0) and kept(world.grid_a1b) == (1, 0, 0, 0)

    services.address_merge(user=None, duplicate=second, survivor=first)
    assert kept(world.grid_a1a) == (1, 1, 1, 0)
    services.address_retire(user=None, address=third)
    assert kept(world.grid_a1b) == (0, 0, 0, 1)
    services.address_update(user=None, address=first, road="解放路", number="88", lon=None, lat=None)
    assert kept(world.grid_a1a) == (1, 0, 1, 0)

    # A village, a town: sums of their grids' kept rows.
    assert selectors.address_counts(world.village_a1) == {
        "active": 1,
        "merged": 1,
        "retired": 1,
        "with_point": 0,
    }
    assert [(c.place, c.active) for c in selectors.children_counts(world.town_a)] == [(world.village_a1, 1)]
    assert counts.stale() == []


def test_a_bulk_load_is_counted_and_the_check_finds_a_drift(world, capsys):
    rows = generate.register_load([world.grid_a1a, world.grid_a1b], seed=3, per_grid=20)
    assert sum(kept(world.grid_a1a)[:1] + kept(world.grid_a1b)[:1]) == len(rows)
    call_command("address_counts")
    assert "match" in capsys.readouterr().out

    GridAddressCount.objects.filter(grid=world.grid_a1a).update(active=0)
    with pytest.raises(SystemExit):
        call_command("address_counts")
    assert world.grid_a1a.code in capsys.readouterr().out
    call_command("address_counts", "--repair")
    assert counts.stale() == []
