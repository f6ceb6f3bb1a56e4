"""Nearby duplicates: the open reports a new one may be the same problem as, offered before sending.

`similar(lon, lat, category, text, now=...)` returns the open public cases reported within a radius
and a window of days of the point that are of the same category or whose text is like the new one,
most alike first. The report page and `GET /api/v1/cases/similar` ask it; "add mine" then makes the
reporter a follower of the case found (`services.following.case_follow`) instead of a new case.

Bounded at a city's volume: the grids whose box meets the radius's box come from the map index of
places (in memory); the cases are read through the (grid, state) index, open states only, within the
window and the box, at most CANDIDATE_LIMIT of them, newest first; the exact distance and the text
likeness are then computed on those few rows. Cases outside every grid (a few, filed under the
nearest region) are not offered.

Text likeness is the Jaccard index of the two texts' sets of character pairs (bigrams), the same
grams the case search indexes (`cases.search`): Chinese has no spaces, and 井盖 / 路灯 are pairs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from civicgrid.cases.models import Case, Category
from civicgrid.cases.presenters import PUBLIC_FIELDS, PUBLIC_RELATED, PublicSummary, public_summaries
from civicgrid.cases.workflow import OPEN_STATES
from civicgrid.lib.geo import M_PER_DEG_LAT, M_PER_DEG_LON, haversine_m
from civicgrid.places import mapindex

# Defaults of the settings CASE_SIMILAR_RADIUS_M and CASE_SIMILAR_WINDOW_DAYS.
RADIUS_M = 150
WINDOW_DAYS = 7
# At most this many rows are read from the database per question, newest first.
CANDIDATE_LIMIT = 200
# Texts at least this alike (bigram Jaccard) count as the same problem whatever their category.
TEXT_THRESHOLD = 0.3
MAX_LIMIT = 20
# Spaces and punctuation (ASCII and CJK) carry no meaning for likeness.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Similar:
    """One case a new report may duplicate, as anyone may read it, and why it was offered."""

    summary: PublicSummary
    distance_m: float
    same_category: bool
    text_score: float
    score: float


def default_radius_m() -> float:
    return float(getattr(settings, "CASE_SIMILAR_RADIUS_M", RADIUS_M))


def default_window_days() -> float:
    return float(getattr(settings, "CASE_SIMILAR_WINDOW_DAYS", WINDOW_DAYS))


def bigrams(text: str) -> frozenset[str]:
    """Return the text's overlapping character pairs, folded and without spaces or punctuation
    (a one-character text: itself)."""
    folded = _NOISE.sub("", (text or "").upper())
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def text_similarity(a: str, b: str) -> float:
    """Return the Jaccard index (0..1) of the bigrams of `a` and `b`; 0 when either has none."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def bbox_of(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """Return the box (west, south, east, north) holding every point within `metres` of lon/lat."""
    dlat = metres / M_PER_DEG_LAT
    dlon = metres / (M_PER_DEG_LON * max(math.cos(math.radians(lat)), 0.01))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def similar(
    lon: float,
    lat: float,
    category: Category | None,
    text: str,
    *,
    now: datetime,
    radius_m: float | None = None,
    window_days: float | None = None,
    limit: int = 5,
    exclude_reporter_id: int | None = None,
) -> list[Similar]:
    """Return up to `limit` open public cases that may be the problem reported at lon/lat (WGS-84).

    1. Find the grids whose box meets the box of the radius (the map index, in memory).
    2. Read their open public cases reported within the window and the box, newest first, at most
       CANDIDATE_LIMIT (the (grid, state) index).
    3. Keep those within the radius that are of the same category or whose text is alike
       (TEXT_THRESHOLD), and rank them: same category and alike text first, then nearer and newer.
    """
    radius = default_radius_m() if radius_m is None else float(radius_m)
    days = default_window_days() if window_days is None else float(window_days)
    limit = max(0, min(int(limit), MAX_LIMIT))
    if limit == 0 or radius <= 0 or not (math.isfinite(lon) and math.isfinite(lat)):
        return []
    words = (text or "").strip()
    if category is None and not bigrams(words):
        return []
    box = bbox_of(lon, lat, radius)
    grid_ids = [g.id for g in mapindex.current().in_bbox("grid", box)]
    if not grid_ids:
        return []
    west, south, east, north = box
    qs = Case.objects.filter(
        grid_id__in=grid_ids,
        state__in=OPEN_STATES,
        is_public=True,
        created_at__gte=now - timedelta(days=days),
        created_at__lte=now,
        lon__gte=west,
        lon__lte=east,
        lat__gte=south,
        lat__lte=north,
    )
    if exclude_reporter_id is not None:
        # A person's own open report is theirs already; it is not offered to them again.
        qs = qs.exclude(reporter_id=exclude_reporter_id)
    rows = list(
        qs.select_related(*PUBLIC_RELATED)
        .only(*PUBLIC_FIELDS, "category_id")
        .order_by("-created_at", "-id")[:CANDIDATE_LIMIT]
    )
    found: list[tuple[Case, float, bool, float, float]] = []
    for case in rows:
        distance = haversine_m(lon, lat, case.lon, case.lat)
        if distance > radius:
            continue
        same = category is not None and case.category_id == category.pk
        score_text = text_similarity(words, case.description) if words else 0.0
        if not same and score_text < TEXT_THRESHOLD:
            continue
        age_days = max((now - case.created_at).total_seconds(), 0) / 86400
        score = (
            (1.0 if same else 0.0)
            + score_text
            + 0.5 * (1 - distance / radius)
            + 0.25 * (1 - min(age_days / days, 1) if days > 0 else 0)
        )
        found.append((case, distance, same, score_text, score))
    found.sort(key=lambda item: (-item[4], item[1], -item[0].pk))
    found = found[:limit]
    summaries = public_summaries([item[0] for item in found])
    return [
        Similar(
            summary=summary,
            distance_m=round(item[1], 1),
            same_category=item[2],
            text_score=round(item[3], 3),
            score=item[4],
        )
        for summary, item in zip(summaries, found, strict=True)
    ]
