"""The demo county: a fictional county-level city, generated the same way on every run.

澄州市 (Chengzhou, code 329800) is a fictional prefecture-level city; its only modelled part is the
county-level city 琴湖市 (Qinhu, 329881), about 28 km across around lon 120.75, lat 31.65: two streets
around the county seat, two towns in the ring outside it, 24 villages and communities and about 300
grids, with agencies, state enterprises and a login for every role.

The pure part (`build_county`) draws every code, name, polygon and person from seeded generators and
touches no database, so tests can build it twice and compare. `demo_load` writes it through the
places and accounts services in one transaction; `manage.py load_demo` calls it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
from django.contrib.auth.hashers import make_password
from django.db import router, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.addresses import demo as addresses_demo
from civicgrid.cases import demo_hotline
from civicgrid.core.errors import ApplicationError
from civicgrid.core.models import AuditEntry
from civicgrid.core.roles import Role
from civicgrid.governance import demo_board, demo_forum, demo_meetings, demo_pairings
from civicgrid.lib.geo import M_PER_DEG_LAT, M_PER_DEG_LON
from civicgrid.orgs import demo as orgs_demo
from civicgrid.places.models import Place
from civicgrid.places.services import boundary_set, bump_routing_revision, place_create
from civicgrid.points import demo as points_demo
from civicgrid.site import demo_cases
from civicgrid.volunteers import demo as volunteers_demo

DEMO_SEED = 20261129
# One password for every demo login; the demo is for trying the app, never for real data.
DEMO_PASSWORD = "Demo-2026"  # noqa: S105
CITY_CODE = "329800"
DISTRICT_CODE = "329881"
# Demo accounts carry this e-mail domain, so `--reset` removes only accounts the demo made.
DEMO_EMAIL_DOMAIN = "demo.invalid"
BOUNDARY_SOURCE = "demo"

CENTRE_LON = 120.75
CENTRE_LAT = 31.65
# Boundaries are stored with 6 decimals (about 0.1 m); every overlay snaps to this grid so that
# siblings share their edges exactly.
GRID_SIZE = 1e-6
_M_PER_DEG_X = M_PER_DEG_LON * math.cos(math.radians(CENTRE_LAT))
_M_PER_DEG_Y = M_PER_DEG_LAT

# --- Names ---------------------------------------------------------------------------------------

CITY = ("澄州市", "Chengzhou City")
DISTRICT = ("琴湖市", "Qinhu City")


@dataclass(frozen=True)
class _TownPlan:
    code_suffix: str
    stem: str
    stem_en: str
    kind: str  # "street" or "town"
    communities: int
    villages: int
    in_core: bool  # streets share the county seat; towns share the ring around it


# Code suffixes follow the national statistical codes: streets 001-099, towns 100-199; in a village
# code, communities (居委会) take 001-199 and villages (村委会) 200-399.
_TOWNS = (
    _TownPlan("001", "澄湖", "Chenghu", "street", 6, 0, True),
    _TownPlan("002", "星浦", "Xingpu", "street", 4, 2, True),
    _TownPlan("100", "荷塘", "Hetang", "town", 1, 5, False),
    _TownPlan("101", "柳泾", "Liujing", "town", 1, 5, False),
)
_COMMUNITY_NAMES = (
    ("明珠", "Mingzhu"),
    ("文昌", "Wenchang"),
    ("花园", "Huayuan"),
    ("锦绣", "Jinxiu"),
    ("星湖", "Xinghu"),
    ("湖滨", "Hubin"),
    ("滨江", "Binjiang"),
    ("学府", "Xuefu"),
    ("古城", "Gucheng"),
    ("银杏", "Yinxing"),
    ("梅园", "Meiyuan"),
    ("翠竹", "Cuizhu"),
    ("凤凰", "Fenghuang"),
    ("望湖", "Wanghu"),
    ("枫林", "Fenglin"),
    ("金港", "Jingang"),
)
_VILLAGE_NAMES = (
    ("新桥", "Xinqiao"),
    ("长浜", "Changbang"),
    ("青松", "Qingsong"),
    ("杨柳", "Yangliu"),
    ("南塘", "Nantang"),
    ("北庄", "Beizhuang"),
    ("白鹭", "Bailu"),
    ("芦花", "Luhua"),
    ("渔港", "Yugang"),
    ("桃源", "Taoyuan"),
    ("永安", "Yong'an"),
    ("太平", "Taiping"),
    ("联丰", "Lianfeng"),
    ("红旗", "Hongqi"),
    ("东升", "Dongsheng"),
    ("西塘", "Xitang"),
    ("荷花", "Hehua"),
    ("丰乐", "Fengle"),
    ("沙洲", "Shazhou"),
    ("双浜", "Shuangbang"),
    ("石桥", "Shiqiao"),
    ("田湾", "Tianwan"),
    ("兴隆", "Xinglong"),
    ("莲花", "Lianhua"),
)
_SURNAMES = (
    ("张", "Zhang"),
    ("王", "Wang"),
    ("李", "Li"),
    ("陈", "Chen"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("沈", "Shen"),
    ("陆", "Lu"),
    ("顾", "Gu"),
    ("钱", "Qian"),
    ("朱", "Zhu"),
    ("蒋", "Jiang"),
    ("姚", "Yao"),
    ("孙", "Sun"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("金", "Jin"),
    ("邹", "Zou"),
    ("严", "Yan"),
    ("蔡", "Cai"),
    ("范", "Fan"),
    ("曹", "Cao"),
    ("华", "Hua"),
    ("倪", "Ni"),
    ("管", "Guan"),
    ("缪", "Miao"),
    ("浦", "Pu"),
    ("殷", "Yin"),
    ("冯", "Feng"),
    ("潘", "Pan"),
)
# Natural villages in the Jiangnan plain are named after a family and a landmark: 张家宅, 陆家浜.
_HAMLET_SUFFIXES = (
    ("宅", "zhai"),
    ("宅基", "zhaiji"),
    ("浜", "bang"),
    ("桥", "qiao"),
    ("埭", "dai"),
    ("湾", "wan"),
    ("巷", "xiang"),
    ("庄", "zhuang"),
    ("坝", "ba"),
    ("角", "jiao"),
)
_GIVEN_NAMES = (
    "建国", "秀英", "志强", "丽华", "海峰", "晓燕", "国平", "玉兰", "卫东", "静", "敏", "伟", "磊",
    "婷", "军", "芳", "红梅", "建华", "明", "晨", "雪芳", "俊", "雨萱", "子涵", "浩然", "佳怡",
    "文斌", "凤英", "金华", "梦琪", "振宇", "桂芬", "永刚", "慧", "杰", "小龙", "春燕", "宏伟",
    "欣怡", "思远",
)  # fmt: skip
_MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177",
                    "180", "181", "182", "187", "188", "189", "199")  # fmt: skip


@dataclass(frozen=True)
class _AgencyPlan:
    code: str
    name: str
    name_en: str
    kind: str


_AGENCIES = (
    _AgencyPlan("qinhu-housing", "琴湖市住房和城乡建设局", "Qinhu Housing and Urban-Rural Development Bureau",
                "government"),
    _AgencyPlan("qinhu-urban-management", "琴湖市城市管理局", "Qinhu Urban Management Bureau", "government"),
    _AgencyPlan("qinhu-water", "琴湖市水务局", "Qinhu Water Affairs Bureau", "government"),
    _AgencyPlan("qinhu-transport", "琴湖市交通运输局", "Qinhu Transport Bureau", "government"),
    _AgencyPlan("qinhu-environment", "澄州市琴湖生态环境局", "Chengzhou Ecology and Environment Bureau, Qinhu",
                "government"),
    _AgencyPlan("qinhu-market", "琴湖市市场监督管理局", "Qinhu Market Regulation Administration", "government"),
    _AgencyPlan("qinhu-emergency", "琴湖市应急管理局", "Qinhu Emergency Management Bureau", "government"),
    _AgencyPlan("qinhu-civil-affairs", "琴湖市民政局", "Qinhu Civil Affairs Bureau", "government"),
    _AgencyPlan("qinhu-power", "国网琴湖市供电公司", "State Grid Qinhu Power Supply Company", "state_enterprise"),
    _AgencyPlan("qinhu-gas", "琴湖市燃气有限公司", "Qinhu Gas Company", "state_enterprise"),
    _AgencyPlan("qinhu-water-supply", "琴湖市自来水有限公司", "Qinhu Water Supply Company", "state_enterprise"),
    _AgencyPlan("qinhu-bus", "琴湖市公共交通集团有限公司", "Qinhu Public Transport Group", "state_enterprise"),
)  # fmt: skip
_PERSONA_AGENCY = "qinhu-urban-management"

# --- What the generator returns -----------------------------------------------------------------


@dataclass(frozen=True)
class PlaceSpec:
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None
    geometry: dict[str, Any] | None = None


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    name_en: str
    kind: str
    phone: str


@dataclass(frozen=True)
class PersonSpec:
    username: str
    display_name: str
    phone: str
    role: str | None  # None: the superuser, who needs no role
    place_code: str | None = None
    agency_code: str | None = None
    # The named logins come first and are listed by `demo_logins`; the staff behind them are not.
    persona: bool = False


@dataclass
class DemoCounty:
    places: list[PlaceSpec] = field(default_factory=list)
    agencies: list[AgencySpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)

    def digest(self) -> str:
        """Return a SHA-256 of everything generated, so two runs can be compared."""
        data = {
            "places": [asdict(p) for p in self.places],
            "agencies": [asdict(a) for a in self.agencies],
            "people": [asdict(p) for p in self.people],
        }
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def place(self, code: str) -> PlaceSpec:
        return next(p for p in self.places if p.code == code)


# --- The plan: codes, names and people, independent of geometry --------------------------------


@dataclass(frozen=True)
class _UnitPlan:
    """A village or community: its code, names and the names of its grids, in code order."""

    code: str
    name: str
    name_en: str
    kind: str
    grids: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Plan:
    towns: tuple[tuple[_TownPlan, tuple[_UnitPlan, ...]], ...]
    agencies: tuple[AgencySpec, ...]
    people: tuple[PersonSpec, ...]


def _plan(seed: int) -> _Plan:
    """Draw every code, name and person; geometry only decides which cell each one gets."""
    rng = random.Random(seed)
    community_names = rng.sample(_COMMUNITY_NAMES, len(_COMMUNITY_NAMES))
    village_names = rng.sample(_VILLAGE_NAMES, len(_VILLAGE_NAMES))
    hamlets = [(s + "家" + x, s_en + "jia" + x_en) for s, s_en in _SURNAMES for x, x_en in _HAMLET_SUFFIXES]
    rng.shuffle(hamlets)

    towns = []
    for town in _TOWNS:
        town_code = DISTRICT_CODE + town.code_suffix
        units = []
        for i in range(town.communities):
            # A town's seat is the community named after the town.
            zh, en = (town.stem, town.stem_en) if town.kind == "town" else community_names.pop()
            count = rng.randint(13, 17)
            grids = tuple((f"{zh}社区第{n}网格", f"{en} Community Grid {n}") for n in range(1, count + 1))
            units.append(
                _UnitPlan(f"{town_code}{i + 1:03d}", f"{zh}社区", f"{en} Community", "community", grids)
            )
        for i in range(town.villages):
            zh, en = village_names.pop()
            grids = tuple(
                (f"{h}网格", f"{h_en} Grid")
                for h, h_en in (hamlets.pop() for _n in range(rng.randint(8, 12)))
            )
            units.append(_UnitPlan(f"{town_code}{201 + i:03d}", f"{zh}村", f"{en} Village", "village", grids))
        towns.append((town, tuple(units)))

    phones: set[str] = set()

    def phone() -> str:
        while True:
            number = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number not in phones:
                phones.add(number)
                return number

    names: set[str] = set()

    def person_name() -> str:
        while True:
            name = rng.choice(_SURNAMES)[0] + rng.choice(_GIVEN_NAMES)
            if name not in names:
                names.add(name)
                return name

    agencies = tuple(
        AgencySpec(a.code, a.name, a.name_en, a.kind, f"0520-52{rng.randrange(10**6):06d}") for a in _AGENCIES
    )
    first_town, first_units = towns[0]
    first_unit = first_units[0]
    first_grid = first_unit.code + "001"
    first_town_code = DISTRICT_CODE + first_town.code_suffix

    def persona(
        username: str, role: str | None, place: str | None = None, agency: str | None = None
    ) -> PersonSpec:
        name = person_name() if role else "系统管理员"
        return PersonSpec(username, name, phone(), role, place, agency, persona=True)

    people = [
        persona("admin", None),
        persona("city", "city_admin", CITY_CODE),
        persona("county", "district_admin", DISTRICT_CODE),
        persona("town", "town_operator", first_town_code),
        persona("village", "village_cadre", first_unit.code),
        persona("grid", "grid_worker", first_grid),
        persona("gridleader", "grid_leader", first_grid),
        persona("agency", "agency_staff", agency=_PERSONA_AGENCY),
        persona("resident", "resident", first_unit.code),
        persona("rider", "mobile_grid_member", DISTRICT_CODE),
        persona("volunteer", "volunteer"),
        persona("federation", "federation_cadre"),
    ]
    # Every other village and grid gets its cadre and grid worker, so lists and maps show people.
    for _town, units in towns:
        for unit in units:
            if unit.code != first_unit.code:
                people.append(
                    PersonSpec(f"vc{unit.code}", person_name(), phone(), "village_cadre", unit.code)
                )
            for n in range(1, len(unit.grids) + 1):
                grid_code = f"{unit.code}{n:03d}"
                if grid_code != first_grid:
                    people.append(
                        PersonSpec(f"gw{grid_code}", person_name(), phone(), "grid_worker", grid_code)
                    )
    return _Plan(tuple(towns), agencies, tuple(people))


# --- Geometry -------------------------------------------------------------------------------------

Polygonal = Polygon | MultiPolygon


def _to_degrees(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(
        (CENTRE_LON + coords[:, 0] / _M_PER_DEG_X, CENTRE_LAT + coords[:, 1] / _M_PER_DEG_Y)
    )


def _to_metres(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(
        ((coords[:, 0] - CENTRE_LON) * _M_PER_DEG_X, (coords[:, 1] - CENTRE_LAT) * _M_PER_DEG_Y)
    )


def _polygonal(geom: shapely.Geometry) -> Polygonal | None:
    """Return the polygonal part of an overlay result (dropping stray lines and points), or None."""
    parts: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon | shapely.GeometryCollection):
            found = _polygonal(part)
            parts += list(shapely.get_parts(found)) if found is not None else []
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _snapped(geom: shapely.Geometry) -> Polygonal:
    """Return `geom` on the 6-decimal grid, valid and polygonal, exactly as it will be stored."""
    geom = _polygonal(shapely.set_precision(geom, GRID_SIZE))
    if geom is None:
        raise ValueError("a demo polygon collapsed")
    stored = shape(_geojson(geom))
    if not stored.is_valid:
        stored = _polygonal(shapely.set_precision(shapely.make_valid(stored), GRID_SIZE))
        if stored is None or not shape(_geojson(stored)).is_valid:
            raise ValueError("a demo polygon cannot be made valid")
    return shape(_geojson(stored))


def _geojson(geom: Polygonal) -> dict[str, Any]:
    def rounded(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [rounded(v) for v in value]
        return round(float(value), 6)

    data = mapping(geom)
    return {"type": data["type"], "coordinates": rounded(data["coordinates"])}


def _blob(rng: random.Random, radius: float, vertices: int, roughness: float) -> np.ndarray:
    """Return the ring (in metres) of an irregular star-shaped outline of about `radius`."""
    waves = [(rng.uniform(0.3, 1.0) * roughness / k, k, rng.uniform(0, 2 * math.pi)) for k in range(2, 8)]
    points = []
    for i in range(vertices):
        theta = 2 * math.pi * i / vertices
        r = radius * (1 + sum(a * math.cos(k * theta + phase) for a, k, phase in waves))
        r *= 1 + rng.uniform(-0.015, 0.015)
        points.append((r * math.cos(theta), r * math.sin(theta)))
    return np.array(points)


def _seeds_in(parent_m: Polygonal, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """Return `n` random points inside `parent_m`, kept apart so no cell is a sliver."""
    shapely.prepare(parent_m)
    min_x, min_y, max_x, max_y = parent_m.bounds
    spacing = 0.6 * math.sqrt(parent_m.area / n)
    seeds: list[tuple[float, float]] = []
    tries = 0
    while len(seeds) < n:
        tries += 1
        if tries % 2000 == 0:
            spacing *= 0.8
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if not shapely.contains_xy(parent_m, x, y):
            continue
        if all((x - sx) ** 2 + (y - sy) ** 2 >= spacing**2 for sx, sy in seeds):
            seeds.append((x, y))
    return seeds


def _voronoi(seeds: Sequence[tuple[float, float]], parent_m: Polygonal) -> list[Polygon]:
    """Return the Voronoi cell of each seed, in the order of the seeds."""
    points = [Point(s) for s in seeds]
    extent = box(*parent_m.buffer(1000).bounds)
    cells = list(shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=extent).geoms)
    tree = shapely.STRtree(cells)
    return [cells[int(tree.query(p, predicate="within")[0])] for p in points]


def _tessellate(parent: Polygonal, n: int, rng: random.Random, lloyd: int = 2) -> list[Polygonal]:
    """Split `parent` (degrees, on the stored grid) into `n` cells that tile it exactly.

    1. Draw seeds in a metric plane and relax them a few Lloyd steps, for evenly sized cells.
    2. Clip each seed's Voronoi cell to the parent on the 6-decimal grid, so neighbours share edges.
    3. Hand stray fragments of a cell (a concave parent can cut one in two) to the neighbour they
       share the longest edge with, so every cell is one piece where the parent allows.
    """
    if n == 1:
        return [parent]
    parent_m = shapely.transform(parent, _to_metres)
    seeds = _seeds_in(parent_m, n, rng)
    for _step in range(lloyd):
        moved = []
        for seed, cell in zip(seeds, _voronoi(seeds, parent_m), strict=True):
            clipped = cell.intersection(parent_m)
            centre = clipped.centroid
            if clipped.is_empty or not parent_m.contains(centre):
                centre = clipped.representative_point() if not clipped.is_empty else Point(seed)
            moved.append((centre.x, centre.y))
        seeds = moved
    cells = [shapely.transform(c, _to_degrees) for c in _voronoi(seeds, parent_m)]
    seeds_deg = [tuple(_to_degrees(np.array([s]))[0]) for s in seeds]
    pieces: list[Polygonal | None] = [
        _polygonal(shapely.intersection(c, parent, grid_size=GRID_SIZE)) for c in cells
    ]
    fragments: list[tuple[int, Polygon]] = []
    for i, piece in enumerate(pieces):
        if isinstance(piece, MultiPolygon):
            seed = Point(seeds_deg[i])
            parts = sorted(piece.geoms, key=lambda p: (not p.intersects(seed), -p.area))
            pieces[i] = parts[0]
            fragments += [(i, p) for p in parts[1:]]
    for owner, fragment in sorted(fragments, key=lambda f: -f[1].area):
        shared = [
            (shapely.intersection(fragment.boundary, p.boundary, grid_size=GRID_SIZE).length, j)
            for j, p in enumerate(pieces)
            if p is not None and j != owner
        ]
        length, j = max(shared, default=(0.0, owner))
        target = j if length > 0 else owner
        pieces[target] = _polygonal(shapely.union(pieces[target], fragment, grid_size=GRID_SIZE))
    # Seeds lie inside the parent, so every cell keeps a piece; anything else is a bug here.
    if any(p is None for p in pieces):
        raise ValueError("a demo cell fell outside its parent")
    return [_snapped(p) for p in pieces if p is not None]


def _reading_order(cells: Sequence[Polygonal], parent: Polygonal) -> list[int]:
    """Return cell indices in map-reading order: north to south in bands, west to east in each."""
    _min_x, min_y, _max_x, max_y = parent.bounds
    bands = max(1, round(math.sqrt(len(cells))))
    height = (max_y - min_y) / bands or 1.0

    def key(i: int) -> tuple[int, float]:
        point = cells[i].representative_point()
        return (min(bands - 1, int((max_y - point.y) / height)), point.x)

    return sorted(range(len(cells)), key=key)


def build_county(seed: int = DEMO_SEED) -> DemoCounty:
    """Generate the whole demo county (no database): places with boundaries, agencies, people.

    1. Draw an irregular county outline of about 28 km across; cut a county seat out of its middle.
    2. Split the seat into the two streets and the ring around it into the two towns.
    3. Split each town into its communities (nearest the seat) and villages, each into its grids.
    """
    plan = _plan(seed)
    rng = random.Random(seed + 1)
    county = _snapped(Polygon(_to_degrees(_blob(rng, 14_000, 120, 0.22))))
    seat_ring = _to_degrees(
        _blob(rng, 4_500, 60, 0.15) + np.array([rng.uniform(-800, 800), rng.uniform(-800, 800)])
    )
    core = _snapped(shapely.intersection(Polygon(seat_ring), county, grid_size=GRID_SIZE))
    ring = _snapped(shapely.difference(county, core, grid_size=GRID_SIZE))

    out = DemoCounty(agencies=list(plan.agencies), people=list(plan.people))
    out.places.append(PlaceSpec(CITY_CODE, CITY[0], CITY[1], "city", "city", None, _geojson(county)))
    out.places.append(
        PlaceSpec(
            DISTRICT_CODE, DISTRICT[0], DISTRICT[1], "district", "county_city", CITY_CODE, _geojson(county)
        )
    )
    town_shapes: dict[str, Polygonal] = {}
    for area, in_core in ((core, True), (ring, False)):
        plans = [t for t, _units in plan.towns if t.in_core == in_core]
        cells = _tessellate(area, len(plans), rng)
        for town, i in zip(plans, _reading_order(cells, area), strict=True):
            town_shapes[town.code_suffix] = cells[i]

    villages: list[PlaceSpec] = []
    grids: list[PlaceSpec] = []
    centre = Point(CENTRE_LON, CENTRE_LAT)
    for town, units in plan.towns:
        town_code = DISTRICT_CODE + town.code_suffix
        town_shape = town_shapes[town.code_suffix]
        label = "街道" if town.kind == "street" else "镇"
        label_en = "Subdistrict" if town.kind == "street" else "Town"
        name, name_en = town.stem + label, f"{town.stem_en} {label_en}"
        out.places.append(
            PlaceSpec(town_code, name, name_en, "town", town.kind, DISTRICT_CODE, _geojson(town_shape))
        )
        cells = _tessellate(town_shape, len(units), rng)
        # Communities take the cells nearest the seat: the county seat for streets, the town's own
        # seat (its most central point) for towns.
        seat = centre if town.kind == "street" else town_shape.representative_point()
        by_distance = sorted(range(len(cells)), key=lambda i: cells[i].distance(seat))
        community_cells = set(by_distance[: town.communities])
        order = _reading_order(cells, town_shape)
        ordered = [i for i in order if i in community_cells] + [i for i in order if i not in community_cells]
        for unit, i in zip(units, ordered, strict=True):
            villages.append(
                PlaceSpec(
                    unit.code, unit.name, unit.name_en, "village", unit.kind, town_code, _geojson(cells[i])
                )
            )
            grid_cells = _tessellate(cells[i], len(unit.grids), rng)
            for n, j in enumerate(_reading_order(grid_cells, cells[i]), start=1):
                name, name_en = unit.grids[n - 1]
                grid = PlaceSpec(
                    f"{unit.code}{n:03d}", name, name_en, "grid", "grid", unit.code, _geojson(grid_cells[j])
                )
                grids.append(grid)
    out.places += villages + grids
    return out


# --- Logins ---------------------------------------------------------------------------------------


def _scope_names(seed: int) -> dict[str, str]:
    plan = _plan(seed)
    names = {CITY_CODE: CITY[0], DISTRICT_CODE: DISTRICT[0]}
    for town, units in plan.towns:
        names[DISTRICT_CODE + town.code_suffix] = town.stem + ("街道" if town.kind == "street" else "镇")
        for unit in units:
            names[unit.code] = unit.name
            for n, (grid_name, _en) in enumerate(unit.grids, start=1):
                names[f"{unit.code}{n:03d}"] = grid_name
    names.update({a.code: a.name for a in plan.agencies})
    return names


def demo_logins(seed: int = DEMO_SEED) -> list[tuple[str, str, str]]:
    """Return (username, role, scope) of each named demo login; all use DEMO_PASSWORD."""
    names = _scope_names(seed)
    rows = []
    for person in _plan(seed).people:
        if not person.persona:
            continue
        role = str(Role(person.role).label) if person.role else _("System administrator")
        scope = person.place_code or person.agency_code
        if person.role == Role.FEDERATION_CADRE:
            # Scoped by their office in the network (orgs.demo), not by a place.
            text = _("vice-chair, %(name)s") % {"name": DISTRICT[0] + "妇联"}
        else:
            text = names[scope] if scope else "—"
        rows.append((person.username, role, text))
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def logins_table(seed: int = DEMO_SEED) -> str:
    """Return the demo logins as a plain-text table (Chinese text counts double width)."""
    header = (_("Username"), _("Password"), _("Role"), _("Scope"))
    rows = [header] + [(u, DEMO_PASSWORD, role, scope) for u, role, scope in demo_logins(seed)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


# --- Loading --------------------------------------------------------------------------------------


@dataclass
class DemoLoadResult:
    created: bool
    places: int = 0
    boundaries: int = 0
    agencies: int = 0
    users: int = 0
    cases: int = 0
    # Usernames that already belonged to someone else; left untouched.
    skipped_usernames: list[str] = field(default_factory=list)


def demo_exists() -> bool:
    return Place.objects.filter(code=CITY_CODE).exists()


@transaction.atomic
def demo_load(*, county: DemoCounty | None = None) -> DemoLoadResult:
    """Write the demo county, unless its city is already there; all or nothing.

    1. Places and boundaries through the places services, parents first.
    2. Agencies through `agency_create`, serving the county-level city.
    3. The named logins through `user_create` and `role_assign`; the ~330 cadres and grid workers in
       bulk (their scopes come from the generator, so the checks those services make hold by
       construction). Accounts whose username or phone is taken are skipped or left without a phone.
    """
    if demo_exists():
        return DemoLoadResult(created=False)
    county = county or build_county()
    result = DemoLoadResult(created=True)
    now = timezone.now()
    places: dict[str, Place] = {}
    for spec in county.places:
        places[spec.code] = place_create(
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
            level=spec.level,
            kind=spec.kind,
            parent=places.get(spec.parent_code) if spec.parent_code else None,
        )
        if spec.geometry is not None:
            boundary_set(
                place=places[spec.code],
                geometry=spec.geometry,
                valid_from=now,
                source=BOUNDARY_SOURCE,
                bump=False,
            )
            result.boundaries += 1
    # One bump for the whole county: every process rebuilds its routing index once.
    bump_routing_revision()
    result.places = len(places)

    district = places[DISTRICT_CODE]
    agencies = {
        a.code: agency_create(
            code=a.code, name=a.name, name_en=a.name_en, kind=a.kind, region=district, phone=a.phone
        )
        for a in county.agencies
    }
    result.agencies = len(agencies)

    taken_usernames = {
        u.lower()
        for u in User.objects.filter(username__in=[p.username for p in county.people]).values_list(
            "username", flat=True
        )
    }
    taken_phones = set(
        User.objects.filter(phone__in=[p.phone for p in county.people]).values_list("phone", flat=True)
    )
    # Hashing is deliberately slow; one hash serves every demo account, which share one password anyway.
    password = make_password(DEMO_PASSWORD)
    created: list[User] = []
    bulk_people: list[PersonSpec] = []
    for person in county.people:
        if person.username.lower() in taken_usernames:
            result.skipped_usernames.append(person.username)
            continue
        phone = None if person.phone in taken_phones else person.phone
        if not person.persona:
            bulk_people.append(person)
            continue
        user = user_create(
            username=person.username,
            password=None,
            display_name=person.display_name,
            phone=phone,
            is_superuser=person.role is None,
        )
        if person.role:
            role_assign(
                user=user,
                role=person.role,
                place=places.get(person.place_code) if person.place_code else None,
                agency=agencies.get(person.agency_code) if person.agency_code else None,
            )
        created.append(user)
    staff = User.objects.bulk_create(
        [
            User(
                username=p.username,
                display_name=p.display_name,
                phone=None if p.phone in taken_phones else p.phone,
                password=password,
                email=f"{p.username}@{DEMO_EMAIL_DOMAIN}",
            )
            for p in bulk_people
        ]
    )
    if any(u.pk is None for u in staff):  # a backend that cannot return ids from a bulk insert
        ids = dict(
            User.objects.filter(username__in=[u.username for u in staff]).values_list("username", "pk")
        )
        for u in staff:
            u.pk = ids[u.username]
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=u, role=p.role, place=places[p.place_code])
            for u, p in zip(staff, bulk_people, strict=True)
        ]
    )
    for user in created:
        user.password = password
        user.email = f"{user.username}@{DEMO_EMAIL_DOMAIN}"
    User.objects.bulk_update(created, ["password", "email"])
    result.users = len(created) + len(staff)
    by_name = {u.username: u for u in created}
    persona_town = next(
        ra.place for ra in RoleAssignment.objects.filter(user__username="town").select_related("place")
    )
    result.cases = demo_cases.load(
        district=places[DISTRICT_CODE],
        town=persona_town,
        reporters=[u for name, u in by_name.items() if name in ("resident", "rider")],
        focus_grid=next(
            (ra.place for ra in RoleAssignment.objects.filter(user__username="grid").select_related("place")),
            None,
        ),
    )
    addresses_demo.load()
    demo_hotline.load()  # imported against the register just loaded
    _load_volunteers_and_points(persona_town, by_name)
    orgs_demo.seed(city=places[CITY_CODE], pilot_district=district, people=by_name)
    # Co-governance: meetings first (the forum's supported topics go onto their agendas), the task
    # board before the pairings (support records name matters taken up).
    demo_meetings.load()
    demo_forum.load()
    demo_board.load()
    demo_pairings.load()
    return result


def _load_volunteers_and_points(town: Place, by_name: dict[str, User]) -> None:
    """The volunteer teams, activities and hours of the persona town's communities (the persona
    village's first: its 16 teams), the points rules first, so the hours approved earn points once the
    load commits, then rewards, redemptions and a published leaderboard."""
    village = next(
        (ra.place for ra in RoleAssignment.objects.filter(user__username="village").select_related("place")),
        None,
    )
    communities = list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE).order_by("code"))
    if village is not None and village in communities:
        communities.remove(village)
        communities.insert(0, village)
    points_demo.seed_rules(communities)
    role_of = {
        "volunteer": "volunteer",
        "village_cadre": "village",
        "town_operator": "town",
        "district_admin": "county",
        "city_admin": "city",
        "resident": "resident",
        "mobile_grid_member": "rider",
    }
    people = {role: by_name[name] for role, name in role_of.items() if name in by_name}
    volunteers_demo.seed(communities, people)
    points_demo.seed(communities, people)


@transaction.atomic
def demo_delete() -> int:
    """Remove the demo county and the accounts the demo made; return how many places went.

    Refuses, changing nothing, while anything else (a case, a points entry) still refers to the
    demo data: that is no longer only demo data.
    """
    city = Place.objects.filter(code=CITY_CODE).first()
    if city is None:
        return 0
    in_demo = Q(code__startswith=city.scope_prefix)
    demo_places = Place.objects.filter(in_demo)
    usernames = [p.username for p in _plan(DEMO_SEED).people]
    agencies = Agency.objects.filter(code__in=[a.code for a in _AGENCIES], region__in=demo_places)
    try:
        orgs_demo.delete()
        # Co-governance rows hold the demo's places, cases and accounts: they go first.
        demo_pairings.delete()
        demo_board.delete()
        demo_forum.delete(demo_places)
        demo_meetings.delete()
        demo_users = User.objects.filter(username__in=usernames, email__endswith="@" + DEMO_EMAIL_DOMAIN)
        demo_hotline.delete()
        demo_cases.delete(reporters=demo_users)
        generated = User.objects.filter(email__endswith="@" + volunteers_demo.EMAIL_DOMAIN)
        people = demo_users | generated
        points_demo.delete(demo_places, people)
        volunteers_demo.delete(demo_places, people)
        # What the demo's own accounts did is on the audit log (append-only): theirs go with them.
        AuditEntry.objects.filter(actor__in=people)._raw_delete(router.db_for_write(AuditEntry))
        generated.delete()
        RoleAssignment.objects.filter(Q(place__in=demo_places) | Q(agency__in=agencies)).delete()
        User.objects.filter(username__in=usernames, email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()
        agencies.delete()
        addresses_demo.delete()
        count = demo_places.count()
        for level in reversed(Place.LEVEL_ORDER):
            Place.objects.filter(in_demo, level=level).delete()
    except (ProtectedError, RestrictedError) as exc:
        blocking = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        used_by = sorted({str(obj._meta.verbose_name) for obj in blocking})
        raise ApplicationError(
            _("The demo data is in use (%(what)s) and was not removed.") % {"what": ", ".join(used_by)},
            code="demo_in_use",
        )
    bump_routing_revision()
    return count
