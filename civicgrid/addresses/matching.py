"""Address → grid: find an order's written address in the standard address register.

`match(text, within=...)` reads the text (`normalize.parse`) and looks it up in the region's register,
in steps, stopping at the first that finds something:

1. **exact** — the whole key among the active addresses and the aliases (an alias of a merged address
   is followed to its survivor; retired addresses never match);
2. **parts** — road and number, compound and building (both given and agreeing: surer); failing that,
   the compound alone or the road alone when all its addresses lie in one grid, and a number not on
   record between two recorded numbers of the same grid on its road;
3. **similar** — a misspelt road or compound name corrected against the region's names (rapidfuzz,
   Levenshtein distance 1, or 2 for names of 5+ characters), then step 2 under each corrected name;
4. the same again with the region's own place names taken off the front (琴湖澄湖人民路12号).

The confidence is about the GRID, not the address: when every candidate lies in one grid the grid is
certain even if the building is not. When the candidates disagree on the grid the confidence stays
below `settings.ADDRESS_ROUTE_CONFIDENCE` (`Match.confident`), so the order waits for an operator.

For millions of rows every query is an indexed lookup (`Address` indexes: key, road_key+number_key,
compound_key+building_key; the region a range on grid_code) returning at most `_CAP` rows. The one
region-wide read is the vocabulary (the region's road and compound names with their grids, and its
place names), cached per process and region, and rebuilt when `RegisterRevision` moves: every write
to the register calls `register_changed()` in its transaction.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from civicgrid.addresses.models import Address, AddressAlias, RegisterRevision
from civicgrid.addresses.normalize import Parts, parse, strip_places
from civicgrid.lib.codes import code_prefix
from civicgrid.places.models import Place

# Rows read per lookup: a compound's buildings, a road's numbers near one; never a region.
_CAP = 50
# Confidence of each kind of evidence, about the grid (a settled grid, not a guess, above 0.85).
EXACT = 1.0
BOTH_PARTS = 0.97
PARTS = 0.95
ONE_GRID_NAME = 0.9  # a compound or road alone, all of whose addresses lie in one grid
BETWEEN_NUMBERS = 0.88
TWO_NAMES = 0.86  # a road and a compound, each in several grids, that share exactly one  # a number between two recorded numbers of one grid on its road
SIMILAR = 0.95  # factor on the parts' confidence for a corrected name
AMBIGUOUS = 0.8  # factor on the top grid's share when the candidates disagree: always below 0.85
NEAR_NUMBERS = 6  # how far along a road to look for the neighbours of a number not on record


@dataclass(frozen=True)
class Match:
    grid_id: int  # the grid the address is in
    confidence: float  # 0..1, about the grid
    method: str  # "exact", "alias", "parts", "similar"
    address_id: int | None = None  # the register's address, when one was identified
    lon: float | None = None  # the address's point, when known
    lat: float | None = None
    text: str = ""  # the register's text of the address found

    @property
    def confident(self) -> bool:
        return self.confidence >= settings.ADDRESS_ROUTE_CONFIDENCE


# --- The vocabulary cache --------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """A region's names: each road and compound key (of addresses and of aliases) with the grids its
    addresses lie in, and the region's place names with the code prefix each stands for."""

    roads: dict[str, frozenset[int]]
    compounds: dict[str, frozenset[int]]
    road_names: tuple[str, ...]
    compound_names: tuple[str, ...]
    codes: dict[int, str]  # grid id → grid code, for the grids named above
    # Names of the towns, districts and communities in and around the region (full and bare), each
    # with its code prefix: a name written in front narrows the search; bare ones are also dropped.
    areas: dict[str, str]
    places: tuple[str, ...]

    def grids(self, names: dict[str, frozenset[int]], name: str, prefix: str) -> set[int]:
        """Return the grids of `name` within `prefix`."""
        return {g for g in names.get(name, ()) if self.codes[g].startswith(prefix)}


