"""The places importer: `check_places`, `apply_plan` and `manage.py import_places`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from civicgrid.core.errors import ApplicationError
from civicgrid.places.exports import places_feature_collection
from civicgrid.places.importer import apply_plan, check_places
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import boundary_set, place_create
from conftest import square

pytestmark = pytest.mark.django_db

DISTRICT = "329981"
TOWN_C = "329981003"
VILLAGE_C1 = "329981003001"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def feature(
    code: str, name: str, level: str, parent_code: str | None, geometry: dict | None = None, **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent_code, **props},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def new_town_file() -> dict[str, Any]:
    """A new town with one village and two grids side by side, under the existing district."""
    return collection(
        feature(TOWN_C, "丙镇", "town", DISTRICT, name_en="Town C"),
        feature(VILLAGE_C1, "丙一村", "village", TOWN_C),
        feature(VILLAGE_C1 + "001", "丙一村第1网格", "grid", VILLAGE_C1, square(120.90, 31.60)),
        feature(VILLAGE_C1 + "002", "丙一村第2网格", "grid", VILLAGE_C1, square(120.91, 31.60)),
    )


def write(tmp_path: Path, data: Any, name: str = "places.geojson") -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("import_places", str(path), *args, stdout=out, stderr=err)
    assert err.getvalue() == ""  # No progress bar when stderr is not a terminal.
    return out.getvalue()


def run_refused(path: Path, *args: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_places", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Place.objects.count(), Boundary.objects.count(), Boundary.objects.filter(valid_to=None).count()


def test_it_checks_a_clean_file_without_writing(world, tmp_path):
    before = counts()

    out = run(write(tmp_path, new_town_file()))

    assert "Would create 4, update 0, redraw 0, unchanged 0." in out
    assert "run again with --commit" in out
    assert counts() == before


def test_it_writes_everything_with_commit(world, tmp_path):
    places, boundaries, current = counts()

    out = run(write(tmp_path, new_town_file()), "--commit")

    assert "Created 4, updated 0, redrew 0, unchanged 0." in out
    assert counts() == (places + 4, boundaries + 2, current + 2)
    town = Place.objects.get(code=TOWN_C)
    assert (town.parent, town.kind, town.name_en) == (world.district, "town", "Town C")
    grid = Place.objects.get(code=VILLAGE_C1 + "002")
    assert grid.parent.code == VILLAGE_C1
    boundary = grid.boundaries.get()
    assert boundary.valid_to is None
    assert boundary.geometry == square(120.91, 31.60)
    assert boundary.source == "import_places places.geojson"


def test_it_reports_everything_unchanged_when_the_same_file_is_imported_again(world, tmp_path):
    path = write(tmp_path, new_town_file())
    run(path, "--commit")
    before = counts()

    out = run(path, "--commit", "--no-progress")

    assert "Would create 0, update 0, redraw 0, unchanged 4." in out
    assert counts() == before


def test_it_redraws_a_changed_grid_and_keeps_the_place(world, tmp_path):
    old = world.grid_a1a.boundaries.get()
    data = collection(
        feature(
            world.grid_a1a.code,
            world.grid_a1a.name,
            "grid",
            world.village_a1.code,
            square(120.70, 31.60, 0.005),
        )
    )

    out = run(write(tmp_path, data), "--commit")

    assert "Created 0, updated 0, redrew 1, unchanged 0." in out
    old.refresh_from_db()
    assert old.valid_to is not None
    new = Boundary.objects.get(place=world.grid_a1a, valid_to=None)
    assert new.place_id == world.grid_a1a.pk
    assert new.valid_from == old.valid_to
    assert new.geometry == square(120.70, 31.60, 0.005)
    assert Place.objects.filter(code=world.grid_a1a.code).count() == 1


def test_it_renames_an_existing_place_and_keeps_its_english_name_when_the_file_has_none(world, tmp_path):
    data = collection(feature(world.town_a.code, "甲镇（新）", "town", DISTRICT))

    out = run(write(tmp_path, data), "--commit")

    assert "Created 0, updated 1, redrew 0, unchanged 0." in out
    world.town_a.refresh_from_db()
    assert (world.town_a.name, world.town_a.name_en) == ("甲镇（新）", "Town A")


def test_it_sees_the_same_shape_written_differently_as_unchanged(world, tmp_path):
    ring = square(120.70, 31.60)["coordinates"][0]
    rotated = {"type": "Polygon", "coordinates": [[*ring[1:], ring[1]]]}
    data = collection(
        feature(world.grid_a1a.code, world.grid_a1a.name, "grid", world.village_a1.code, rotated)
    )

    out = run(write(tmp_path, data))

    assert "unchanged 1." in out


def test_an_export_reimports_as_unchanged(world, tmp_path):
    exported = places_feature_collection(user=world.superuser, root=world.city)
    before = counts()

    out = run(write(tmp_path, exported), "--commit")

    assert f"Would create 0, update 0, redraw 0, unchanged {len(exported['features'])}." in out
    assert len(exported["features"]) == 9
    assert counts() == before


def test_a_district_admin_reimports_the_export_of_their_district(world, tmp_path):
    exported = places_feature_collection(user=world.city_admin, root=world.district)

    out = run(write(tmp_path, exported), "--commit", "--user", world.city_admin.username)

    assert "unchanged 8." in out


def test_it_defaults_the_kind_to_the_level_and_accepts_a_given_kind(world, tmp_path):
    data = collection(
        feature("329982", "新区", "district", "329900"),
        feature("329982001", "新街道", "town", "329982", kind="street"),
        feature("329982001001", "新社区", "village", "329982001", kind="community"),
    )

    run(write(tmp_path, data), "--commit")

    kinds = dict(Place.objects.filter(code__startswith="329982").values_list("code", "kind"))
    assert kinds == {"329982": "district", "329982001": "street", "329982001001": "community"}


def test_it_accepts_a_multipolygon_grid_and_a_town_boundary(world, tmp_path):
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(120.72, 31.60)["coordinates"], square(120.74, 31.60)["coordinates"]],
    }
    data = collection(
        feature(world.town_a.code, world.town_a.name, "town", DISTRICT, square(120.70, 31.60, 0.1)),
        feature("329981001001003", "甲一村第3网格", "grid", world.village_a1.code, multi),
    )

    out = run(write(tmp_path, data), "--commit")

    assert "Created 1, updated 0, redrew 1, unchanged 0." in out
    assert Boundary.objects.get(place__code="329981001001003").geometry == multi


def test_it_tolerates_a_sliver_of_overlap_below_the_tolerance(world, tmp_path, settings):
    settings.PLACES_OVERLAP_TOLERANCE_M2 = 50
    # 1e-7° × 0.01° is about 0.01 m × 950 m: a rounding sliver, not a real overlap.
    data = collection(
        feature(
            "329981001001003", "甲一村第3网格", "grid", world.village_a1.code, square(120.72 - 1e-7, 31.60)
        )
    )

    out = run(write(tmp_path, data), "--commit")

    assert "Created 1," in out


def test_a_grid_may_touch_its_siblings_along_an_edge(world, tmp_path):
    data = collection(
        feature("329981001001003", "甲一村第3网格", "grid", world.village_a1.code, square(120.72, 31.60))
    )

    assert "Created 1," in run(write(tmp_path, data), "--commit")


def test_it_checks_three_hundred_grids_and_writes_them(world, tmp_path):
    features = [feature(TOWN_C, "丙镇", "town", DISTRICT), feature(VILLAGE_C1, "丙一村", "village", TOWN_C)]
    for n in range(300):
        row, col = divmod(n, 20)
        code = f"{VILLAGE_C1}{n + 1:03d}"
        features.append(
            feature(code, f"网格{n + 1}", "grid", VILLAGE_C1, square(121 + col * 0.01, 31 + row * 0.01))
        )
    path = write(tmp_path, collection(*features))
    places, boundaries, _current = counts()

    out = run(path, "--commit")

    assert "Created 302, updated 0, redrew 0, unchanged 0." in out
    assert counts()[:2] == (places + 302, boundaries + 300)
    assert "unchanged 302." in run(path)


# Each problem names the feature, is explained, and stops the whole import.
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[120.9, 31.6], [120.91, 31.61], [120.91, 31.6], [120.9, 31.61], [120.9, 31.6]]],
}
FAR_EAST = {"type": "Polygon", "coordinates": [[[200, 31.6], [200.01, 31.6], [200.01, 31.61], [200, 31.6]]]}
GRID = VILLAGE_C1 + "001"

PROBLEMS = {
    "missing name": (
        feature(GRID, " ", "grid", VILLAGE_C1, square(120.95, 31.6)),
        f"feature #3 ({GRID}): The feature has no “name”.",
    ),
    "missing code": (
        feature("", "无编码", "grid", VILLAGE_C1, square(120.95, 31.6)),
        "feature #3: The feature has no “code”, or it is not text.",
    ),
    "unknown level": (
        feature(GRID, "网格", "block", VILLAGE_C1, square(120.95, 31.6)),
        "Level “block” is not one of city, district, town, village, grid.",
    ),
    "kind of another level": (
        feature(GRID, "网格", "grid", VILLAGE_C1, square(120.95, 31.6), kind="street"),
        "“street” is not a kind of Grid.",
    ),
    "self-intersecting ring": (
        feature(GRID, "网格", "grid", VILLAGE_C1, BOWTIE),
        "The boundary is not a valid polygon (Self-intersection",
    ),
    "ring too short": (
        feature(
            GRID,
            "网格",
            "grid",
            VILLAGE_C1,
            {"type": "Polygon", "coordinates": [[[120.9, 31.6], [120.91, 31.6], [120.9, 31.6]]]},
        ),
        "The boundary is not a valid polygon (Too few points",
    ),
    "no properties": (
        {"type": "Feature", "properties": None, "geometry": square(120.95, 31.6)},
        "feature #3: The feature has no properties.",
    ),
    "english name not text": (
        feature(GRID, "网格", "grid", VILLAGE_C1, square(120.95, 31.6), name_en=["Grid"]),
        "“name_en” must be text.",
    ),
    "coordinates out of range": (
        feature(GRID, "网格", "grid", VILLAGE_C1, FAR_EAST),
        "Coordinates are out of range",
    ),
    "not a polygon": (
        feature(GRID, "网格", "grid", VILLAGE_C1, {"type": "Point", "coordinates": [120.9, 31.6]}),
        "A boundary must be a Polygon or MultiPolygon, not Point.",
    ),
    "grid without a boundary": (
        feature(GRID, "网格", "grid", VILLAGE_C1, None),
        "A grid needs a boundary, but the feature has no geometry.",
    ),
    "unknown parent": (
        feature("329981004001", "丁一村", "village", "329981004"),
        "Parent “329981004” is neither in the file nor an existing place.",
    ),
    "missing parent": (
        feature("329981004001", "丁一村", "village", None),
        "A Village / community needs a parent.",
    ),
    "parent of the wrong level": (
        feature("329981003002", "丙二村", "village", DISTRICT),
        "A Village / community cannot be placed under a District / county-level city.",
    ),
    "code outside the parent's code": (
        feature("329981001002001", "网格", "grid", VILLAGE_C1, square(120.95, 31.6)),
        "Code “329981001002001” does not start with its parent's code “329981003001”.",
    ),
    "code length of another level": (
        feature("329981003002", "网格", "grid", VILLAGE_C1, square(120.95, 31.6)),
        "A Grid code has 15 digits; “329981003002” does not.",
    ),
    "duplicate code": (
        feature(VILLAGE_C1 + "002", "重复", "grid", VILLAGE_C1, square(120.97, 31.6)),
        "Code “329981003001002” appears more than once in the file (first at feature #3).",
    ),
    "overlap with a grid in the file": (
        feature(VILLAGE_C1 + "003", "重叠", "grid", VILLAGE_C1, square(120.905, 31.60)),
        "feature #4 (329981003001001): The boundary overlaps grid “329981003001003” (feature #3) by",
    ),
    "overlap with an existing grid": (
        feature("329981001001003", "重叠", "grid", "329981001001", square(120.705, 31.605)),
        "The boundary overlaps the existing grid “329981001001001” by 2",
    ),
    "existing place moved to another parent": (
        feature("329981001001001", "甲一村第1网格", "grid", VILLAGE_C1, square(120.70, 31.60)),
        "“329981001001001” is already under “329981001001”; the parent of an existing place cannot change.",
    ),
    "existing place given another level": (
        feature("329981001", "甲镇", "district", "329900"),
        "“329981001” is already a Town / street; the level of an existing place cannot change.",
    ),
    "existing place given another kind": (
        feature("329981001", "甲镇", "town", DISTRICT, kind="street"),
        "“329981001” is already a Town; an import cannot change the kind of a place.",
    ),
}


@pytest.mark.parametrize("bad_feature, message", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_it_reports_each_problem_by_feature_and_writes_nothing(world, tmp_path, bad_feature, message):
    data = new_town_file()
    data["features"].insert(2, bad_feature)  # Feature #3, between the village and its grids.
    before = counts()

    out = run_refused(write(tmp_path, data), "--commit")

    assert message in out
    assert counts() == before


def test_it_reports_every_problem_of_a_file_at_once(world, tmp_path):
    data = new_town_file()
    data["features"] += [
        PROBLEMS["missing name"][0],
        PROBLEMS["unknown parent"][0],
        PROBLEMS["self-intersecting ring"][0],
    ]

    out = run_refused(write(tmp_path, data), "--commit")

    assert "feature #5 (329981003001001): The feature has no “name”." in out
    assert "feature #5 (329981003001001): Code “329981003001001” appears more than once" in out
    assert "feature #6 (329981004001): Parent “329981004” is neither" in out
    assert "feature #7 (329981003001001): The boundary is not a valid polygon" in out


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            b'{"type": "FeatureCollection", "features": [',
            "The file is not valid JSON: Expecting value at line 1",
        ),
        (b"", "The file is not valid JSON"),
        (
            json.dumps(collection(feature("329981", "海棠市", "district", "329900"))).encode("utf-16"),
            "not UTF-8",
        ),
        (
            '{"type": "FeatureCollection", "name": "网格"}'.encode("gbk"),
            "The file is not UTF-8 text (byte 40 cannot be read)",
        ),
        (
            b'{"type": "Feature", "properties": {}, "geometry": null}',
            "The file is not a GeoJSON FeatureCollection.",
        ),
        (b"[1, 2]", "The file is not a GeoJSON FeatureCollection."),
        (b'{"type": "FeatureCollection", "features": []}', "The file has no features."),
        (b'{"type": "FeatureCollection", "features": [1]}', "feature #1: This is not a GeoJSON Feature."),
        (
            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},'
            b' "features": [{"type": "Feature", "properties": {}, "geometry": null}]}',
            "The file declares the coordinate system “EPSG:3857”",
        ),
    ],
    ids=["truncated", "empty", "utf-16", "gbk", "feature", "array", "no features", "not a feature", "crs"],
)
def test_it_explains_a_file_it_cannot_read(world, tmp_path, raw, message):
    before = counts()

    out = run_refused(write(tmp_path, raw), "--commit")

    assert message in out
    assert counts() == before


def test_it_accepts_a_utf8_file_with_a_byte_order_mark(world, tmp_path):
    raw = "\ufeff".encode() + json.dumps(new_town_file(), ensure_ascii=False).encode()

    assert "Would create 4," in run(write(tmp_path, raw))


def test_it_accepts_a_declared_wgs84_crs(world, tmp_path):
    data = new_town_file()
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

    assert "Would create 4," in run(write(tmp_path, data))


def test_it_refuses_a_missing_file_and_an_unknown_user(world, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_places", str(tmp_path / "none.geojson"), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="No active user “nobody”"):
        call_command(
            "import_places", str(write(tmp_path, new_town_file())), "--user", "nobody", stdout=StringIO()
        )


def test_a_district_admin_imports_within_their_district(world, tmp_path):
    out = run(write(tmp_path, new_town_file()), "--commit", "--user", world.city_admin.username)

    assert "Created 4," in out


def test_a_district_admin_is_refused_outside_their_district(world, tmp_path):
    other = place_create(code="329982", name="邻区", level="district", parent=world.city)
    before = counts()
    data = collection(
        feature("329982001", "邻区甲镇", "town", "329982"),
        feature("329983", "新区", "district", "329900"),
        feature("329900", "测试市（改名）", "city", None),
        feature(world.town_a.code, world.town_a.name, "town", DISTRICT),  # Unchanged: no objection.
    )

    out = run_refused(write(tmp_path, data), "--commit", "--user", world.city_admin.username)

    assert "feature #1 (329982001): “329982001” is outside the area you manage." in out
    assert "feature #2 (329983): “329983” is outside the area you manage." in out
    assert "feature #3 (329900): “329900” is outside the area you manage." in out
    assert "feature #4" not in out
    assert counts() == before
    assert other.children.count() == 0


def test_an_outsider_may_import_nothing(world, tmp_path):
    before = counts()

    out = run_refused(write(tmp_path, new_town_file()), "--commit", "--user", world.outsider.username)

    assert out.count("is outside the area you manage.") == 4
    assert counts() == before


def test_apply_plan_refuses_a_plan_with_problems(world):
    plan = check_places(collection(PROBLEMS["unknown parent"][0]))
    before = counts()

    with pytest.raises(ApplicationError) as caught:
        apply_plan(plan, source="test")

    assert caught.value.code == "import_invalid"
    assert caught.value.extra["problems"][0]["number"] == 1
    assert counts() == before


def test_apply_plan_checks_again_when_boundaries_changed_since_the_check(world):
    plan = check_places(
        collection(
            feature("329981001001003", "甲一村第3网格", "grid", world.village_a1.code, square(120.72, 31.60))
        )
    )
    assert plan.ok
    # Someone redraws a sibling over the new grid's square between the check and the write.
    boundary_set(place=world.grid_a1b, geometry=square(120.715, 31.60))
    before = counts()

    with pytest.raises(ApplicationError) as caught:
        apply_plan(plan, source="test")

    assert caught.value.code == "import_stale"
    assert "overlaps the existing grid “329981001001002”" in caught.value.extra["problems"][0]["message"]
    assert counts() == before


def test_check_places_reads_bytes_text_and_parsed_json_alike(world):
    data = new_town_file()
    for given in (data, json.dumps(data), json.dumps(data).encode()):
        plan = check_places(given)
        assert (plan.ok, len(plan.creates), plan.feature_count) == (True, 4, 4)
