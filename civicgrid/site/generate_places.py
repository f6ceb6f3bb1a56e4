"""Scale places: grow the demo city to about N grids for `manage.py generate_cases --grids N`.

The demo county (`demo.py`) has about 300 grids; a real city has thousands. Before the cases are
drawn, `grow_city` adds, beside the county and under the same city, synthetic districts (区) with
their towns and streets (镇/街道), villages and communities (村/社区) and grids (网格), so that there
are about N grids in all:

- proportions as a city's: 10–20 towns a district, 8–20 villages a town, 8–15 grids a village; streets
  are mostly communities, towns a seat community and villages; codes as the demo's (`Place`: district
  `3298xx`, streets 001–099 and towns 100–199, communities 001–199 and villages 201–399, grids 001–);
  Chinese names from fragments (东桥区, 金塘镇, 白鹭村, 张家宅网格) with English names beside;
- boundaries: rectangles on one lattice east of the county, each split among its children in
  proportion to their size (a community's grid about 0.3 km², a village's 1.5 km²), every cut rounded
  to the stored 6 decimals once, so children tile their parent exactly and never overlap; the city's
  boundary becomes the county and the lattice;
- staff, as generated accounts (`gen-…`): a district administrator per district, an operator per town,
  a cadre per village, a grid worker per grid; and per district the agencies the demo county has (a
  case is dispatched only to an agency serving its region), named after the district;
- everything written in bulk in the caller's transaction, then one routing revision bump.

Drawn from the seed alone, apart from the cases: the same seed and N give the same places.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone

from civicgrid.accounts.models import Agency, RoleAssignment, User
from civicgrid.core.errors import ApplicationError
from civicgrid.core.roles import Role
from civicgrid.lib.geo import M_PER_DEG_LAT, M_PER_DEG_LON
from civicgrid.places import mapindex, routing
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import boundary_set, bump_routing_revision
from civicgrid.site import demo

BOUNDARY_SOURCE = "generated"
# About how many grids a district gets (15 towns of 14 villages of 11.5 grids).
GRIDS_PER_DISTRICT = 2400
# District code suffixes: districts (区) 02–80, then county-level cities (市) 82–99; 81 is the demo's.
DISTRICT_SUFFIXES = [f"{n:02d}" for n in range(2, 81)] + [f"{n:02d}" for n in range(82, 100)]
MAX_GRIDS = 200_000
# Area of one grid, km²: dense communities, spread-out villages.
COMMUNITY_GRID_KM2 = 0.3
VILLAGE_GRID_KM2 = 1.5
# Between the county's box and the new districts.
GAP_M = 1000.0

# Two-character place names: a first and a second syllable, with their pinyin.
_FIRST = (
    ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("新", "Xin"), ("金", "Jin"),
    ("银", "Yin"), ("青", "Qing"), ("白", "Bai"), ("石", "Shi"), ("长", "Chang"), ("花", "Hua"),
    ("龙", "Long"), ("凤", "Feng"), ("永", "Yong"), ("太", "Tai"), ("兴", "Xing"), ("福", "Fu"),
    ("宝", "Bao"), ("红", "Hong"), ("黄", "Huang"), ("双", "Shuang"), ("沙", "Sha"), ("江", "Jiang"),
    ("梅", "Mei"), ("桃", "Tao"), ("松", "Song"), ("柳", "Liu"), ("杨", "Yang"), ("望", "Wang"),
    ("高", "Gao"), ("滨", "Bin"), ("富", "Fu"), ("云", "Yun"), ("清", "Qing"), ("盛", "Sheng"),
)  # fmt: skip
_SECOND = (
    ("桥", "qiao"), ("塘", "tang"), ("港", "gang"), ("浦", "pu"), ("泾", "jing"), ("浜", "bang"),
    ("湾", "wan"), ("庄", "zhuang"), ("山", "shan"), ("林", "lin"), ("园", "yuan"), ("河", "he"),
    ("溪", "xi"), ("坊", "fang"), ("华", "hua"), ("丰", "feng"), ("安", "an"), ("宁", "ning"),
    ("阳", "yang"), ("城", "cheng"), ("泉", "quan"), ("岭", "ling"), ("墩", "dun"), ("洲", "zhou"),
    ("亭", "ting"), ("埠", "bu"), ("荡", "dang"), ("渡", "du"), ("里", "li"), ("田", "tian"),
)  # fmt: skip
# The agencies of each new district, as the demo county's (the suffix of the demo's code is kept, so a
# category's default agency has its counterpart in every district). {d}: the district's name.
_AGENCIES = (
    ("housing", "{d}住房和城乡建设局", "{D} Housing and Urban-Rural Development Bureau", "government"),
    ("urban-management", "{d}城市管理局", "{D} Urban Management Bureau", "government"),
    ("water", "{d}水务局", "{D} Water Affairs Bureau", "government"),
    ("transport", "{d}交通运输局", "{D} Transport Bureau", "government"),
    ("environment", "澄州市{s}生态环境局", "Chengzhou Ecology and Environment Bureau, {S}", "government"),
    ("market", "{d}市场监督管理局", "{D} Market Regulation Administration", "government"),
    ("emergency", "{d}应急管理局", "{D} Emergency Management Bureau", "government"),
    ("civil-affairs", "{d}民政局", "{D} Civil Affairs Bureau", "government"),
    ("power", "国网澄州市{d}供电公司", "State Grid {D} Power Supply Company", "state_enterprise"),
    ("gas", "澄州市{d}燃气有限公司", "{D} Gas Company", "state_enterprise"),
    ("water-supply", "澄州市{d}自来水有限公司", "{D} Water Supply Company", "state_enterprise"),
    ("bus", "澄州市{d}公共交通有限公司", "{D} Public Transport Company", "state_enterprise"),
)  # fmt: skip

Rect = tuple[float, float, float, float]  # west, south, east, north (degrees, 6 decimals)


@dataclass
class _Node:
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    children: list[_Node] = field(default_factory=list)
    # Area in km² (a grid's own; a parent's is its children's sum).
    km2: float = 0.0
    rect: Rect | None = None
    stem: tuple[str, str] = ("", "")


@dataclass
class GrowResult:
    """What `grow_city` added (nothing when the city already had enough grids)."""

    districts: int = 0
    towns: int = 0
    villages: int = 0
    grids: int = 0
    agencies: int = 0
    accounts: int = 0
    # Grids under the city afterwards.
    total_grids: int = 0
    seconds: float = 0.0


def _stems() -> list[tuple[str, str]]:
    """Return the two-character names, each English spelling once (agency codes are made of it)."""
    stems: dict[str, str] = {}
    for first, first_en in _FIRST:
        for second, second_en in _SECOND:
            joint = "'" if second_en[0] in "aeo" else ""
            if first != second:
                stems.setdefault(first_en + joint + second_en, first + second)
    return [(zh, en) for en, zh in stems.items()]


def _sizes(total: int, low: int, high: int, rng: random.Random) -> list[int]:
    """Split `total` into parts of `low`–`high` (drawn), the last ones adjusted so none is short."""
    parts = []
    left = total
    while left > 0:
        n = rng.randint(low, high)
        if left - n < low:
            n = left if left <= high else left - low
        parts.append(n)
        left -= n
    return parts


def plan_tree(city_code: str, add: int, taken: set[str], seed: int) -> list[_Node]:
    """Draw districts with their towns, villages and grids, `add` grids in all (no geometry yet).

    1. As many districts as GRIDS_PER_DISTRICT gives, the grids shared evenly among them.
    2. Each district's grids split into villages of 8–15, the villages into towns of 8–20.
    3. Each town a street (mostly communities) or a town (a seat community, then villages), the
       share of streets drawn per district; codes in the demo's scheme, names from fragments.
    """
    rng = random.Random(f"grids-{seed}")
    districts = max(1, round(add / GRIDS_PER_DISTRICT))
    free = [s for s in DISTRICT_SUFFIXES if city_code[:4] + s not in taken]
    if districts > len(free):
        raise ApplicationError(f"generate_cases: no room for {districts} more districts", code="invalid")
    stems = _stems()
    district_stems = rng.sample(stems, districts)
    hamlets = [
        (s + "家" + x, s_en + "jia" + x_en) for s, s_en in demo._SURNAMES for x, x_en in demo._HAMLET_SUFFIXES
    ]
    out = []
    for d in range(districts):
        suffix = free[d]
        stem, stem_en = district_stems[d]
        county_city = int(suffix) > 80
        district = _Node(
            code=city_code[:4] + suffix,
            name=stem + ("市" if county_city else "区"),
            name_en=f"{stem_en} {'City' if county_city else 'District'}",
            level="district",
            kind="county_city" if county_city else "district",
            stem=(stem, stem_en),
        )
        share = add // districts + (1 if d < add % districts else 0)
        villages = _sizes(share, 8, 15, rng)
        towns = _sizes(len(villages), 8, 20, rng)
        street_share = rng.uniform(0.2, 0.6)
        kinds = sorted(("street" if rng.random() < street_share else "town") for _t in towns)
        town_stems = rng.sample(stems, len(towns))
        numbers = {"street": 1, "town": 100}
        at = 0
        for kind, units, (t_stem, t_stem_en) in zip(kinds, towns, town_stems, strict=True):
            street = kind == "street"
            town = _Node(
                code=f"{district.code}{numbers[kind]:03d}",
                name=t_stem + ("街道" if street else "镇"),
                name_en=f"{t_stem_en} {'Subdistrict' if street else 'Town'}",
                level="town",
                kind=kind,
            )
            numbers[kind] += 1
            grid_counts = villages[at : at + units]
            at += units
            # The first unit is the town's seat community; streets are nearly all communities.
            communities = [
                i == 0 or rng.random() < (0.85 if street else 0.1) for i in range(len(grid_counts))
            ]
            communities.sort(reverse=True)
            names = [(t_stem, t_stem_en), *rng.sample([s for s in stems if s[0] != t_stem], units - 1)]
            if street:
                names[0] = rng.choice([s for s in stems if s not in names])
            next_number = {True: 1, False: 201}
            for is_community, grids, (u_stem, u_stem_en) in zip(communities, grid_counts, names, strict=True):
                unit = _Node(
                    code=f"{town.code}{next_number[is_community]:03d}",
                    name=u_stem + ("社区" if is_community else "村"),
                    name_en=f"{u_stem_en} {'Community' if is_community else 'Village'}",
                    level="village",
                    kind="community" if is_community else "village",
                )
                next_number[is_community] += 1
                grid_names = (
                    [
                        (f"{u_stem}社区第{n}网格", f"{u_stem_en} Community Grid {n}")
                        for n in range(1, grids + 1)
                    ]
                    if is_community
                    else [(f"{h}网格", f"{h_en} Grid") for h, h_en in rng.sample(hamlets, grids)]
                )
                km2 = COMMUNITY_GRID_KM2 if is_community else VILLAGE_GRID_KM2
                for n, (g_name, g_name_en) in enumerate(grid_names, start=1):
                    unit.children.append(
                        _Node(f"{unit.code}{n:03d}", g_name, g_name_en, "grid", "grid", km2=km2)
                    )
                unit.km2 = km2 * grids
                town.children.append(unit)
            town.km2 = sum(u.km2 for u in town.children)
            district.children.append(town)
        district.km2 = sum(t.km2 for t in district.children)
        out.append(district)
    return out


def _m_per_deg_lon(lat: float) -> float:
    return M_PER_DEG_LON * math.cos(math.radians(lat))


def _split(rect: Rect, weights: list[float]) -> list[Rect]:
    """Cut `rect` into one rectangle per weight, of areas in proportion, in order (west to east, north
    to south): halve the weights, cut across the longer side, recurse. Each cut is rounded once and
    shared by both sides, so the pieces tile `rect` exactly."""
    if len(weights) == 1:
        return [rect]
    total = sum(weights)
    running = 0.0
    best, k = math.inf, 1
    for i in range(1, len(weights)):
        running += weights[i - 1]
        if abs(running - total / 2) < best:
            best, k = abs(running - total / 2), i
    share = sum(weights[:k]) / total
    west, south, east, north = rect
    if (east - west) * _m_per_deg_lon((south + north) / 2) >= (north - south) * M_PER_DEG_LAT:
        cut = round(west + (east - west) * share, 6)
        first, rest = (west, south, cut, north), (cut, south, east, north)
    else:
        cut = round(north - (north - south) * share, 6)
        first, rest = (west, cut, east, north), (west, south, east, cut)
    return _split(first, weights[:k]) + _split(rest, weights[k:])


def _lay_out(districts: list[_Node], extent: Rect) -> Rect:
    """Give every node its rectangle: a square of the districts' area, `GAP_M` east of `extent`."""
    _west, south, east, north = extent
    middle = (south + north) / 2
    side_m = math.sqrt(sum(d.km2 for d in districts)) * 1000
    left = round(east + GAP_M / _m_per_deg_lon(middle), 6)
    width = side_m / _m_per_deg_lon(middle)
    height = side_m / M_PER_DEG_LAT
    whole = (left, round(middle - height / 2, 6), round(left + width, 6), round(middle + height / 2, 6))
    pending = [(whole, districts)]
    while pending:
        rect, nodes = pending.pop()
        for node, piece in zip(nodes, _split(rect, [n.km2 for n in nodes]), strict=True):
            node.rect = piece
            if node.children:
                pending.append((piece, node.children))
    return whole