_lock = threading.Lock()
_vocabularies: dict[str, Vocabulary] = {}
_revision: tuple[int, datetime | None] | None = None
_checked_at = float("-inf")
_MAX_REGIONS = 64
# Indirection so tests can move this process's clock past the refresh interval.
_clock = time.monotonic


def read_revision() -> tuple[int, datetime | None]:
    row = RegisterRevision.objects.filter(pk=1).values_list("revision", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)


def register_changed() -> None:
    """Tell every process the register changed (an address or alias added, edited, merged, retired):
    call inside the transaction that changed it. This process's caches go at once; the others' on
    their next check (`ROUTING_REFRESH_SECONDS`)."""
    updated = RegisterRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, changed_at=timezone.now()
    )
    if not updated:
        RegisterRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    invalidate()


def invalidate() -> None:
    """Drop this process's vocabularies (tests; `register_changed`)."""
    global _revision, _checked_at
    with _lock:
        _vocabularies.clear()
        _revision = None
        _checked_at = float("-inf")


def _refresh_seconds() -> float:
    return float(
        getattr(settings, "ADDRESS_REFRESH_SECONDS", getattr(settings, "ROUTING_REFRESH_SECONDS", 2))
    )


def vocabulary(prefix: str) -> Vocabulary:
    """Return the region's vocabulary (`prefix`: a grid-code prefix, "" for the whole register)."""
    global _revision, _checked_at
    now = _clock()
    if now - _checked_at >= _refresh_seconds():
        revision = read_revision()
        with _lock:
            if revision != _revision:
                _vocabularies.clear()
                _revision = revision
            _checked_at = now
    found = _vocabularies.get(prefix)
    if found is None:
        found = _build_vocabulary(prefix)
        with _lock:
            if len(_vocabularies) >= _MAX_REGIONS:
                _vocabularies.pop(next(iter(_vocabularies)))
            _vocabularies[prefix] = found
    return found


def _build_vocabulary(prefix: str) -> Vocabulary:
    active = Address.objects.filter(_region(prefix), status=Address.Status.ACTIVE)
    roads: dict[str, set[int]] = {}
    compounds: dict[str, set[int]] = {}
    codes: dict[int, str] = {}
    named = active.exclude(road_key="", compound_key="").values_list(
        "road_key", "compound_key", "grid_id", "grid_code"
    )
    for road, compound, grid_id, code in named.distinct():
        codes[grid_id] = code
        if road:
            roads.setdefault(road, set()).add(grid_id)
        if compound:
            compounds.setdefault(compound, set()).add(grid_id)
    # Former names and aliases name their address's grid too (their key holds the parts).
    aliases = AddressAlias.objects.filter(_region(prefix), address__status=Address.Status.ACTIVE)
    for key, grid_id, code in aliases.values_list("key", "address__grid_id", "grid_code").distinct():
        road, _number, compound, *_rest = key.split("|")
        codes[grid_id] = code
        if road:
            roads.setdefault(road, set()).add(grid_id)
        if compound:
            compounds.setdefault(compound, set()).add(grid_id)
    levels = (Place.Level.CITY, Place.Level.DISTRICT, Place.Level.TOWN, Place.Level.VILLAGE)
    around = Place.objects.filter(level__in=levels)
    if len(prefix) >= 6:
        around = around.filter(Q(code__startswith=prefix[:6]) | Q(code=prefix[:4] + "00"))
    areas: dict[str, set[str]] = {}
    bare: set[str] = set()
    for name, code, level, kind in around.values_list("name", "code", "level", "kind")[:50_000]:
        if level == Place.Level.VILLAGE and kind != Place.Kind.COMMUNITY:
            continue  # a village is part of its addresses (新桥村3组15号), never a prefix
        scope = code[: Place.PREFIX_LENGTH[level]]
        areas.setdefault(name, set()).add(scope)
        for end in ("街道", "社区", "市", "区", "县", "镇", "乡"):
            if name.endswith(end) and len(name) - len(end) >= 2:
                areas.setdefault(name[: -len(end)], set()).add(scope)
                if level != Place.Level.VILLAGE:
                    bare.add(name[: -len(end)])
    return Vocabulary(
        roads={k: frozenset(v) for k, v in roads.items()},
        compounds={k: frozenset(v) for k, v in compounds.items()},
        road_names=tuple(sorted(roads)),
        compound_names=tuple(sorted(compounds)),
        codes=codes,
        areas={name: next(iter(scopes)) for name, scopes in areas.items() if len(scopes) == 1},
        places=tuple(sorted(bare)),
    )


