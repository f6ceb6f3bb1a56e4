"""Check a GeoJSON file of places and boundaries, then write all of it or nothing.

The file is the one `exports.py` writes: a FeatureCollection whose features carry `code`, `name`,
optional `name_en`, `level`, optional `kind`, `parent_code` and a Polygon/MultiPolygon `geometry`
(WGS-84; required for grids). Used by `manage.py import_places` and the import page; both show
`ImportPlan.problems` before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry import shape as to_shape

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.lib.geo import GeometryError, geometry_area_m2, parse_boundary
from civicgrid.places import access, services
from civicgrid.places.access import Perm
from civicgrid.places.models import Boundary, Place, RoutingRevision

T = TypeVar("T")
# Called like tqdm: progress(iterable, desc=..., total=...) and returns the iterable to loop over.
Progress = Callable[..., Iterable[Any]]

# Keeps every `code__in` list well below SQLite's and PostgreSQL's limits on query parameters.
_CHUNK = 500
# Declared coordinate systems that are WGS-84 longitude/latitude (CGCS2000 differs by centimetres).
_WGS84_NAMES = ("CRS84", "4326", "4490")
NAME_MAX_LENGTH = Place._meta.get_field("name").max_length


def _quiet(iterable: Iterable[T], **kwargs: Any) -> Iterable[T]:
    return iterable


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported; `number` counts features from 1 (None: the whole file)."""

    number: int | None
    code: str
    message: str

    def __str__(self) -> str:
        if self.number is None:
            return self.message
        if self.code:
            return _("feature #%(number)d (%(code)s): %(message)s") % {
                "number": self.number,
                "code": self.code,
                "message": self.message,
            }
        return _("feature #%(number)d: %(message)s") % {"number": self.number, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "code": self.code, "message": self.message}


@dataclass
class PlannedPlace:
    """One feature that passed every check, and what importing it does."""

    number: int
    code: str
    name: str
    name_en: str | None  # None: the file does not say, so an existing English name stays.
    level: str
    kind: str | None
    parent_code: str | None
    geometry: dict[str, Any] | None
    place_id: int | None = None  # The existing place, for updates and redraws.
    rename: bool = False
    redraw: bool = False


@dataclass
class ImportPlan:
    """What `check_places` found: the problems, or the writes `apply_plan` will make."""

    problems: list[Problem] = field(default_factory=list)
    creates: list[PlannedPlace] = field(default_factory=list)
    updates: list[PlannedPlace] = field(default_factory=list)
    redraws: list[PlannedPlace] = field(default_factory=list)
    unchanged: int = 0
    feature_count: int = 0
    # The routing revision the checks saw; `apply_plan` checks again if boundaries changed since.
    revision: int = 0
    data: Any = None
    user: Any = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.redraws)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    redrawn: int
    unchanged: int


@dataclass
class _Row:
    number: int
    code: str
    name: str
    name_en: str | None
    level: str
    kind: str | None
    parent_code: str | None
    geometry: dict[str, Any] | None
    shape: Polygon | MultiPolygon | None
    valid: bool = True  # False once any problem is reported for the row.


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _current_revision(*, lock: bool = False) -> int:
    qs = RoutingRevision.objects.filter(pk=1)
    if lock:
        qs = qs.select_for_update()
    return qs.values_list("revision", flat=True).first() or 0


def _file_problem(message: str) -> Problem:
    return Problem(number=None, code="", message=message)


def _load(raw: Any) -> tuple[Any, Problem | None]:
    """Return the parsed JSON of `raw` (bytes, text, or already parsed), or the problem that stops it."""
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, _file_problem(
                _(
                    "The file is not UTF-8 text (byte %(position)d cannot be read). Save it as UTF-8 "
                    "(files from Chinese GIS software are often GBK) and try again."
                )
                % {"position": exc.start + 1}
            )
    if isinstance(raw, str):
        try:
            return json.loads(raw), None
        except json.JSONDecodeError as exc:
            return None, _file_problem(
                _("The file is not valid JSON: %(error)s at line %(line)d, column %(column)d.")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            )
        except RecursionError:
            return None, _file_problem(_("The file is not valid JSON: it is nested too deeply."))
    return raw, None


