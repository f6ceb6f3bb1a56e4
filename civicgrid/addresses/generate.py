"""Generated address registers and the orders that name them (the demo, the benchmark, routing tests).

`register_rows(grids, seed=, per_grid=)` draws, for grids that exist (Places of level grid, with their
current boundaries), a register of the shape real ones have:

- each town has its roads: common names (人民路, 建设路 … each used by one town of a district as far
  as they go, so a few repeat in a big district) and names from its villages and its own (荷塘路,
  新桥街); each road crosses 2–5 neighbouring grids (in code order, which is map-reading order), its
  door numbers running on from grid to grid with a few gaps — the road alone is ambiguous, the road
  and a number are not;
- residential compounds (幸福家园, 锦绣苑 …) inside one grid, with buildings and units; about half
  have a gate number on a road of their grid (人民路88号幸福家园3幢2单元); their names are unique in a
  town, some repeat in another town (so the region matters);
- a village grid's houses are "新桥村3组15号": the village's groups shared out among its grids;
- former names (老地名) for some compounds and roads, as aliases (纺织厂宿舍3幢2单元, 红卫路12号);
- a point inside the grid's polygon for most (about one in ten has none, as imported registers do).

`register_load` bulk-inserts them (200,000 rows in well under a minute on SQLite). `order_addresses`
writes orders' addresses as call-takers do, with the grid each should reach (None for the ~5 % that
name nothing on record).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from shapely.geometry import shape

from civicgrid.addresses import counts
from civicgrid.addresses.matching import register_changed
from civicgrid.addresses.models import Address, AddressAlias
from civicgrid.addresses.normalize import address_fields, text_key
from civicgrid.places.models import Boundary, Place

COMMON_ROADS = (
    "人民路", "建设路", "解放路", "中山路", "文化路", "新华路", "学府街", "幸福巷", "和平路", "胜利路",
    "长江路", "东风路", "青年路", "光明路", "朝阳路", "健康路", "团结路", "振兴路", "育才路", "环城路",
    "迎宾大道", "世纪大道", "府前街", "南门街", "北大街", "工农路", "友谊路", "滨河路", "园林路", "兴业路",
    "商业街", "体育路", "公园路", "车站路", "塘桥巷", "书院弄", "太平街", "河西街", "东大街", "西大街",
)  # fmt: skip
_STEMS = (
    "幸福", "阳光", "锦绣", "碧水", "金色", "翠竹", "绿城", "康乐", "和谐", "御景", "东方", "丽景", "香樟",
    "枫丹", "桂花", "紫荆", "春晓", "海棠", "书香", "怡景", "丽都", "华府", "鸿运", "嘉禾", "瑞祥", "明月",
    "清风", "银河", "望江", "滨湖", "玉兰", "秋实", "朝晖", "晨光", "恒信", "泰和", "新城", "天鹅", "凤栖",
    "龙湖", "锦江", "百合", "梧桐", "水岸", "星辰", "悦澜", "瀚海", "雅韵", "博雅", "润园",
)  # fmt: skip
_COMPOUND_ENDS = ("小区", "花园", "家园", "苑", "公寓", "新村", "大厦", "广场", "华庭", "山庄")
_ROAD_ENDS = ("路", "街", "大道", "巷")
_FORMER_COMPOUNDS = (
    "纺织厂宿舍", "化肥厂宿舍", "粮站宿舍", "供销社大院", "农机厂宿舍", "糖厂新村", "丝厂宿舍", "机械厂宿舍",
    "棉纺厂宿舍", "电厂宿舍", "砖瓦厂宿舍", "酒厂宿舍", "船厂新村", "水泥厂宿舍", "印染厂宿舍", "造纸厂宿舍",
)  # fmt: skip
_FORMER_ROADS = ("红卫路", "反修路", "跃进街", "东方红路", "红旗街", "向阳路", "卫东路", "战备路")
# Names no register draws from: the orders that name nothing on record.
_UNKNOWN_STEMS = (
    "鹤鸣",
    "鹿野",
    "麒麟",
    "蓬莱",
    "琥珀",
    "翡翠",
    "珊瑚",
    "琉璃",
    "霓虹",
    "麋鹿",
    "鸳鸯",
    "蝴蝶",
)
# Characters a call-taker types for another (same sound or look).
_TYPOS = {
    "民": "名", "建": "健", "华": "化", "福": "富", "园": "圆", "家": "佳", "新": "心", "阳": "杨", "光": "广",
    "景": "井", "锦": "金", "绣": "秀", "和": "合", "平": "苹", "文": "闻", "学": "雪", "康": "糠", "乐": "勒",
    "城": "成", "香": "湘", "桂": "贵", "春": "椿", "书": "抒", "明": "鸣", "清": "青", "河": "和", "江": "疆",
    "湖": "胡", "东": "冬", "西": "溪", "南": "楠", "北": "背", "苑": "院", "山": "衫", "庄": "装", "桥": "乔",
    "塘": "唐", "中": "忠", "兴": "星", "胜": "圣", "利": "力", "放": "方", "设": "社", "路": "璐",
}  # fmt: skip
_CN_DIGITS = "零一二三四五六七八九"


# --- Places ---------------------------------------------------------------------------------------


def _grid_info(grids: Sequence[Place]) -> dict[int, dict[str, Any]]:
    """Return per grid: its polygon (or None), its village's name and kind, its town's and district's."""
    ids = [g.pk for g in grids]
    polygons: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        for place_id, geometry in Boundary.objects.filter(
            place_id__in=ids[start : start + 500], valid_to__isnull=True
        ).values_list("place_id", "geometry"):
            try:
                polygons[place_id] = shape(geometry)
            except (ValueError, TypeError, KeyError, AttributeError):
                continue
    codes = {g.code[:12] for g in grids} | {g.code[:9] for g in grids} | {g.code[:6] for g in grids}
    codes |= {g.code[:4] + "00" for g in grids}
    names: dict[str, tuple[str, str]] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), 500):
        names.update(
            (code, (name, kind))
            for code, name, kind in Place.objects.filter(code__in=code_list[start : start + 500]).values_list(
                "code", "name", "kind"
            )
        )
    out = {}
    for g in grids:
        village, v_kind = names.get(g.code[:12], ("", ""))
        out[g.pk] = {
            "polygon": polygons.get(g.pk),
            "village": village,
            "village_kind": v_kind or ("village" if int(g.code[9:12] or 0) >= 200 else "community"),
            "town": names.get(g.code[:9], ("", ""))[0],
            "district": names.get(g.code[:6], ("", ""))[0],
            "city": names.get(g.code[:4] + "00", ("", ""))[0],
        }
    return out