# --- Lookups ---------------------------------------------------------------------------------------


def _region(prefix: str) -> Q:
    """Return the addresses whose grid code starts with `prefix`, as a range the indexes serve."""
    return code_prefix(prefix, "grid_code") if prefix else Q()


@dataclass(frozen=True)
class _Row:
    id: int
    grid_id: int
    lon: float | None
    lat: float | None
    text: str
    number_key: str = ""


_FIELDS = ("id", "grid_id", "lon", "lat", "text", "number_key")


def _rows(prefix: str, **where: object) -> list[_Row]:
    qs = Address.objects.filter(_region(prefix), status=Address.Status.ACTIVE, **where)
    return [_Row(*r) for r in qs.values_list(*_FIELDS)[:_CAP]]


def _alias_rows(prefix: str, key: str) -> list[_Row]:
    """Return the active addresses whose alias has `key`; a merged one's survivor stands for it."""
    out: list[_Row] = []
    merged: list[int] = []
    aliases = AddressAlias.objects.filter(_region(prefix), key=key).values_list(
        "address_id", "address__grid_id", "address__lon", "address__lat", "address__text",
        "address__number_key", "address__status", "address__merged_into_id",
    )  # fmt: skip
    for pk, grid_id, lon, lat, text, number_key, status, merged_into in aliases[:_CAP]:
        if status == Address.Status.ACTIVE:
            out.append(_Row(pk, grid_id, lon, lat, text, number_key))
        elif status == Address.Status.MERGED and merged_into:
            merged.append(merged_into)
    for _hop in range(4):  # a survivor merged in turn: follow a few links, never a loop
        if not merged:
            break
        following = []
        survivors = Address.objects.filter(pk__in=merged).values_list(*_FIELDS, "status", "merged_into_id")
        for pk, grid_id, lon, lat, text, number_key, status, merged_into in survivors:
            if status == Address.Status.ACTIVE:
                out.append(_Row(pk, grid_id, lon, lat, text, number_key))
            elif status == Address.Status.MERGED and merged_into:
                following.append(merged_into)
        merged = following
    return out


def _neighbour_grids(prefix: str, road: str, number: str) -> set[int] | None:
    """Return the grid of a number not on record from its neighbours on the road: the grids of the
    nearest recorded numbers below and above it, when both exist and agree (else None)."""
    base = number.split("-")[0]
    if not base.isdigit():
        return None
    n = int(base)
    near = [str(k) for k in range(max(1, n - NEAR_NUMBERS), n + NEAR_NUMBERS + 1) if k != n]
    found = Address.objects.filter(
        _region(prefix), status=Address.Status.ACTIVE, road_key=road, number_key__in=near
    ).values_list("number_key", "grid_id")[:_CAP]
    below = [(int(k), g) for k, g in found if int(k) < n]
    above = [(int(k), g) for k, g in found if int(k) > n]
    if "-" in number:  # 88弄3号 not on record: the lane's other houses count too
        lane = Address.objects.filter(
            _region(prefix),
            status=Address.Status.ACTIVE,
            road_key=road,
            number_key__gte=base + "-",
            number_key__lt=base + ".",
        ).values_list("grid_id", flat=True)[:_CAP]
        grids = set(lane)
        if len(grids) == 1:
            return grids
    if not below or not above:
        return None
    grids = {max(below)[1], min(above)[1]}
    return grids if len(grids) == 1 else None