def _collection_problem(data: Any) -> Problem | None:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return _file_problem(_("The file is not a GeoJSON FeatureCollection."))
    if not isinstance(data.get("features"), list):
        return _file_problem(_("The FeatureCollection has no “features” list."))
    if not data["features"]:
        return _file_problem(_("The file has no features."))
    crs = data.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if not isinstance(name, str) or not any(name.upper().endswith(w) for w in _WGS84_NAMES):
            return _file_problem(
                _(
                    "The file declares the coordinate system “%(crs)s”; boundaries must be WGS-84 "
                    "longitude/latitude (EPSG:4326)."
                )
                % {"crs": name if isinstance(name, str) else json.dumps(crs)[:80]}
            )
    return None


def _text(value: Any) -> str | None:
    """Return a property as stripped text; codes written as numbers are accepted too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _read_feature(number: int, feature: Any, problems: list[Problem]) -> _Row | None:
    """Check one feature on its own (properties and geometry); None when it is not a feature at all."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(Problem(number, "", _("This is not a GeoJSON Feature.")))
        return None
    props = feature.get("properties")
    if not isinstance(props, dict):
        problems.append(Problem(number, "", _("The feature has no properties.")))
        return None
    found: list[str] = []

    code = _text(props.get("code")) or ""
    if not code:
        found.append(_("The feature has no “code”, or it is not text."))
    level = props.get("level")
    if not isinstance(level, str) or level not in Place.CODE_LENGTH:
        found.append(
            _("Level “%(level)s” is not one of city, district, town, village, grid.") % {"level": level}
        )
        level = ""
    elif code:
        found.append(services.code_problem(code, level) or "")

    name = props.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        found.append(_("The feature has no “name”."))
    elif len(name) > NAME_MAX_LENGTH:
        found.append(_("The name is longer than %(n)d characters.") % {"n": NAME_MAX_LENGTH})
    name_en = props.get("name_en")
    if name_en is not None:
        if not isinstance(name_en, str):
            found.append(_("“name_en” must be text."))
            name_en = None
        elif len(name_en.strip()) > NAME_MAX_LENGTH:
            found.append(_("The English name is longer than %(n)d characters.") % {"n": NAME_MAX_LENGTH})
        else:
            name_en = name_en.strip()

    kind = props.get("kind") or None
    if kind is not None and not isinstance(kind, str):
        found.append(_("“kind” must be text."))
        kind = None
    elif kind is not None and level and kind not in services.KINDS_BY_LEVEL[level]:
        found.append(
            _("“%(kind)s” is not a kind of %(level)s.") % {"kind": kind, "level": Place.Level(level).label}
        )

    parent_code = None
    if props.get("parent_code") not in (None, ""):
        parent_code = _text(props.get("parent_code"))
        if not parent_code:
            found.append(_("“parent_code” must be a code."))

    geometry = feature.get("geometry")
    shape = None
    if geometry is None:
        if level == "grid":
            found.append(_("A grid needs a boundary, but the feature has no geometry."))
    else:
        try:
            shape = parse_boundary(geometry)
        except GeometryError as exc:
            found.append(str(exc))

    found = [m for m in found if m]
    problems.extend(Problem(number, code, m) for m in found)
    return _Row(
        number=number,
        code=code,
        name=name,
        name_en=name_en,
        level=level,
        kind=kind,
        parent_code=parent_code,
        geometry=geometry if shape is not None else None,
        shape=shape,
        valid=not found,
    )


def _places_by_code(codes: Iterable[str]) -> dict[str, Place]:
    result: dict[str, Place] = {}
    for chunk in _chunks(sorted(set(codes))):
        for place in Place.objects.filter(code__in=chunk).select_related("parent"):
            result[place.code] = place
    return result


def _same_shape(row: _Row, current: dict[str, Any] | None) -> bool:
    if current is None or row.geometry is None:
        return current is None and row.geometry is None
    if row.geometry == current:
        return True
    try:
        return bool(row.shape is not None and row.shape.equals(to_shape(current)))
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return False


