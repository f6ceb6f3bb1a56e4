"""Monthly rankings of towns, villages, agencies and grid workers, with the change from the month before.

Areas and agencies are ranked by a composite score: each rate of `figures` (response, resolution,
satisfaction, on-time closure) in percent, times its weight (`ScoreWeights`, points out of 100, the
weights of the month scored), summed; a rate with nothing to divide by is left out and the weights of
the others are scaled up to 100. A unit with no rate at all has no score and is listed last. Grid
workers are ranked by verification on time (ties: more verifications first).

Who sees what: a user's own scope, as the overview (`overview._scope`): a county's towns and villages,
a town's villages, the agencies that worked in the scope, the grid workers of the scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Agency, User
from civicgrid.cases import counts, figures, overview
from civicgrid.cases.models import ScoreWeights
from civicgrid.core.errors import PermissionDenied
from civicgrid.places.models import Place

KINDS: dict[str, Promise] = {
    "towns": gettext_lazy("Towns"),
    "villages": gettext_lazy("Villages / communities"),
    "agencies": gettext_lazy("Agencies"),
    "workers": gettext_lazy("Grid workers"),
}
LEVEL_OF_KIND = {"towns": Place.Level.TOWN, "villages": Place.Level.VILLAGE}
# Used when no weights were ever set.
DEFAULT_WEIGHTS = {"response": 30, "resolution": 30, "satisfaction": 30, "on_time_closure": 10}
SCORED_RATES = tuple(DEFAULT_WEIGHTS)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def previous_month(first: date) -> date:
    return month_start(first - timedelta(days=1))


def weights_for(month: date) -> dict[str, int]:
    """Return the weights a month is scored with: those set from that month or the latest before it."""
    row = ScoreWeights.objects.filter(month__lte=month_start(month)).order_by("-month").first()
    if row is None:
        return dict(DEFAULT_WEIGHTS)
    return {key: getattr(row, key) for key in SCORED_RATES}


def score(f: figures.Figures, weights: dict[str, int]) -> float | None:
    """Return the composite score (0–100) of `f`, or None when no weighted rate has a value."""
    parts = [(weights[key], getattr(f, key).value) for key in SCORED_RATES if weights.get(key)]
    counted = [(w, v) for w, v in parts if v is not None]
    total = sum(w for w, _v in counted)
    if not total:
        return None
    return sum(w * v * 100 for w, v in counted) / total


@dataclass(frozen=True)
class Entry:
    key: int  # the place, agency or user id
    name: str
    figures: figures.Figures
    score: float | None  # the score, or for grid workers the verification-on-time percentage
    rank: int | None
    previous_rank: int | None
    previous_score: float | None
    code: str = ""  # a place's code (for links)

    @property
    def rank_change(self) -> int | None:
        """Places moved up since last month (positive), or None if not ranked both months."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    def as_json(self) -> dict:
        """The entry's fields as the API and the monthly report send them (rates added by the caller)."""
        return {
            "rank": self.rank,
            "key": self.key,
            "code": self.code,
            "name": self.name,
            "score": self.score,
            "previous_rank": self.previous_rank,
            "previous_score": self.previous_score,
        }


@dataclass(frozen=True)
class Ranking:
    kind: str
    month: date
    weights: dict[str, int]
    entries: Sequence[Entry]  # `Entries`: made as they are read
    kinds: list[str]  # the kinds this user may rank
    # When a large ranking was worked out, if it was read from the cache (None: worked out now).
    as_of: datetime | None = None

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])


def kinds_for(user, scope: overview.Scope | None = None) -> list[str]:
    """Return the rankings open to `user` (whose `overview.scope_of(user, "")` is `scope`, when the
    caller has it): the area levels below their regions, agencies, workers."""
    scope = scope or overview.scope_of(user, "")
    if scope.agency is not None:
        return []
    levels = _levels_within(scope)
    return [k for k, level in LEVEL_OF_KIND.items() if level in levels] + ["agencies", "workers"]