def _polygon(rect: Rect) -> list[list[list[float]]]:
    west, south, east, north = rect
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def _walk(nodes: list[_Node]) -> list[_Node]:
    out = []
    for node in nodes:
        out.append(node)
        out += _walk(node.children)
    return out


def _place_ids(places: list[Place]) -> dict[str, int]:
    if all(p.pk for p in places):
        return {p.code: p.pk for p in places}
    codes = [p.code for p in places]
    found: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        found.update(Place.objects.filter(code__in=codes[start : start + 500]).values_list("code", "pk"))
    return found


def _user_ids(users: list[User]) -> list[int]:
    if all(u.pk for u in users):
        return [u.pk for u in users]
    names = [u.username for u in users]
    found: dict[str, int] = {}
    for start in range(0, len(names), 500):
        found.update(
            User.objects.filter(username__in=names[start : start + 500]).values_list("username", "pk")
        )
    return [found[n] for n in names]


def grow_city(*, grids: int, seed: int, password: str, prefix: str, email_domain: str) -> GrowResult:
    """Add districts, towns, villages and grids under the demo city until it has about `grids` grids.

    1. Count the city's grids; with `grids` or more already there, add nothing.
    2. Plan the tree (`plan_tree`) and lay it out east of every boundary under the city (`_lay_out`).
    3. Write the places level by level, their boundaries, the city's new boundary, the agencies and
       the staff (usernames `prefix` + da/to/vc/gw + code, e-mail in `email_domain`), in bulk.
    4. Bump the routing revision once and drop this process's routing and map indexes.
    Runs in the caller's transaction.
    """
    started = time.perf_counter()
    city = Place.objects.get(code=demo.CITY_CODE)
    in_city = Place.objects.filter(code__startswith=city.scope_prefix)
    existing = in_city.filter(level=Place.Level.GRID).count()
    result = GrowResult(total_grids=existing)
    if grids <= existing:
        return result
    taken = set(in_city.filter(level=Place.Level.DISTRICT).values_list("code", flat=True))
    districts = plan_tree(city.code, grids - existing, taken, seed)
    bounds = Boundary.objects.filter(
        valid_to__isnull=True, place__code__startswith=city.scope_prefix
    ).aggregate(Min("min_lon"), Min("min_lat"), Max("max_lon"), Max("max_lat"))
    extent = (bounds["min_lon__min"], bounds["min_lat__min"], bounds["max_lon__max"], bounds["max_lat__max"])
    if None in extent:
        extent = (demo.CENTRE_LON, demo.CENTRE_LAT, demo.CENTRE_LON, demo.CENTRE_LAT)
    whole = _lay_out(districts, extent)

    now = timezone.now()
    nodes = _walk(districts)
    ids = {city.code: city.pk}
    parent_of = {c.code: n.code for n in nodes for c in n.children}
    for d in districts:
        parent_of[d.code] = city.code
    for level in ("district", "town", "village", "grid"):
        rows = [
            Place(
                code=n.code,
                name=n.name,
                name_en=n.name_en,
                level=n.level,
                kind=n.kind,
                parent_id=ids[parent_of[n.code]],
            )
            for n in nodes
            if n.level == level
        ]
        ids.update(_place_ids(Place.objects.bulk_create(rows, batch_size=2000)))
    Boundary.objects.bulk_create(
        [_boundary(ids[n.code], n.rect, now) for n in nodes if n.rect is not None], batch_size=2000
    )
    _extend_city(city, whole, now)

    rng = random.Random(f"grids-staff-{seed}")
    agencies = []
    for d in districts:
        slug = d.stem[1].lower().replace("'", "")
        for suffix, name, name_en, kind in _AGENCIES:
            fill = {"d": d.name, "D": d.name_en, "s": d.stem[0], "S": d.stem[1]}
            agencies.append(
                Agency(
                    code=f"{slug}-{suffix}",
                    name=name.format(**fill),
                    name_en=name_en.format(**fill),
                    kind=kind,
                    region_id=ids[d.code],
                    phone=f"0520-5{rng.randrange(10**7):07d}",
                )
            )
    Agency.objects.bulk_create(agencies, batch_size=500)

    plan: list[tuple[str, str, int]] = []  # username, role, place
    roles = {"district": ("da", Role.DISTRICT_ADMIN), "town": ("to", Role.TOWN_OPERATOR),
             "village": ("vc", Role.VILLAGE_CADRE), "grid": ("gw", Role.GRID_WORKER)}  # fmt: skip
    for n in nodes:
        short, role = roles[n.level]
        plan.append((f"{prefix}{short}{n.code}", role, ids[n.code]))
    users = User.objects.bulk_create(
        [
            User(
                username=username,
                display_name=rng.choice(demo._SURNAMES)[0] + rng.choice(demo._GIVEN_NAMES),
                password=password,
                email=f"{username}@{email_domain}",
            )
            for username, _role, _place in plan
        ],
        batch_size=2000,
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user_id=user_id, role=role, place_id=place)
            for user_id, (_name, role, place) in zip(_user_ids(users), plan, strict=True)
        ],
        batch_size=2000,
    )
    # One bump for the whole tree: every process rebuilds its routing and map indexes once.
    bump_routing_revision()
    routing.invalidate()
    mapindex.invalidate()
    counted = {
        level: sum(n.level == level for n in nodes) for level in ("district", "town", "village", "grid")
    }
    result.districts = counted["district"]
    result.towns = counted["town"]
    result.villages = counted["village"]
    result.grids = counted["grid"]
    result.agencies = len(agencies)
    result.accounts = len(users)
    result.total_grids = existing + result.grids
    result.seconds = time.perf_counter() - started
    return result