class _Checker:
    """The cross-feature checks: duplicates, parents, existing places, scope and overlaps."""

    def __init__(self, rows: list[_Row], problems: list[Problem], user: Any) -> None:
        self.rows = rows
        self.problems = problems
        self.user = user
        self.by_code: dict[str, _Row] = {}
        self.existing: dict[str, Place] = {}

    def report(self, row: _Row, message: str) -> None:
        row.valid = False
        self.problems.append(Problem(row.number, row.code, message))

    def run(self, plan: ImportPlan) -> None:
        self.check_duplicates()
        wanted = {r.code for r in self.rows if r.code} | {r.parent_code for r in self.rows if r.parent_code}
        self.existing = _places_by_code(wanted)
        for row in self.rows:
            if not (row.code and row.level):
                continue
            if row.code in self.existing:
                self.check_unchangeable(row, self.existing[row.code])
            elif not services.code_problem(row.code, row.level):
                # (A code that does not fit its level was reported already; its parent cannot be judged.)
                self.check_parent(row)
        current = self.current_geometries()
        self.check_overlaps()
        self.classify(plan, current)
        if self.user is not None:
            self.check_scope(plan)

    def check_duplicates(self) -> None:
        unique = []
        for row in self.rows:
            first = self.by_code.get(row.code) if row.code else None
            if first is not None:
                self.report(
                    row,
                    _("Code “%(code)s” appears more than once in the file (first at feature #%(first)d).")
                    % {"code": row.code, "first": first.number},
                )
                continue
            if row.code:
                self.by_code[row.code] = row
            unique.append(row)
        self.rows = unique

    def parent_in_file(self, code: str) -> Place | None:
        row = self.by_code.get(code)
        if row is None or not row.level or services.code_problem(row.code, row.level):
            return None
        return Place(code=row.code, level=row.level)

    def check_parent(self, row: _Row) -> None:
        parent: Place | None = None
        if row.parent_code:
            parent = self.existing.get(row.parent_code) or self.parent_in_file(row.parent_code)
            if parent is None and row.parent_code in self.by_code:
                return  # The parent's own problem is reported; whether it could hold this one is moot.
            if parent is None:
                self.report(
                    row,
                    _("Parent “%(parent)s” is neither in the file nor an existing place.")
                    % {"parent": row.parent_code},
                )
                return
        problem = services.parent_problem(row.code, row.level, parent)
        if problem:
            self.report(row, problem)

    def check_unchangeable(self, row: _Row, existing: Place) -> None:
        if existing.level != row.level:
            self.report(
                row,
                _("“%(code)s” is already a %(level)s; the level of an existing place cannot change.")
                % {"code": row.code, "level": Place.Level(existing.level).label},
            )
            return
        old_parent = existing.parent.code if existing.parent_id else None
        if row.parent_code != old_parent:
            self.report(
                row,
                _("“%(code)s” is already under “%(parent)s”; the parent of an existing place cannot change.")
                % {"code": row.code, "parent": old_parent or "—"},
            )
        if row.kind is not None and row.kind != existing.kind:
            self.report(
                row,
                _("“%(code)s” is already a %(kind)s; an import cannot change the kind of a place.")
                % {"code": row.code, "kind": Place.Kind(existing.kind).label},
            )

    def current_geometries(self) -> dict[str, dict[str, Any]]:
        """Return the current boundaries of the existing places in the file, by code."""
        ids = {p.pk: p.code for code, p in self.existing.items() if code in self.by_code}
        result: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(ids)):
            rows = Boundary.objects.filter(valid_to__isnull=True, place_id__in=chunk).values_list(
                "place_id", "geometry"
            )
            for place_id, geometry in rows:
                result[ids[place_id]] = geometry
        return result

    def sibling_shapes(self, villages: set[str]) -> list[tuple[str, str, Polygon | MultiPolygon]]:
        """Return (code, village code, shape) of the current boundaries of grids under `villages`, not in the file."""
        village_ids = {self.existing[c].pk: c for c in villages if c in self.existing}
        wanted: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(sorted(village_ids)):
            rows = Boundary.objects.filter(
                valid_to__isnull=True, place__level="grid", place__parent_id__in=chunk
            ).values_list("place_id", "place__code", "place__parent_id")
            for place_id, code, parent_id in rows:
                if code not in self.by_code:
                    wanted[place_id] = (code, village_ids[parent_id])
        result = []
        for chunk in _chunks(sorted(wanted)):
            for place_id, geometry in Boundary.objects.filter(
                valid_to__isnull=True, place_id__in=chunk
            ).values_list("place_id", "geometry"):
                code, village = wanted[place_id]
                try:
                    result.append((code, village, to_shape(geometry)))
                except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
                    continue
        return result

    def check_overlaps(self) -> None:
        """Refuse a grid that overlaps a sibling (same village, in the file or the database) beyond the tolerance.

        One STRtree over all candidate shapes finds the pairs whose boxes meet, so the cost grows with
        the number of neighbours, not with the square of the number of grids.
        """
        grids = [r for r in self.rows if r.level == "grid" and r.shape is not None and r.parent_code]
        if not grids:
            return
        tolerance = float(settings.PLACES_OVERLAP_TOLERANCE_M2)
        siblings = self.sibling_shapes({r.parent_code for r in grids if r.parent_code})
        shapes = [r.shape for r in grids] + [s for _c, _v, s in siblings]
        villages = [r.parent_code for r in grids] + [v for _c, v, _s in siblings]
        tree = shapely.STRtree(shapes)
        left, right = tree.query(shapes[: len(grids)], predicate="intersects")
        pairs = [
            (i, j)
            for i, j in zip(left.tolist(), right.tolist(), strict=True)
            if villages[i] == villages[j] and (i < j or j >= len(grids))
        ]
        if not pairs:
            return
        overlaps = shapely.intersection([shapes[i] for i, _j in pairs], [shapes[j] for _i, j in pairs])
        for (i, j), overlap in zip(pairs, overlaps, strict=True):
            if overlap.is_empty or overlap.area == 0:
                continue
            area = geometry_area_m2(overlap)
            if area <= tolerance:
                continue
            if j < len(grids):
                # Reported on the later feature, so the message can point back at the earlier one.
                self.report(
                    grids[j],
                    _(
                        "The boundary overlaps grid “%(other)s” (feature #%(number)d) by %(area)d m²; "
                        "at most %(tolerance)d m² is allowed."
                    )
                    % {
                        "other": grids[i].code,
                        "number": grids[i].number,
                        "area": area,
                        "tolerance": tolerance,
                    },
                )
            else:
                self.report(
                    grids[i],
                    _(
                        "The boundary overlaps the existing grid “%(other)s” by %(area)d m²; "
                        "at most %(tolerance)d m² is allowed."
                    )
                    % {"other": siblings[j - len(grids)][0], "area": area, "tolerance": tolerance},
                )

    def classify(self, plan: ImportPlan, current: dict[str, dict[str, Any]]) -> None:
        for row in self.rows:
            if not row.valid:
                continue
            item = PlannedPlace(
                number=row.number,
                code=row.code,
                name=row.name,
                name_en=row.name_en,
                level=row.level,
                kind=row.kind,
                parent_code=row.parent_code,
                geometry=row.geometry,
            )
            existing = self.existing.get(row.code)
            if existing is None:
                plan.creates.append(item)
                continue
            item.place_id = existing.pk
            item.rename = row.name != existing.name or (
                row.name_en is not None and row.name_en != existing.name_en
            )
            item.redraw = row.geometry is not None and not _same_shape(row, current.get(row.code))
            if item.rename:
                plan.updates.append(item)
            if item.redraw:
                plan.redraws.append(item)
            if not (item.rename or item.redraw):
                plan.unchanged += 1

    def check_scope(self, plan: ImportPlan) -> None:
        """Refuse every create or change outside the places the user manages (unchanged places are fine)."""
        changed = sorted({i.code for i in plan.updates + plan.redraws})
        managed: set[str] = set()
        for chunk in _chunks(changed):
            managed.update(
                access.scope_places_managed(self.user).filter(code__in=chunk).values_list("code", flat=True)
            )
        refused = [i for i in plan.updates + plan.redraws if i.code not in managed]
        refused += [
            i
            for i in plan.creates
            if not access.can(self.user, Perm.PLACE_MANAGE, Place(code=i.code, level=i.level))
        ]
        seen: set[str] = set()
        for item in sorted(refused, key=lambda i: i.number):
            if item.code not in seen:
                seen.add(item.code)
                self.problems.append(
                    Problem(
                        item.number,
                        item.code,
                        _("“%(code)s” is outside the area you manage.") % {"code": item.code},
                    )
                )