def _levels_within(scope) -> set[str]:
    if scope.places == (counts.EVERYWHERE,):
        return {Place.Level.TOWN, Place.Level.VILLAGE}
    places = Place.objects.filter(pk__in=scope.places or ())
    depth = min((p.depth for p in places), default=len(Place.LEVEL_ORDER))
    return {level for level in LEVEL_OF_KIND.values() if Place.LEVEL_ORDER.index(level) > depth}


def ranking(
    *, user, kind: str = "", month: date | None = None, scope: overview.Scope | None = None
) -> Ranking:
    """Return `user`'s ranking of one kind for the month holding `month` (default: the last whole month,
    or this month so far when the last one has nothing to rank). `scope`: the user's
    `overview.scope_of(user, "")`, when the caller has it (it is resolved once)."""
    scope = scope or overview.scope_of(user, "")
    kinds = kinds_for(user, scope)
    if not kinds:
        raise PermissionDenied(_("Rankings are for command centres of an area."))
    if kind not in kinds:
        kind = kinds[0]
    if month is None:
        # The last whole month; this month so far while the last one has nothing to rank.
        current = month_start(timezone.localdate())
        first = previous_month(current)
        this, as_of = _scored(scope, kind, first)
        if all(entry[3] is None for entry in this):
            first = current
            this, as_of = _scored(scope, kind, first)
    else:
        first = month_start(month)
        this, as_of = _scored(scope, kind, first)
    before, _as_of = _scored(scope, kind, previous_month(first))
    previous = {key: (rank, s) for key, _name, _f, s, rank, _code in before}
    return Ranking(kind, first, weights_for(first), Entries(this, previous), kinds, as_of)


class Entries(Sequence):
    """A ranking's entries, each made when it is read: a page of a city's thousands of grid workers, or
    the head and tail the monthly report prints, costs only those units."""

    def __init__(self, rows: list[tuple], previous: dict[int, tuple[int | None, float | None]]) -> None:
        self._rows = rows
        self._previous = previous

    def __len__(self) -> int:
        return len(self._rows)

    def _entry(self, row: tuple) -> Entry:
        key, name, facts, s, rank, code = row
        f = facts if isinstance(facts, figures.Figures) else _figures_of(facts)
        return Entry(key, name, f, s, rank, *self._previous.get(key, (None, None)), code=code)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._entry(row) for row in self._rows[index]]
        return self._entry(self._rows[index])


def _figures_of(values: tuple[int, ...]) -> figures.Figures:
    """The figures of a cached row: its counts of the rate facts in RATE_KEYS' order."""
    return figures.Figures({key: n for key, n in zip(figures.RATE_KEYS, values, strict=True) if n})


# A ranking of more units than this (a city's villages or grid workers) is kept in the cache: a
# finished month for FINISHED_CACHE_SECONDS (its facts no longer change; a repair of the figures
# starts new keys), the month under way for CURRENT_CACHE_SECONDS, with the time it was worked out
# shown beside it. Smaller rankings are worked out on every request (a few milliseconds).
CACHED_ABOVE = 300
FINISHED_CACHE_SECONDS = 24 * 3600
CURRENT_CACHE_SECONDS = 300


def _scored(scope, kind: str, first: date) -> tuple[list[tuple], datetime | None]:
    """Return `_score_all`'s ranking of the month and, when it came from the cache, when it was made."""
    weights = weights_for(first)
    places = ",".join(str(p) for p in sorted(scope.places or ()))
    agency = scope.agency.pk if scope.agency is not None else 0
    token = ",".join(f"{k}={weights.get(k, 0)}" for k in SCORED_RATES)
    key = f"rank:{figures.generation()}:{kind}:{first}:{agency}:{places}:{token}"
    found = cache.get(key)
    if found is not None:
        # Kept as plain tuples (objects and dicts take several times longer to unpickle); their
        # figures are made when an entry is read (`Entries`).
        return found
    result = _score_all(scope, kind, first)
    if len(result) > CACHED_ABOVE:
        finished = month_end(first) < timezone.localdate()
        # The rate facts as counts in RATE_KEYS' order: all a ranking reads.
        rows = [
            (k, name, tuple(f.sums.get(key, 0) for key in figures.RATE_KEYS), s, rank, code)
            for k, name, f, s, rank, code in result
        ]
        cache.set(key, (rows, timezone.now()), FINISHED_CACHE_SECONDS if finished else CURRENT_CACHE_SECONDS)
    return result, None