@dataclass(frozen=True)
class _Found:
    """What one step found: the candidate addresses (possibly none) and the grids they point to."""

    rows: tuple[_Row, ...]
    grids: frozenset[int]
    confidence: float
    method: str


def _decide(rows: list[_Row], confidence: float, method: str) -> _Found | None:
    if not rows:
        return None
    return _Found(tuple(rows), frozenset(r.grid_id for r in rows), confidence, method)


def _exact(parts: Parts, prefix: str) -> _Found | None:
    key = parts.key
    rows = _rows(prefix, key=key)
    if rows:
        return _decide(rows, EXACT, "exact")
    return _decide(_alias_rows(prefix, key), EXACT, "alias")


def _by_parts(parts: Parts, prefix: str, vocab: Vocabulary) -> _Found | None:
    """Step 2: road and number, compound and building; else one-grid names and neighbours."""
    by_road = (
        _rows(prefix, road_key=parts.road, number_key=parts.number) if parts.road and parts.number else []
    )
    by_compound = (
        _rows(prefix, compound_key=parts.compound, building_key=parts.building)
        if parts.compound and parts.building
        else []
    )
    if by_road and by_compound:
        road_grids = {r.grid_id for r in by_road}
        both = [r for r in by_compound if r.grid_id in road_grids]
        if both:
            return _decide(both, BOTH_PARTS, "parts")
        return _decide(by_road + by_compound, PARTS, "parts")
    if by_road or by_compound:
        rows = by_road or by_compound
        if by_road and parts.compound and len({r.grid_id for r in rows}) > 1:
            rows = [r for r in rows if r.text.find(parts.compound) >= 0] or rows
        return _decide(rows, PARTS, "parts")
    # No address by its parts: the names' grids.
    evidence: list[tuple[set[int], float]] = []
    compound_grids = vocab.grids(vocab.compounds, parts.compound, prefix) if parts.compound else set()
    if compound_grids:
        evidence.append((compound_grids, ONE_GRID_NAME))
    road_grids = vocab.grids(vocab.roads, parts.road, prefix) if parts.road else set()
    if road_grids:
        near = _neighbour_grids(prefix, parts.road, parts.number) if parts.number else None
        evidence.append((near, BETWEEN_NUMBERS) if near else (road_grids, ONE_GRID_NAME))
    if not evidence:
        return None
    grids = set.intersection(*(g for g, _c in evidence))
    if not grids:  # the names point to different grids
        grids = set.union(*(g for g, _c in evidence))
        return _Found((), frozenset(grids), 0.5 * AMBIGUOUS, "parts")
    if len(grids) == 1:
        # A name in one grid settles it; two names each in several grids that share only one, less so.
        sure = [c for g, c in evidence if len(g) == 1]
        return _Found((), frozenset(grids), max(sure) if sure else TWO_NAMES, "parts")
    return _Found((), frozenset(grids), AMBIGUOUS / len(grids), "parts")


def _similar_names(name: str, names: tuple[str, ...], *, road: bool) -> list[str]:
    """Return the region's names within one edit of `name` (two for 7+ characters), nearest first;
    a road's correction keeps its ending (人名路 is a road, never 人民苑)."""
    if not name or not names:
        return []
    cutoff = 2 if len(name) >= 7 else 1
    found = process.extract(name, names, scorer=Levenshtein.distance, score_cutoff=cutoff, limit=6)
    return [n for n, _d, _i in found if n != name and (not road or n[-1] == name[-1])]