def _boundary(place_id: int, rect: Rect, now: Any) -> Boundary:
    west, south, east, north = rect
    middle = (south + north) / 2
    return Boundary(
        place_id=place_id,
        geometry={"type": "Polygon", "coordinates": _polygon(rect)},
        valid_from=now,
        min_lon=west,
        min_lat=south,
        max_lon=east,
        max_lat=north,
        # As `geometry_area_m2` computes it (a rectangle's centroid is its middle).
        area_m2=(east - west) * (north - south) * M_PER_DEG_LAT * _m_per_deg_lon(middle),
        source=BOUNDARY_SOURCE,
    )


def _extend_city(city: Place, added: Rect, now: Any) -> None:
    """Redraw the city as its boundary so far and the rectangle of the new districts, which lies apart."""
    current = (
        Boundary.objects.filter(place=city, valid_to__isnull=True).values_list("geometry", flat=True).first()
    )
    parts = []
    if current and current.get("type") == "Polygon":
        parts.append(current["coordinates"])
    elif current and current.get("type") == "MultiPolygon":
        parts += current["coordinates"]
    parts.append(_polygon(added))
    geometry = {"type": "MultiPolygon", "coordinates": parts}
    boundary_set(
        place=city, geometry=geometry, valid_from=now, source=BOUNDARY_SOURCE, bump=False, audited=False
    )