def _points(polygon: Any, count: int, rng: random.Random) -> list[tuple[float, float] | None]:
    """Return `count` points inside `polygon` (rejection sampling on its box), about 10 % None."""
    if polygon is None or count <= 0:
        return [None] * count
    west, south, east, north = polygon.bounds
    shapely.prepare(polygon)
    out: list[tuple[float, float] | None] = []
    tries = 0
    while len(out) < count and tries < count * 50:
        tries += 1
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shapely.contains_xy(polygon, lon, lat):
            out.append(None if rng.random() < 0.1 else (round(lon, 6), round(lat, 6)))
    return out + [None] * (count - len(out))


def _stem(name: str) -> str:
    for end in ("街道", "社区", "网格", "市", "区", "县", "镇", "乡", "村"):
        if name.endswith(end):
            return name[: -len(end)]
    return name


# --- The register ---------------------------------------------------------------------------------


def _row(grid: Place, info: dict[str, Any], **parts: str) -> dict[str, Any]:
    fields = address_fields(**parts)
    return {
        "grid_id": grid.pk,
        "grid_code": grid.code,
        "road": parts.get("road", ""),
        "number": parts.get("number", ""),
        "compound": parts.get("compound", ""),
        "building": parts.get("building", ""),
        "unit": parts.get("unit", ""),
        **fields,
        "lon": None,
        "lat": None,
        "aliases": [],
        "town": info["town"],
        "district": info["district"],
        "city": info["city"],
        "community": info["village"] if info["village_kind"] == "community" else "",
    }