def _by_similar(parts: Parts, prefix: str, vocab: Vocabulary) -> _Found | None:
    """Step 3: each corrected road or compound name, then step 2 under it; agreeing or ambiguous."""
    tries: list[Parts] = []
    if parts.road and parts.road not in vocab.roads:
        tries += [replace(parts, road=n) for n in _similar_names(parts.road, vocab.road_names, road=True)]
    if parts.compound and parts.compound not in vocab.compounds:
        fixed_compounds = _similar_names(parts.compound, vocab.compound_names, road=False)
        tries += [replace(parts, compound=n) for n in fixed_compounds]
        tries += [
            replace(t, compound=n) for t in list(tries) if t.road != parts.road for n in fixed_compounds
        ]
    results = [f for f in (_by_parts(t, prefix, vocab) for t in tries) if f is not None]
    if not results:
        return None
    grids = frozenset().union(*(f.grids for f in results))
    rows = tuple(r for f in results for r in f.rows)
    if len(grids) == 1:
        best = max(f.confidence for f in results)
        return _Found(rows, grids, best * SIMILAR, "similar")
    return _Found(rows, grids, AMBIGUOUS / len(grids), "similar")


def _spread(names: dict[str, frozenset[int]], name: str, prefix: str, vocab: Vocabulary, level: int) -> bool:
    """Return True if `name` lies in more than one place of `level` code length within the region."""
    return len({vocab.codes[g][:level] for g in vocab.grids(names, name, prefix)}) > 1


def _find(parts: Parts, prefix: str, vocab: Vocabulary) -> _Found | None:
    """Steps 1–3 in one region. An exact hit is checked against the parts when its names recur
    elsewhere in the region (a compound of the same name in another town, gated there and not
    here): the other grids' addresses make it ambiguous."""
    found = _exact(parts, prefix)
    if found is not None and len(found.grids) == 1:
        extra: list[_Row] = []
        if parts.compound and parts.building and _spread(vocab.compounds, parts.compound, prefix, vocab, 15):
            extra += _rows(prefix, compound_key=parts.compound, building_key=parts.building)
        if parts.road and parts.number and _spread(vocab.roads, parts.road, prefix, vocab, 9):
            extra += _rows(prefix, road_key=parts.road, number_key=parts.number)
        others = [r for r in extra if r.grid_id not in found.grids]
        if others:
            return _Found(
                found.rows + tuple(others), found.grids | {r.grid_id for r in others}, PARTS, "parts"
            )
    return found or _by_parts(parts, prefix, vocab) or _by_similar(parts, prefix, vocab)


def _narrowed(area: tuple[str, ...] | list[str], prefix: str, vocab: Vocabulary) -> str | None:
    """Return the code prefix of the most specific place named in `area` within the region, if any."""
    best = None
    for name in area:
        scope = vocab.areas.get(name)
        if scope and scope.startswith(prefix) and len(scope) > len(best or prefix):
            best = scope
    return best


def _to_match(found: _Found) -> Match:
    """Return the Match of a step: its grid (the most candidates' when they disagree) and, when one
    address was identified, that address."""
    votes = Counter(r.grid_id for r in found.rows) or Counter(found.grids)
    grid_id, top = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    confidence = found.confidence
    if len(votes) > 1:
        confidence = min(confidence, AMBIGUOUS * top / sum(votes.values()))
    in_grid = [r for r in found.rows if r.grid_id == grid_id]
    row = in_grid[0] if len({r.id for r in in_grid}) == 1 else None
    return Match(
        grid_id=grid_id,
        confidence=round(confidence, 4),
        method=found.method,
        address_id=row.id if row else None,
        lon=row.lon if row else None,
        lat=row.lat if row else None,
        text=row.text if row else "",
    )


def match(text: str, *, within: Place | None = None) -> Match | None:
    """Return the best match of `text` in the register (within a region), or None.

    Steps as the module says; the region is `within`'s subtree (`Place.scope_prefix`), or the whole
    register. None when nothing on record is named; otherwise a Match whose `confident` says whether
    to route on it."""
    parts = parse(text)
    if parts.empty:
        return None
    prefix = within.scope_prefix if within is not None else ""
    vocab = vocabulary(prefix)
    found = _search(parts, parts.area, prefix, vocab)
    if found is None:
        stripped, dropped = strip_places(text, vocab.places)
        if dropped:
            again = parse(stripped)
            if not again.empty:
                found = _search(again, [*parts.area, *dropped], prefix, vocab)
    return _to_match(found) if found is not None else None


