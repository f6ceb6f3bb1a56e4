"""Reads for the staff map: what one viewport shows of the cases in scope, at a bounded size.

The page loads without cases; the map asks for its viewport (`map_view`) as it moves. A viewport
holding at most MARKER_LIMIT of the filtered cases gets one marker per case; a fuller one gets the
count of each place (grid, village or town, whichever shows big enough at the zoom) at the place's
centre, from the kept counts (`cases.counts`) when the filters are only area, step and dates, else
from one GROUP BY over the filtered cases of the places in view. Outlines come simplified to the
zoom: the grids' once they are big enough to read, else the places counted.

Every case read starts from `selectors.case_list` (so `access.scope_cases`); every place from the
user's areas, the regions of their staff roles. A staff member's own reports outside their regions
are in their lists but not on this map.

Everything here is WGS-84, as stored. On GCJ-02 tiles the view (`views_work.case_map_data`) shifts
the viewport it is sent back to WGS-84 and what it answers to GCJ-02, through `places.display`.
In the browser the markers are clustered again by screen distance (leaflet.markercluster), so cases
at one spot show as one count that spreads out when tapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import counts, selectors, selectors_work
from civicgrid.cases.models import Case
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.selectors_work import overdue_q
from civicgrid.cases.workflow import OPEN_STATES
from civicgrid.core import scopes as core_scopes
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.places import mapindex
from civicgrid.places.mapindex import DEPTH, LEVELS, BBox, MapPlace

S = Case.State

# A viewport with more cases than this gets counts per place instead of markers.
MARKER_LIMIT = 500
# At this zoom and closer, a viewport over the limit draws its first MARKER_LIMIT cases (the most
# urgent first): zooming in further would not split them.
MARKER_ZOOM = 17
# A place is counted as its children when they show at least this many pixels across, so that the
# circles do not cover each other.
CLUSTER_PX = 80
# Grid outlines are drawn once a grid shows at least this many pixels across.
OUTLINE_PX = 24
OUTLINE_LIMIT = 400
# Filters the kept counts do not answer (a category, words, overdue) are counted with a GROUP BY over
# the cases of the places in view, when the kept counts say it reads at most this many rows;
# beyond, the clusters show where the cases are without a count, until the view is smaller.
COUNT_ROWS_LIMIT = 20_000
UNROUTED_LIMIT = 50
ALL_STATES = tuple(Case.State.values)

# The step a state belongs to on the map, and its marker colour (overdue markers get a red ring).
MAP_STEPS: list[tuple[str, Promise, str, tuple[str, ...]]] = [
    ("verify", _("To verify"), "#1f5fbf", (S.REPORTED,)),
    ("grid", _("In the grid"), "#2f8f6f", (S.ACCEPTED, S.GRID_HANDLING)),
    ("village", _("At the village"), "#7b4fc4", (S.VILLAGE, S.VILLAGE_HANDLING)),
    ("town", _("To dispatch"), "#e07b00", (S.TOWN,)),
    ("agency", _("At an agency"), "#0e7490", (S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED)),
    ("check", _("To check"), "#8d5a2b", (S.CHECKING,)),
    ("rate", _("To rate"), "#5b6b7f", (S.RESOLVED,)),
]
MAP_OVERDUE_COLOUR = "#c8372d"
STEP_OF_STATE = {state: key for key, _label, _colour, states in MAP_STEPS for state in states}


@dataclass(frozen=True)
class Viewport:
    bbox: BBox  # west, south, east, north (WGS-84)
    zoom: float


@dataclass(frozen=True)
class Cluster:
    place: MapPlace
    count: int | None  # None: not counted (`MapView.uncounted`)


@dataclass
class MapView:
    """What one viewport shows: markers (`cases`) or counts per place (`clusters`), and outlines."""

    mode: str  # "markers" or "clusters"
    total: int  # cases in view: the markers drawn, or the cases of the places counted
    level: str  # the finest level of the places counted
    cases: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    outlines: list[tuple[MapPlace, dict]] = field(default_factory=list)
    # Markers: more cases than MARKER_LIMIT in view at MARKER_ZOOM; the first ones are drawn.
    capped: bool = False
    # The counts came from the kept counts rather than from the cases.
    counted: bool = False
    # Too many cases to count with these filters: `total` is the kept count of the area, steps and
    # dates (at least as many), the clusters show where they are, without a count.
    uncounted: bool = False


def map_areas(user, region: str = "") -> list[MapPlace] | None:
    """Return the places whose cases `user` sees on the map, none within another (None: all), narrowed
    to the area filter `region` (a code).

    The regions of the user's staff roles, a city's as its districts: the same cases as
    `access.scope_cases` but for the person's own reports elsewhere. Places the map cannot locate
    (no boundary, no grid with one) are left out.
    """
    index = mapindex.current()
    areas: list[MapPlace] | None
    if core_scopes.is_root(user):
        areas = None
    else:
        found: list[MapPlace] = []
        for s in core_scopes.scopes(user):
            if s.role not in STAFF_ROLES or s.role == Role.AGENCY_STAFF or s.place is None:
                continue
            if s.place.level == "city":
                found += [p for p in index.by_level["district"] if p.code.startswith(s.place.scope_prefix)]
            elif s.place.code in index.by_code:
                found.append(index.by_code[s.place.code])
        areas = []
        for place in sorted(found, key=lambda p: (p.depth, p.code)):
            if not any(place.code.startswith(a.prefix) for a in areas):
                areas.append(place)
    if not region:
        return areas
    chosen = index.by_code.get(region)
    if chosen is None:
        return []
    if areas is None or any(chosen.code.startswith(a.prefix) for a in areas):
        return [chosen]
    return [a for a in areas if a.code.startswith(chosen.prefix)]


def map_bounds(areas: list[MapPlace] | None) -> BBox | None:
    """Return the box the map opens on: the user's areas (every district for None)."""
    index = mapindex.current()
    places = areas if areas is not None else index.by_level["district"] or list(index.places.values())
    if not places:
        return None
    return (
        min(p.bbox[0] for p in places),
        min(p.bbox[1] for p in places),
        max(p.bbox[2] for p in places),
        max(p.bbox[3] for p in places),
    )