def register_rows(grids: Sequence[Place], *, seed: int, per_grid: int) -> list[dict[str, Any]]:
    """Return about `per_grid` register addresses for each grid, as plain dicts (the `Address` fields,
    its `aliases` as (text, kind) pairs, and the names of its town, district and city for orders).

    1. Per town (grids grouped by code), draw its roads; each crosses a run of 2–5 neighbouring grids.
    2. Per grid: a village grid's share goes to village houses (…村N组M号), the rest to houses on its
       roads (numbers running on along each road, a few skipped) and to compounds (buildings × units,
       half with a gate number on one of its roads); former names as aliases for some.
    3. Points inside each grid's polygon.
    """
    rng = random.Random(f"addresses-{seed}")
    info = _grid_info(grids)
    by_town: dict[str, list[Place]] = defaultdict(list)
    for g in sorted(grids, key=lambda g: g.code):
        by_town[g.code[:9]].append(g)
    common = list(COMMON_ROADS)
    rng.shuffle(common)
    compound_pool = [s + e for s in _STEMS for e in _COMPOUND_ENDS]
    rng.shuffle(compound_pool)
    used_elsewhere: list[str] = []
    groups: dict[str, int] = {}  # a village's groups so far, numbered on across its grids
    used_roads: set[str] = set()  # other towns' own road names, not drawn again
    # Former names, each used once: a factory's dormitory was in one town.
    formers = [f"{s}{f}" for s in ("", *_STEMS) for f in _FORMER_COMPOUNDS]
    formers = formers[: len(_FORMER_COMPOUNDS)] + rng.sample(formers[len(_FORMER_COMPOUNDS) :], 200)
    formers.reverse()
    former_roads = list(_FORMER_ROADS)
    rng.shuffle(former_roads)
    rows: list[dict[str, Any]] = []
    for town_index, (_code, town_grids) in enumerate(sorted(by_town.items())):
        roads = _town_roads(town_grids, info, common, town_index, used_roads, rng)
        # Which roads cross each grid, in order along the road.
        grid_roads: dict[int, list[str]] = defaultdict(list)
        for name, run in roads:
            for g in run:
                grid_roads[g.pk].append(name)
        next_number = {name: rng.choice((1, 1, 2, 5)) for name, _run in roads}
        taken_compounds: set[str] = set()
        road_former = {
            name: former_roads.pop() for name, _run in roads if former_roads and rng.random() < 0.15
        }
        for name, run in roads:
            for g in run:  # along the road, grid by grid: numbers run on
                info_g = info[g.pk]
                share = per_grid * (0.25 if info_g["village_kind"] == "village" else 0.35)
                houses = max(2, round(share / max(1, len(grid_roads[g.pk]))))
                for _h in range(houses):
                    number = next_number[name]
                    next_number[name] += rng.choice((1, 1, 1, 1, 2, 3))
                    row = _row(g, info_g, road=name, number=str(number))
                    if name in road_former and rng.random() < 0.5:
                        row["aliases"].append((f"{road_former[name]}{number}号", AddressAlias.Kind.FORMER))
                    rows.append(row)
        for g in town_grids:
            info_g = info[g.pk]
            if info_g["village_kind"] == "village" and info_g["village"]:
                rows += _village_rows(g, info_g, round(per_grid * 0.75), groups, rng)
                continue
            left = round(per_grid * 0.65)
            while left > 0:
                name = _compound_name(compound_pool, taken_compounds, used_elsewhere, rng)
                buildings = rng.randint(3, 18)
                units = rng.choice((1, 2, 2, 3, 4))
                gate = None
                if grid_roads[g.pk] and rng.random() < 0.5:
                    road = rng.choice(grid_roads[g.pk])
                    gate = (road, str(next_number[road]))
                    next_number[road] += 1
                former = formers.pop() if formers and rng.random() < 0.2 else None
                for b in range(1, buildings + 1):
                    building = str(b) if rng.random() > 0.03 else "ABCDEFGH"[b % 8]
                    for u in range(1, units + 1):
                        road, number = gate or ("", "")
                        row = _row(
                            g, info_g, road=road, number=number, compound=name, building=building, unit=str(u)
                        )
                        if former:
                            row["aliases"].append((f"{former}{building}幢{u}单元", AddressAlias.Kind.FORMER))
                        rows.append(row)
                        left -= 1
                        if left <= 0:
                            break
                    if left <= 0:
                        break
    by_grid: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_grid[row["grid_id"]].append(row)
    for grid_id, grid_rows in by_grid.items():
        for row, point in zip(grid_rows, _points(info[grid_id]["polygon"], len(grid_rows), rng), strict=True):
            if point:
                row["lon"], row["lat"] = point
    return rows


