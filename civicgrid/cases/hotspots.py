"""Hotspots of a scope: the categories rising against the period before, and places reported again and again.

- Rising categories: new cases per major class in a period against the same number of days just before,
  from the kept figures (`figures`), so the cost does not grow with the years of cases.
- Repeat locations: several cases reported within REPEAT_RADIUS_M of each other in the last REPEAT_DAYS
  (`repeat_spots`): counted per cell of a grid the size of the radius by the database, then only the
  cases around the dense cells are read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import connections
from django.db.models import BigIntegerField, Count, F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from civicgrid.cases import access, figures
from civicgrid.cases.models import Case, Category

REPEAT_RADIUS_M = 50
REPEAT_DAYS = 30
REPEAT_MIN_CASES = 3
REPEAT_MAX_CASES = 50_000
REPEAT_SPOTS = 10
# A cell's (x, y) as one number: x × CELL_KEY + y (y, a latitude in cells of the radius, stays far below).
CELL_KEY = 10_000_000
# A category rises when it has at least this many new cases in the period.
RISING_MIN = 3
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Rising:
    category: Category
    now: int
    before: int

    @property
    def change(self) -> float | None:
        """The growth against the period before (0.5: half as many again); None when there were none."""
        return (self.now - self.before) / self.before if self.before else None


def rising_categories(
    *,
    places: Sequence[int],
    start: date,
    end: date,
    limit: int = 5,
    before: tuple[date, date] | None = None,
    sums: dict[str, int] | None = None,
) -> list[Rising]:
    """Return the major classes with more new cases from `start` to `end` than in as many days before
    (or than in `before`, a first and last day: the monthly report's month before), the largest growth
    first (new ones, with none before, first of all). `sums`: the period's kept sums, when the caller
    has read them already."""
    if before is None:
        days = (end - start).days + 1
        before = (start - timedelta(days=days), start - timedelta(days=1))
    if sums is None:
        sums = figures.sums_for(places=places, day_from=start, day_to=end, prefix=figures.NEW_CATEGORY)
    now = figures.new_by_major(sums)
    earlier = figures.new_by_major(
        figures.sums_for(places=places, day_from=before[0], day_to=before[1], prefix=figures.NEW_CATEGORY)
    )
    found = [
        (major, n, earlier.get(major, 0))
        for major, n in now.items()
        if n >= RISING_MIN and n > earlier.get(major, 0)
    ]
    majors = Category.objects.in_bulk([m for m, _n, _b in found])
    rows = [Rising(majors[m], n, b) for m, n, b in found if m in majors]
    rows.sort(key=lambda r: (r.before != 0, -(r.change or 0), -r.now, r.category.code))
    return rows[:limit]


@dataclass(frozen=True)
class SpotCase:
    number: str
    created_at: datetime
    category: str
    address: str


@dataclass(frozen=True)
class Spot:
    lon: float
    lat: float
    cases: list[SpotCase]

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def address(self) -> str:
        return next((c.address for c in self.cases if c.address), "")


def repeat_spots(*, user, region_q=None, now: datetime | None = None) -> list[Spot]:
    """Return the places within `user`'s scope (narrowed by the Q `region_q`) where REPEAT_MIN_CASES or
    more cases were reported within REPEAT_RADIUS_M in the REPEAT_DAYS before `now`, the most cases first.

    1. The database counts the window's cases per cell of a grid the size of the radius (one GROUP BY:
       small rows, however many cases).
    2. Cells whose neighbourhood (3 × 3 cells) holds enough cases are candidates, densest first; the
       ids and points of the cases in the densest candidates' neighbourhoods are read (one query).
    3. Here, the densest neighbourhood becomes a spot of its cases within the radius of their centre,
       which are then taken out, and so on; then the details of the spots' cases are read by id.
    """
    now = now or timezone.now()
    since = now - timedelta(days=REPEAT_DAYS)
    # Ids grow with the time of report: the window as an id range lets the scope's (place, id) index
    # read only the window's cases (the first id found by the created_at index).
    first = (
        Case.objects.filter(created_at__gte=since)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:1]
    )
    first_id = next(iter(first), None)
    if first_id is None:
        return []
    qs = access.scope_cases(user, listing=True).filter(
        pk__gte=first_id, created_at__gte=since, created_at__lt=now
    )
    # A window that ended before today (the monthly report's): the same for its end.
    after = (
        Case.objects.filter(created_at__gte=now).order_by("created_at", "id").values_list("id", flat=True)[:1]
    )
    end_id = next(iter(after), None)
    if end_id is not None:
        qs = qs.filter(pk__lt=end_id)
    if region_q is not None:
        qs = qs.filter(region_q)
    dlat = REPEAT_RADIUS_M / METRES_PER_DEGREE
    dlon = dlat / max(0.1, math.cos(math.radians(_mean_lat(qs))))
    cell_x = Cast(F("lon") / Value(dlon), BigIntegerField())
    cell_y = Cast(F("lat") / Value(dlat), BigIntegerField())
    grouped = (
        qs.order_by().annotate(cx=cell_x, cy=cell_y).values_list("cx", "cy").annotate(n=Count("id")).query
    )
    sql, params = grouped.sql_with_params()
    with connections[qs.db].cursor() as cursor:  # plain tuples: a city's month is tens of thousands
        cursor.execute(sql, params)
        cells = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    dense = _densest(cells, REPEAT_SPOTS * 4)
    if not dense:
        return []
    # The cases of the densest neighbourhoods (the cell and the eight round it: positive degrees, so the
    # database's truncation and `_spots`' floor put a case in the same cell), found by the same cell
    # expression; then the details of the cases that make the spots.
    wanted = {(cx + dx) * CELL_KEY + (cy + dy) for cx, cy in dense for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    points = list(
        qs.annotate(cell=cell_x * Value(CELL_KEY) + cell_y)
        .filter(cell__in=sorted(wanted))
        .order_by("-id")
        .values_list("id", "lon", "lat")[:REPEAT_MAX_CASES]
    )
    groups = _spots(points, dlon, dlat)
    details = {
        row[0]: SpotCase(*row[1:])
        for row in Case.objects.filter(pk__in=[pk for _lon, _lat, ids in groups for pk in ids]).values_list(
            "id", "tracking_number", "created_at", "category__name", "address"
        )
    }
    spots = []
    for lon, lat, ids in groups:
        cases = sorted((details[pk] for pk in ids if pk in details), key=lambda c: c.created_at, reverse=True)
        spots.append(Spot(lon=lon, lat=lat, cases=cases))
    return spots


def _densest(cells: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Return up to `limit` cells, of (x, y, cases) rows, whose neighbourhood (the cell and the eight
    round it) holds REPEAT_MIN_CASES or more cases, the most first: each neighbour looked up in the
    sorted cell keys, nine vectorised look-ups whatever the number of cells."""
    if not len(cells):
        return []
    keys = cells[:, 0] * CELL_KEY + cells[:, 1]
    order = np.argsort(keys, kind="stable")
    keys, found = keys[order], cells[order, 2]
    around = np.zeros(len(keys), dtype=np.int64)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            probe = keys + dx * CELL_KEY + dy
            at = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
            around += np.where(keys[at] == probe, found[at], 0)
    dense = np.nonzero(around >= REPEAT_MIN_CASES)[0]
    top = dense[np.argsort(-around[dense], kind="stable")][:limit]
    return [(int(k // CELL_KEY), int(k % CELL_KEY)) for k in keys[top]]


def _mean_lat(qs) -> float:
    """The latitude the cells' width is taken at: the scope's newest case's (a degree of longitude
    shrinks with the latitude; within a city it hardly changes)."""
    row = qs.order_by("-id").values_list("lat", flat=True).first()
    return row if row is not None else 30.0


def _spots(
    points: list[tuple[int, float, float]], dlon: float, dlat: float
) -> list[tuple[float, float, list[int]]]:
    """Group (id, lon, lat) points into spots: (centre lon, centre lat, the ids), the most cases first."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (_pk, lon, lat) in enumerate(points):
        cells[(math.floor(lon / dlon), math.floor(lat / dlat))].append(i)
    taken: set[int] = set()
    spots: list[tuple[float, float, list[int]]] = []

    def around(cell: tuple[int, int]) -> list[int]:
        return [
            i for dx in (-1, 0, 1) for dy in (-1, 0, 1) for i in cells.get((cell[0] + dx, cell[1] + dy), ())
        ]

    # The densest neighbourhoods first; a case belongs to the first spot that takes it.
    for cell in sorted(cells, key=lambda cell: -len(around(cell))):
        members = [i for i in around(cell) if i not in taken]
        if len(members) < REPEAT_MIN_CASES:
            continue
        # Only the cases within the radius of the group's centre.
        lon0 = sum(points[i][1] for i in members) / len(members)
        lat0 = sum(points[i][2] for i in members) / len(members)
        near = [i for i in members if _metres(points[i][1], points[i][2], lon0, lat0) <= REPEAT_RADIUS_M]
        if len(near) < REPEAT_MIN_CASES:
            continue
        taken.update(near)
        spots.append((lon0, lat0, [points[i][0] for i in near]))
    spots.sort(key=lambda s: -len(s[2]))
    return spots[:REPEAT_SPOTS]


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * METRES_PER_DEGREE
    y = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(x, y)
