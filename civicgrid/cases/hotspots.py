"""Hotspots of a scope: the categories rising against the period before, and places reported again and again.

- Rising categories: new cases per major class in a period against the same number of days just before,
  from the kept figures (`figures`), so the cost does not grow with the years of cases.
- Repeat locations: several cases reported within REPEAT_RADIUS_M of each other in the last REPEAT_DAYS,
  found among the scope's recent cases (at most REPEAT_MAX_CASES, the newest), bucketed on a grid of
  cells the size of the radius: the densest cell with its neighbours first, its cases taken out, then
  the next.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from civicgrid.cases import access, figures
from civicgrid.cases.models import Category

REPEAT_RADIUS_M = 50
REPEAT_DAYS = 30
REPEAT_MIN_CASES = 3
REPEAT_MAX_CASES = 50_000
REPEAT_SPOTS = 10
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


def rising_categories(*, places: Sequence[int], start: date, end: date, limit: int = 5) -> list[Rising]:
    """Return the major classes with more new cases from `start` to `end` than in as many days before,
    the largest growth first (new ones, with none before, first of all)."""
    days = (end - start).days + 1
    now = _by_major(figures.sums_for(places=places, day_from=start, day_to=end))
    before = _by_major(
        figures.sums_for(
            places=places, day_from=start - timedelta(days=days), day_to=start - timedelta(days=1)
        )
    )
    found = [
        (major, n, before.get(major, 0))
        for major, n in now.items()
        if n >= RISING_MIN and n > before.get(major, 0)
    ]
    majors = Category.objects.in_bulk([m for m, _n, _b in found])
    rows = [Rising(majors[m], n, b) for m, n, b in found if m in majors]
    rows.sort(key=lambda r: (r.before != 0, -(r.change or 0), -r.now, r.category.code))
    return rows[:limit]


def _by_major(sums: dict[str, int]) -> dict[int, int]:
    by_minor = {
        int(key[len(figures.NEW_CATEGORY) :]): n
        for key, n in sums.items()
        if key.startswith(figures.NEW_CATEGORY)
    }
    parents = dict(Category.objects.filter(pk__in=by_minor).values_list("pk", "parent_id"))
    totals: Counter[int] = Counter()
    for minor, n in by_minor.items():
        totals[parents.get(minor) or minor] += n
    return dict(totals)


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
    more cases were reported within REPEAT_RADIUS_M in the last REPEAT_DAYS, the most cases first."""
    now = now or timezone.now()
    qs = access.scope_cases(user, listing=True).filter(created_at__gte=now - timedelta(days=REPEAT_DAYS))
    if region_q is not None:
        qs = qs.filter(region_q)
    rows = list(
        qs.order_by("-id").values_list(
            "tracking_number", "lon", "lat", "created_at", "category__name", "address"
        )[:REPEAT_MAX_CASES]
    )
    if not rows:
        return []
    mean_lat = sum(r[2] for r in rows) / len(rows)
    dlat = REPEAT_RADIUS_M / METRES_PER_DEGREE
    dlon = dlat / max(0.1, math.cos(math.radians(mean_lat)))
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (_n, lon, lat, *_rest) in enumerate(rows):
        cells[(math.floor(lon / dlon), math.floor(lat / dlat))].append(i)
    taken: set[int] = set()
    spots: list[Spot] = []

    def around(cell: tuple[int, int]) -> list[int]:
        return [
            i for dx in (-1, 0, 1) for dy in (-1, 0, 1) for i in cells.get((cell[0] + dx, cell[1] + dy), ())
        ]

    # The densest neighbourhoods first; a case belongs to the first spot that takes it.
    ranked = sorted(cells, key=lambda cell: -len(around(cell)))
    for cell in ranked:
        members = [i for i in around(cell) if i not in taken]
        if len(members) < REPEAT_MIN_CASES:
            continue
        # Only the cases within the radius of the group's centre.
        lon0 = sum(rows[i][1] for i in members) / len(members)
        lat0 = sum(rows[i][2] for i in members) / len(members)
        near = [i for i in members if _metres(rows[i][1], rows[i][2], lon0, lat0) <= REPEAT_RADIUS_M]
        if len(near) < REPEAT_MIN_CASES:
            continue
        taken.update(near)
        near.sort(key=lambda i: rows[i][3], reverse=True)
        spots.append(
            Spot(
                lon=lon0,
                lat=lat0,
                cases=[SpotCase(rows[i][0], rows[i][3], rows[i][4], rows[i][5]) for i in near],
            )
        )
    spots.sort(key=lambda s: -s.count)
    return spots[:REPEAT_SPOTS]


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * METRES_PER_DEGREE
    y = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(x, y)