def _town_roads(
    town_grids: list[Place],
    info: dict[int, dict[str, Any]],
    common: list[str],
    town_index: int,
    used: set[str],
    rng: random.Random,
) -> list[tuple[str, list[Place]]]:
    """Return the town's roads, each with the run of neighbouring grids it crosses (every grid on one
    at least; a third of the grids on a second road)."""
    count = max(2, len(town_grids) // 3 + 1)
    names: list[str] = []
    # Common names dealt out among the district's towns, so few repeat unless the district is big.
    per_town = 4
    start = (town_index * per_town) % len(common)
    names += [common[(start + k) % len(common)] for k in range(per_town)]
    stems = [_stem(info[g.pk]["village"]) for g in town_grids] + [_stem(info[town_grids[0].pk]["town"])]
    for stem in dict.fromkeys(s for s in stems if len(s) >= 2):
        name = stem + rng.choice(_ROAD_ENDS)
        if name not in used:
            names.append(name)
    for _try in range(count * 20):
        if len(names) >= count:
            break
        name = rng.choice(_STEMS) + rng.choice(("路", "街", "路", "巷", "大道"))
        if name not in used and name not in names:
            names.append(name)
    names = list(dict.fromkeys(names))[: max(count, per_town)]
    used.update(names[per_town:])
    runs: list[tuple[str, list[Place]]] = []
    at = 0
    name_iter = iter(names)
    while at < len(town_grids):
        length = rng.randint(2, 5)
        name = next(name_iter, None) or f"{rng.choice(_STEMS)}{rng.choice(_STEMS)[0]}路"
        runs.append((name, town_grids[at : at + length]))
        at += length
    for name in name_iter:  # roads left: a second road through a run of grids
        begin = rng.randrange(len(town_grids))
        runs.append((name, town_grids[begin : begin + rng.randint(2, 4)]))
    return [(name, run) for name, run in runs if run]


def _compound_name(pool: list[str], taken: set[str], used_elsewhere: list[str], rng: random.Random) -> str:
    """Return a compound name unique in the town; about one in 30 repeats another town's."""
    if used_elsewhere and rng.random() < 0.015:
        name = rng.choice(used_elsewhere)
        if name not in taken:
            taken.add(name)
            return name
    for _try in range(50):
        name = (
            rng.choice(pool)
            if rng.random() < 0.7
            else rng.choice(_STEMS) + rng.choice(_STEMS)[0] + rng.choice(_COMPOUND_ENDS)
        )
        if name not in taken and name not in used_elsewhere:
            taken.add(name)
            used_elsewhere.append(name)
            return name
    name = f"{rng.choice(_STEMS)}{len(taken)}{rng.choice(_COMPOUND_ENDS)}"
    taken.add(name)
    return name


def _village_rows(
    grid: Place, info: dict[str, Any], count: int, groups: dict[str, int], rng: random.Random
) -> list[dict[str, Any]]:
    """Return a village grid's houses: its groups (numbered on across the village's grids) × numbers."""
    village = info["village"]
    if not village.endswith("村"):
        village = _stem(village) + "村"
    key = grid.code[:12]
    rows = []
    while len(rows) < count:
        group = groups.get(key, 0) + 1
        groups[key] = group
        for number in range(1, rng.randint(20, 60) + 1):
            rows.append(_row(grid, info, compound=village, building=f"{group}组", number=str(number)))
            if len(rows) >= count:
                break
    return rows


_COLUMNS = ("grid_id", "grid_code", "road", "number", "compound", "building", "unit", "text", "key",
            "road_key", "number_key", "compound_key", "building_key", "lon", "lat")  # fmt: skip


@transaction.atomic
def register_load(
    grids: Sequence[Place], *, seed: int, per_grid: int, source: str = Address.Source.IMPORT
) -> list[dict[str, Any]]:
    """Write `register_rows` to the register in bulk and tell the matchers; return the rows, each
    with its new `id`.

    1. The addresses with one multi-row INSERT per 500 (plain SQL: Django's bulk_create spends
       ~0.1 ms a row compiling, half the load); no signals or save() logic exist for them to skip.
    2. Their ids read back by (grid_code, key), unique per grid in a generated register.
    3. The aliases with bulk_create, then `register_changed`.
    """
    rows = register_rows(grids, seed=seed, per_grid=per_grid)
    before = Address.objects.aggregate(top=Max("id"))["top"] or 0
    now = timezone.now()
    table = connection.ops.quote_name(Address._meta.db_table)
    columns = (*_COLUMNS, "status", "source", "created_at", "updated_at")
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    stamp = connection.ops.adapt_datetimefield_value(now)
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: one stream instead of statements
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([*(row[c] for c in _COLUMNS), Address.Status.ACTIVE, source, now, now])
            rows_left: list[dict[str, Any]] = []
        else:
            rows_left = rows
        for start in range(0, len(rows_left), 500):
            batch = rows_left[start : start + 500]
            params: list[Any] = []
            for row in batch:
                params += [row[c] for c in _COLUMNS]
                params += [Address.Status.ACTIVE, source, stamp, stamp]
            values = ", ".join([row_sql] * len(batch))
            # Table and column names come from the model, every value is a parameter.
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}", params)  # noqa: S608
    new = Address.objects.filter(id__gt=before).values_list("grid_code", "key", "id")
    ids = {(code, key): pk for code, key, pk in new.iterator(chunk_size=5000)}
    for row in rows:
        row["id"] = ids.get((row["grid_code"], row["key"]))
    aliases = [
        AddressAlias(
            address_id=row["id"], grid_code=row["grid_code"], text=text, key=text_key(text), kind=kind
        )
        for row in rows
        if row["id"]
        for text, kind in row["aliases"]
    ]
    AddressAlias.objects.bulk_create(aliases, batch_size=2000, ignore_conflicts=True)
    counts.recount({row["grid_id"] for row in rows})
    register_changed()
    return rows