@dataclass(frozen=True)
class MapFilters:
    """The work list's filters (`CaseFilters`), open cases only or every step, overdue only or not."""

    cases: CaseFilters
    open_only: bool = True
    overdue_only: bool = False

    def states(self) -> list[str] | None:
        """Return the states the filters keep (None: every state)."""
        if self.open_only:
            return list(OPEN_STATES)
        return [self.cases.state] if self.cases.state else None

    def kept_counts_answer(self) -> bool:
        """Return whether the kept counts answer these filters exactly (`selectors.kept_counts_answer`)."""
        return not self.overdue_only and selectors.kept_counts_answer(self.cases)


def map_cases(*, user, filters: MapFilters, now: datetime) -> QuerySet[Case]:
    """Return the cases the map draws from: the work list's (`selectors_work.work_cases`)."""
    return selectors_work.work_cases(
        user=user,
        filters=filters.cases,
        open_only=filters.open_only,
        overdue_only=filters.overdue_only,
        now=now,
    )


def map_view(
    *,
    user,
    filters: MapFilters,
    viewport: Viewport,
    now: datetime | None = None,
) -> MapView:
    """Return what `viewport` shows of the user's filtered cases.

    1. Choose the places to count: the user's areas in view, each split into its children as long
       as they show CLUSTER_PX across at the zoom (`PlaceMap.split`).
    2. Count the cases of those places: the kept counts when the filters
       are only area, step and dates; else one GROUP BY when the kept counts say it reads at most
       COUNT_ROWS_LIMIT rows; else not at all (`uncounted`).
    3. At most MARKER_LIMIT (or at MARKER_ZOOM, or grids holding at most COUNT_ROWS_LIMIT cases
       whose markers in the box turn out to be at most MARKER_LIMIT): the markers of the grids in
       view, within the box.
    4. Outlines: the grids in view once they show OUTLINE_PX across, else the places counted.
    """
    now = now or timezone.now()
    index = mapindex.current()
    areas = map_areas(user, filters.cases.region)
    bbox, zoom = viewport.bbox, viewport.zoom
    lat = (bbox[1] + bbox[3]) / 2
    if areas == []:
        return MapView(mode="markers", total=0, level="")
    # Everything: the widest places there are (districts, unless the tree has none).
    tops = (
        areas if areas is not None else next((index.by_level[lv] for lv in LEVELS if index.by_level[lv]), [])
    )
    places = index.split(tops, bbox, zoom, CLUSTER_PX)
    # The finest level counted (reported to the client; places of several levels may be counted).
    level = max((p.level for p in places), key=lambda lv: DEPTH[lv], default="")
    cases = map_cases(user=user, filters=filters, now=now)
    # The kept counts of the area, steps and dates: exact for those filters, an upper bound (and the
    # number of rows a GROUP BY would read) for any other.
    bound = counts.by_place(
        places=[p.id for p in places],
        states=filters.states(),
        day_from=filters.cases.date_from,
        day_to=filters.cases.date_to,
    )
    exact = filters.kept_counts_answer()
    if exact:
        found: dict[int, int] | None = bound
    elif sum(bound.values()) <= COUNT_ROWS_LIMIT:
        found = _group_counts(cases, places)
    else:
        found = None
    if found is None:
        view = MapView(
            mode="clusters",
            total=sum(bound.values()),
            level=level,
            clusters=[Cluster(p, None) for p in places if bound.get(p.id)],
            uncounted=True,
        )
    else:
        view = MapView(
            mode="clusters",
            total=sum(found.values()),
            level=level,
            clusters=[Cluster(p, found[p.id]) for p in places if found.get(p.id)],
            counted=exact,
        )
    # Grids partly in view count more cases than the view holds: when only grids are counted, they
    # hold at most COUNT_ROWS_LIMIT cases and the share of their boxes in view suggests at most twice
    # MARKER_LIMIT, the markers in the box are read to see.
    only_grids = bool(places) and all(p.level == "grid" for p in places)
    if (
        (found is not None and view.total <= MARKER_LIMIT)
        or zoom >= MARKER_ZOOM
        or (
            only_grids
            and found is not None
            and sum(bound.values()) <= COUNT_ROWS_LIMIT
            and sum(n * _share_in_view(index.places[pk].bbox, bbox) for pk, n in found.items())
            <= 2 * MARKER_LIMIT
        )
    ):
        grids = index.in_bbox("grid", bbox, areas)
        rows = _markers(cases, grids, bbox, now) if grids else []
        if len(rows) <= MARKER_LIMIT or zoom >= MARKER_ZOOM:
            view.mode = "markers"
            view.capped = len(rows) > MARKER_LIMIT
            view.cases = rows[:MARKER_LIMIT]
            view.total = len(view.cases) if not view.capped else max(view.total, len(rows))
            view.clusters = []
            view.uncounted = False
    if index.shown_size_px("grid", zoom, lat) >= OUTLINE_PX:
        drawn = index.in_bbox("grid", bbox, areas)
    else:
        drawn = [p for p in places if p.has_outline]
    view.outlines = [(p, outline) for p in drawn[:OUTLINE_LIMIT] if (outline := index.outline(p, zoom))]
    return view