def _score_all(
    scope, kind: str, first: date
) -> list[tuple[int, str, figures.Figures, float | None, int | None, str]]:
    """Return (key, name, figures, score, rank, code) of every unit of `kind` in the scope for a month."""
    last = month_end(first)
    weights = weights_for(first)
    units: list[tuple[int, str, figures.Figures, str]] = []
    rate: Callable[[figures.Figures], float | None]
    if kind in LEVEL_OF_KIND:
        places = _places_of(scope, LEVEL_OF_KIND[kind])
        sums = figures.by_place(
            places=[p.pk for p in places], day_from=first, day_to=last, keys=figures.RATE_KEYS
        )
        units = [(p.pk, p.display_name, figures.Figures(sums.get(p.pk, {})), p.code) for p in places]

        def rate(f):
            return score(f, weights)
    else:
        party = "agency" if kind == "agencies" else "user"
        sums = party_sums(scope, party, first, last)
        if party == "agency":
            names = dict(Agency.objects.filter(pk__in=list(sums)).values_list("pk", "name"))

            def rate(f):
                return score(f, weights)
        else:
            names = _worker_names(set(sums))

            def rate(f):
                return None if f.verification_on_time.value is None else f.verification_on_time.value * 100

        units = [(key, names.get(key, str(key)), figures.Figures(s), "") for key, s in sums.items()]
    scored = [(key, name, f, rate(f), code) for key, name, f, code in units]
    if kind == "workers":
        verified = {key: f.verification_on_time.whole for key, _name, f, _code in units}
        scored.sort(key=lambda u: (u[3] is None, -(u[3] or 0), -verified[u[0]], u[1]))
    else:
        scored.sort(key=lambda u: (u[3] is None, -(u[3] or 0), u[1]))
    result = []
    rank = 0
    last_score: float | None = None
    for position, (key, name, f, s, code) in enumerate(scored, start=1):
        if s is not None and (last_score is None or round(s, 6) != round(last_score, 6)):
            rank = position  # equal scores share a rank (1, 2, 2, 4)
        last_score = s
        result.append((key, name, f, s, rank if s is not None else None, code))
    return result


# Above this many ids, names are read by the range of ids rather than by a list of them.
_BY_RANGE = 500


def _worker_names(ids: set[int]) -> dict[int, str]:
    """Return the names of the grid workers with these ids. A city's thousands of workers are read by
    the range their ids span (one indexed range read) rather than by an IN list of thousands of
    parameters, which costs several times more to send and plan."""
    if not ids:
        return {}
    rows = User.objects.values_list("pk", "display_name", "username")
    if len(ids) > _BY_RANGE:
        rows = rows.filter(pk__gte=min(ids), pk__lte=max(ids))
    else:
        rows = rows.filter(pk__in=list(ids))
    return {pk: display_name or username for pk, display_name, username in rows.iterator() if pk in ids}


def _places_of(scope, level: str) -> list[Place]:
    if scope.places == (counts.EVERYWHERE,):
        return list(Place.objects.filter(level=level).order_by("code"))
    regions = list(Place.objects.filter(pk__in=scope.places or ()))
    found: list[Place] = []
    for region in regions:
        found += Place.objects.filter(level=level, code__startswith=region.scope_prefix)
    return sorted({p.pk: p for p in found}.values(), key=lambda p: p.code)


def party_sums(scope, party: str, first: date, last: date) -> dict[int, dict[str, int]]:
    """The kept sums per agency or worker over the scope's places (which do not overlap)."""
    total: dict[int, dict[str, int]] = {}
    for place in scope.places or ():
        read = figures.by_party(place=place, day_from=first, day_to=last, party=party, keys=figures.RATE_KEYS)
        for who, sums in read.items():
            mine = total.setdefault(who, {})
            for key, n in sums.items():
                mine[key] = mine.get(key, 0) + n
    return total