# --- Orders ---------------------------------------------------------------------------------------


def _cn(n: int) -> str:
    """Return `n` (0–9999) in Chinese numerals as spoken: 13 → 十三, 105 → 一百零五."""
    if n < 10:
        return _CN_DIGITS[n]
    out, zero = "", False
    for power, word in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // power) % 10
        if n < power:
            continue
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += ("" if (digit == 1 and power == 10 and n < 20) else _CN_DIGITS[digit]) + word
    return out


def _num(value: str, style: str) -> str:
    if not value.isdigit():
        return value
    if style == "cn" and int(value) < 10000:
        return _cn(int(value))
    if style == "wide":
        return value.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return value


def _typo(name: str, known: set[str], rng: random.Random) -> str | None:
    """Return `name` with one character of its stem mistyped, if that names nothing on record."""
    positions = [i for i, ch in enumerate(name[:-1]) if ch in _TYPOS]
    rng.shuffle(positions)
    for i in positions:
        wrong = name[:i] + _TYPOS[name[i]] + name[i + 1 :]
        if wrong not in known:
            return wrong
    return None


def _get(address: Any, field: str) -> Any:
    return address.get(field, "") if isinstance(address, dict) else getattr(address, field, "")


def order_addresses(addresses: Sequence[Any], *, seed: int, n: int) -> list[tuple[str, str | None]]:
    """Return `n` (address text as a call-taker writes it, grid code it should reach or None) pairs.

    `addresses` are `register_rows`/`register_load` rows (or `Address` rows: then without aliases
    and place names). The texts vary as real ones do: a province/city/district/town/community prefix,
    full-width digits, Chinese numerals, 栋/座/号楼/# for 幢, rooms and floors added, noise (附近,
    门口, 往东50米, a remark in brackets), spaces, an alias or former name, a one-character typo in a
    name, a unit or the road left out; about 5 % name nothing on record (expected None).
    """
    rng = random.Random(f"orders-{seed}")
    known = {_get(a, "road") for a in addresses} | {_get(a, "compound") for a in addresses}
    known.discard("")
    out: list[tuple[str, str | None]] = []
    for _i in range(n):
        if rng.random() < 0.05:
            out.append((_unknown(known, rng), None))
            continue
        address = rng.choice(addresses)
        out.append((_written(address, known, rng), _get(address, "grid_code")))
    return out