def _search(parts: Parts, area: tuple[str, ...] | list[str], prefix: str, vocab: Vocabulary) -> _Found | None:
    """Search the place the text names in front first (荷塘镇…), then the whole region."""
    narrow = _narrowed(area, prefix, vocab)
    if narrow:
        found = _find(parts, narrow, vocab)
        if found is not None:
            return found
    return _find(parts, prefix, vocab)


def match_exact(text: str, *, within: Place | None = None) -> Match | None:
    """Return the match of `text` by its whole key only (step 1): the baseline the benchmark compares."""
    parts = parse(text)
    if parts.empty:
        return None
    found = _exact(parts, within.scope_prefix if within is not None else "")
    return _to_match(found) if found is not None else None


def candidates(text: str, *, within: Place | None = None, limit: int = 8) -> list[Match]:
    """Return the register's best addresses for `text` (best first, at most `limit`), for an operator
    to pick from; empty text gives none.

    1. The addresses the matcher's steps identify (exact, alias, by parts, under corrected names).
    2. Then, for the names written (or their corrections), the compound's buildings and the road's
       numbers nearest the one written, each with the confidence its grid would have."""
    parts = parse(text)
    if parts.empty or limit <= 0:
        return []
    prefix = within.scope_prefix if within is not None else ""
    vocab = vocabulary(prefix)
    out: dict[int, Match] = {}

    def add(rows: tuple[_Row, ...] | list[_Row], confidence: float, method: str) -> None:
        grids = Counter(r.grid_id for r in rows)
        for r in rows:
            if r.id in out or len(out) >= limit:
                continue
            share = grids[r.grid_id] / sum(grids.values())
            sure = confidence if len(grids) == 1 else min(confidence, AMBIGUOUS * share)
            out[r.id] = Match(r.grid_id, round(sure, 4), method, r.id, r.lon, r.lat, r.text)

    for found in (_exact(parts, prefix), _by_parts(parts, prefix, vocab), _by_similar(parts, prefix, vocab)):
        if found is not None and found.rows:
            add(found.rows, found.confidence, found.method)
    roads = (
        [parts.road] if parts.road in vocab.roads else _similar_names(parts.road, vocab.road_names, road=True)
    )
    compounds = (
        [parts.compound]
        if parts.compound in vocab.compounds
        else _similar_names(parts.compound, vocab.compound_names, road=False)
    )
    for compound in compounds[:3]:
        if len(out) >= limit:
            break
        grids = vocab.grids(vocab.compounds, compound, prefix)
        rows = _rows(prefix, compound_key=compound)
        add(rows, ONE_GRID_NAME if len(grids) == 1 else AMBIGUOUS / max(1, len(grids)), "parts")
    for road in roads[:3]:
        if len(out) >= limit:
            break
        grids = vocab.grids(vocab.roads, road, prefix)
        base = parts.number.split("-")[0]
        rows = []
        if base.isdigit():
            n = int(base)
            near = [str(k) for k in range(max(1, n - NEAR_NUMBERS), n + NEAR_NUMBERS + 1)]
            rows = _rows(prefix, road_key=road, number_key__in=near)
            rows.sort(key=lambda r, n=n: abs(_number_value(r.number_key) - n))
        rows = rows or _rows(prefix, road_key=road)
        add(rows, ONE_GRID_NAME if len(grids) == 1 else AMBIGUOUS / max(1, len(grids)), "parts")
    return sorted(out.values(), key=lambda m: -m.confidence)[:limit]


def _number_value(number_key: str) -> int:
    base = number_key.split("-")[0]
    return int(base) if base.isdigit() else 10**9
