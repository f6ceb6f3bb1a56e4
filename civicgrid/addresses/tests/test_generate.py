"""Generated registers and orders (civicgrid/addresses/generate.py) on the shared test region."""

from __future__ import annotations

from collections import defaultdict

import shapely
from shapely.geometry import shape

from civicgrid.addresses import generate, matching
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.places.models import Boundary


def grids(world):
    return [world.grid_a1a, world.grid_a1b, world.grid_b1a]


def test_register_rows_have_the_shape_of_a_real_register(world):
    rows = generate.register_rows(grids(world), seed=7, per_grid=150)
    assert 300 <= len(rows) <= 600
    road_grids = defaultdict(set)
    for row in rows:
        if row["road"] and not row["compound"]:
            road_grids[row["road"]].add(row["grid_code"])
    # A road crosses grids, but each of its numbers lies in one.
    assert any(len(codes) > 1 for codes in road_grids.values())
    numbers = defaultdict(set)
    for row in rows:
        if row["road"]:
            numbers[(row["road"], row["number"], row["grid_code"][:9])].add(row["grid_code"])
    assert all(len(codes) == 1 for codes in numbers.values())
    assert any(row["compound"] and row["building"] and row["unit"] for row in rows)
    # 甲一村 is a village: its houses are written …村N组M号.
    assert any(row["text"].startswith("甲一村") and "组" in row["text"] for row in rows)
    # Former names for some compounds and roads (drawn: over a few seeds some appear).
    drawn = [generate.register_rows(grids(world), seed=s, per_grid=300) for s in range(4)]
    assert any(row["aliases"] for rows_s in drawn for row in rows_s)
    assert generate.register_rows(grids(world), seed=7, per_grid=150) == rows  # seeded


def test_points_lie_inside_their_grid(world):
    rows = generate.register_rows(grids(world), seed=3, per_grid=100)
    polygons = {
        b.place.code: shape(b.geometry)
        for b in Boundary.objects.filter(valid_to__isnull=True).select_related("place")
    }
    located = [r for r in rows if r["lon"] is not None]
    assert len(located) > 0.8 * len(rows)
    assert all(shapely.intersects_xy(polygons[r["grid_code"]], r["lon"], r["lat"]) for r in located)


def test_register_load_writes_addresses_and_aliases(world):
    rows = generate.register_load(grids(world), seed=5, per_grid=120, source=Address.Source.DEMO)
    assert Address.objects.filter(source=Address.Source.DEMO).count() == len(rows)
    assert all(row["id"] for row in rows)
    assert AddressAlias.objects.count() == sum(len(r["aliases"]) for r in rows)
    one = Address.objects.get(pk=rows[0]["id"])
    assert (one.text, one.key, one.grid_code) == (rows[0]["text"], rows[0]["key"], rows[0]["grid_code"])


def test_orders_route_to_the_right_grid(world):
    rows = generate.register_load(grids(world), seed=11, per_grid=150)
    orders = generate.order_addresses(rows, seed=11, n=400)
    assert len(orders) == 400
    nothing = [text for text, expected in orders if expected is None]
    assert 5 <= len(nothing) <= 40
    codes = {g.pk: g.code for g in grids(world)}
    right = wrong = 0
    for text, expected in orders:
        result = matching.match(text, within=world.district)
        if result is None or not result.confident:
            continue
        if codes[result.grid_id] == expected:
            right += 1
        else:
            wrong += 1
    on_record = len(orders) - len(nothing)
    assert wrong == 0
    assert right / on_record >= 0.9


def test_order_texts_vary_as_call_takers_write_them(world):
    rows = generate.register_rows(grids(world), seed=2, per_grid=100)
    texts = [text for text, _grid in generate.order_addresses(rows, seed=2, n=600)]
    assert len(set(texts)) > 400
    assert any(ch in "".join(texts) for ch in "一二三四五六七八九十")
    assert any("栋" in t or "座" in t or "号楼" in t for t in texts)
    assert any(t.startswith(("甲镇", "海棠市", "测试市", "江苏省")) for t in texts)