def _unknown(known: set[str], rng: random.Random) -> str:
    while True:
        stem = rng.choice(_UNKNOWN_STEMS)
        if rng.random() < 0.5:
            name, rest = stem + rng.choice(("路", "街", "大道")), f"{rng.randint(1, 300)}号"
        else:
            name, rest = stem + rng.choice(("小区", "花园", "苑")), f"{rng.randint(1, 20)}幢"
        if name not in known:
            return rng.choice(("", "琴湖市", "附近的")) + name + rest


def _written(address: Any, known: set[str], rng: random.Random) -> str:
    aliases = _get(address, "aliases") or []
    if aliases and rng.random() < 0.3:
        text = aliases[0][0]
        return _prefix(address, rng) + text + (rng.choice(("附近", "门口", "")) if rng.random() < 0.3 else "")
    style = rng.choices(("ar", "cn", "wide"), weights=(60, 25, 15))[0]
    road, number = _get(address, "road"), _get(address, "number")
    compound, building, unit = _get(address, "compound"), _get(address, "building"), _get(address, "unit")
    if rng.random() < 0.05:  # a misspelt name
        if road and (not compound or rng.random() < 0.5):
            road = _typo(road, known, rng) or road
        elif compound:
            compound = _typo(compound, known, rng) or compound
    parts: list[str] = []
    village = compound.endswith("村") and building.endswith("组")
    if village:
        parts.append(compound)
        parts.append(_num(building[:-1], style) + rng.choice(("组", "组", "队")))
        parts.append(_num(number, style) + "号")
    else:
        keep_gate = bool(road) and (not compound or rng.random() < 0.6)
        if keep_gate:
            parts.append(road)
            lane = "-" in number
            if lane:
                first, second = number.split("-", 1)
                parts.append(f"{_num(first, style)}弄{_num(second, style)}号")
            else:
                # A bare number after a road is still its number (人民路12).
                bare = not compound and style == "ar" and rng.random() < 0.1
                parts.append(_num(number, style) + ("" if bare else "号"))
        if compound:
            parts.append(
                compound + ("小区" if rng.random() < 0.05 and compound.endswith(("花园", "家园")) else "")
            )
            word = rng.choice(("幢", "栋", "座", "号楼", "#楼", "号", "幢"))
            if building.isdigit():
                parts.append(_num(building, style) + word)
            elif building:
                parts.append(building + rng.choice(("座", "栋", "幢")))
            if unit and rng.random() < 0.7:
                parts.append(_num(unit, style) + "单元")
                if rng.random() < 0.3:
                    parts.append(rng.choice(("301室", "502", "1202室", "五楼", "2层")))
            elif rng.random() < 0.2 and building:
                parts.append(rng.choice(("5楼", "302室", "3层")))
    text = _prefix(address, rng) + "".join(parts)
    roll = rng.random()
    if roll < 0.08:
        text += rng.choice(("附近", "门口", "旁边", "对面", "东侧", "往东50米", "楼下", "一带"))
    elif roll < 0.12:
        text += rng.choice(("(来电人称屋顶漏水)", "（靠近菜场）", "【老人独居】"))
    elif roll < 0.15:
        text = rng.choice(("在", "地址：", "家住")) + text
    if rng.random() < 0.08:  # spaces typed between words, half- or full-width
        cuts = sorted(rng.sample(range(1, len(text)), min(3, len(text) - 1)))
        pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        text = rng.choice((" ", "\u3000")).join(pieces)
    return text


def _prefix(address: Any, rng: random.Random) -> str:
    """Return an administrative prefix as call-takers add one: none, or some of province, city,
    district, town and community in order."""
    if rng.random() < 0.5:
        return ""
    levels = [
        ("江苏省", 0.2),
        (_get(address, "city"), 0.3),
        (_get(address, "district"), 0.4),
        (_get(address, "town"), 0.6),
        (_get(address, "community"), 0.2),
    ]
    return "".join(name for name, p in levels if name and rng.random() < p)


def grids_of(places: Iterable[Place]) -> list[Place]:
    """Return the grids below `places` (each a Place), in code order."""
    out: list[Place] = []
    for place in places:
        out += list(
            Place.objects.filter(code__startswith=place.scope_prefix, level=Place.Level.GRID).order_by("code")
        )
    return out