def check_places(data: Any, *, user: Any = None, progress: Progress = _quiet) -> ImportPlan:
    """Check a places file completely and return what importing it would do, writing nothing.

    1. Parse it (bytes, text or parsed JSON) and check it is a WGS-84 FeatureCollection.
    2. Check each feature on its own: properties, code for its level, boundary validity.
    3. Check across features and the database: duplicate codes, parents (in the file or existing),
       existing places keeping their level, parent and kind, overlaps with sibling grids.
    4. Sort the features into creates, renames, redraws and unchanged; refuse, for `user`, any
       change outside the places they manage.
    """
    plan = ImportPlan(user=user, revision=_current_revision())
    parsed, problem = _load(data)
    problem = problem or _collection_problem(parsed)
    if problem:
        plan.problems.append(problem)
        return plan
    plan.data = parsed
    features = parsed["features"]
    plan.feature_count = len(features)
    rows = []
    for number, feature in enumerate(
        progress(features, desc=_("Checking"), total=len(features), unit=_("feature")), start=1
    ):
        row = _read_feature(number, feature, plan.problems)
        if row is not None:
            rows.append(row)
    _Checker(rows, plan.problems, user).run(plan)
    plan.problems.sort(key=lambda p: p.number or 0)
    return plan


def problems_message(problems: Sequence[Problem]) -> str:
    return ngettext(
        "The file has %(count)d problem; nothing was written.",
        "The file has %(count)d problems; nothing was written.",
        len(problems),
    ) % {"count": len(problems)}