def _share_in_view(box: BBox, view: BBox) -> float:
    """Return the share of `box` within `view` (of their areas in degrees, fine for a guess)."""
    width = min(box[2], view[2]) - max(box[0], view[0])
    height = min(box[3], view[3]) - max(box[1], view[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(width, 0.0) * max(height, 0.0) / area if area > 0 else 1.0


def _group_counts(cases: QuerySet[Case], places: list[MapPlace]) -> dict[int, int]:
    """Count the cases of each place, one GROUP BY per level among `places`."""
    result: dict[int, int] = {}
    by_level: dict[str, list[int]] = {}
    for p in places:
        by_level.setdefault(p.level, []).append(p.id)
    distinct = cases.query.distinct
    for level, ids in by_level.items():
        column = f"{level}_id"
        rows = (
            cases.order_by()
            .filter(**{f"{column}__in": ids})
            .values_list(column)
            .annotate(n=Count("id", distinct=distinct))
        )
        result.update(dict(rows))
    return result


MARKER_FIELDS = (
    "tracking_number",
    "state",
    "priority",
    "lon",
    "lat",
    "late",
    "category__code",
    "category__name",
    "category__name_en",
    "address",
)


def _markers(cases: QuerySet[Case], grids: list[MapPlace], bbox: BBox, now: datetime) -> list[dict]:
    """Return up to MARKER_LIMIT + 1 routed cases of `grids` within `bbox`, the list's order."""
    west, south, east, north = bbox
    qs = cases.filter(
        grid_id__in=[g.id for g in grids],
        lon__gte=west,
        lon__lte=east,
        lat__gte=south,
        lat__lte=north,
    ).annotate(late=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
    return list(qs.values(*MARKER_FIELDS)[: MARKER_LIMIT + 1])


def unrouted(*, user, filters: MapFilters, now: datetime | None = None) -> tuple[list[Case], selectors.Total]:
    """Return the first UNROUTED_LIMIT filtered cases outside every grid of the user's areas (listed
    beside the map), and how many there are (up to LIST_TOTAL_CAP, "1,000+" beyond).

    The areas' own condition (`town_id = …`) beside the scope's lets both databases read the partial
    `case_unrouted_*_idx` indexes (SQLite would otherwise walk the scope's OR over all its cases).
    """
    qs = map_cases(user=user, filters=filters, now=now or timezone.now()).filter(routed=False)
    areas = map_areas(user, filters.cases.region)
    if areas is not None:
        ids: dict[str, list[int]] = {}
        for area in areas:
            if area.level != "grid":  # a case outside every grid is in no grid's area
                ids.setdefault(area.level, []).append(area.id)
        if not ids:
            return [], 0
        condition = Q()
        for level, level_ids in ids.items():
            condition |= Q(**{f"{level}_id__in": level_ids})
        qs = qs.filter(condition)
    # SQLite (without statistics) reads these through any index of the area's column, which holds all
    # the area's cases (375,000 for a town: 340 ms), unless the query names both columns of the partial
    # index (the states, in full if no step is chosen) and its order cannot come from another index:
    # newest first by an expression, a sort of the few unrouted rows. PostgreSQL plans it the same way.
    # The count is capped and read in the same order, or SQLite counts through the (area, state)
    # index, every case of the area.
    qs = qs.filter(state__in=ALL_STATES).order_by((F("pk") + 0).desc())
    found = qs.values("pk")[: selectors.LIST_TOTAL_CAP + 1].count()
    return list(qs[:UNROUTED_LIMIT]), selectors.Total.capped(found)