def apply_plan(plan: ImportPlan, *, source: str, progress: Progress = _quiet) -> ImportResult:
    """Write everything `plan` lists in one transaction, or nothing if it has any problem.

    1. Refuse a plan with problems.
    2. Lock the routing revision; if boundaries changed since the check, check the file again.
    3. Create new places parents first (with their boundaries), then rename and redraw existing ones.
    4. Record one audit entry for the run, with its counts, as the plan's user (None: a command),
       filed under the nearest region that holds every place it wrote.
    """
    if plan.problems:
        raise ApplicationError(
            problems_message(plan.problems),
            code="import_invalid",
            extra={"problems": [p.as_dict() for p in plan.problems]},
        )
    with transaction.atomic():
        if _current_revision(lock=True) != plan.revision:
            plan = check_places(plan.data, user=plan.user)
            if plan.problems:
                raise ApplicationError(
                    _(
                        "Boundaries changed while the file was being checked, and it no longer fits: %(problems)s"
                    )
                    % {"problems": problems_message(plan.problems)},
                    code="import_stale",
                    extra={"problems": [p.as_dict() for p in plan.problems]},
                )
        now = timezone.now()
        creates = sorted(plan.creates, key=lambda i: (Place.LEVEL_ORDER.index(i.level), i.code))
        created_codes = {i.code for i in creates}
        places = _places_by_code({i.parent_code for i in creates if i.parent_code} - created_codes)
        changes = sorted({i.place_id: i for i in plan.updates + plan.redraws}.values(), key=lambda i: i.code)
        existing: dict[int, Place] = {}
        for chunk in _chunks(sorted(i.place_id for i in changes if i.place_id)):
            existing.update(Place.objects.in_bulk(chunk))
        steps: list[tuple[str, PlannedPlace]] = [("create", i) for i in creates]
        steps += [("change", i) for i in changes]
        for action, item in progress(steps, desc=_("Writing"), total=len(steps), unit=_("place")):
            if action == "create":
                place = services.place_create(
                    code=item.code,
                    name=item.name,
                    name_en=item.name_en or "",
                    level=item.level,
                    kind=item.kind,
                    parent=places.get(item.parent_code) if item.parent_code else None,
                    audited=False,
                )
                places[place.code] = place
                if item.geometry is not None:
                    services.boundary_set(
                        place=place,
                        geometry=item.geometry,
                        valid_from=now,
                        source=source,
                        bump=False,
                        audited=False,
                    )
                continue
            place = existing[item.place_id]
            if item.rename:
                services.place_update(place=place, name=item.name, name_en=item.name_en, audited=False)
            if item.redraw and item.geometry is not None:
                services.boundary_set(
                    place=place,
                    geometry=item.geometry,
                    valid_from=now,
                    source=source,
                    bump=False,
                    audited=False,
                )
        # One bump for the whole import: every process rebuilds its routing index once.
        services.bump_routing_revision()
        result = ImportResult(
            created=len(plan.creates),
            updated=len(plan.updates),
            redrawn=len(plan.redraws),
            unchanged=plan.unchanged,
        )
        if plan.changes:
            _record_run(plan, result, source)
    return result


def _record_run(plan: ImportPlan, result: ImportResult, source: str) -> None:
    """Record one audit entry for an import run, under the nearest place that holds all it wrote."""
    written = plan.creates + plan.updates + plan.redraws
    code = audit.enclosing_code([services.code_chain(i.code, i.level) for i in written])
    region = Place.objects.filter(code=code).first() if code else None
    audit.record(
        actor=plan.user,
        action="places.import",
        target=region if region is not None else audit.Target(type="places.place", text=source[:200]),
        place_code=code,
        changes={
            "created": result.created,
            "updated": result.updated,
            "redrawn": result.redrawn,
            "unchanged": result.unchanged,
            "file": source,
        },
    )
