"""Coverage of targets by the network: the writes (targets, links), the kept flags, the rates.

A target keeps whether it is active today (`is_active`) and, per kind, whether a link covers it today
(`covered_org`, `covered_work`, `covered_activity`). Every write below recomputes them for its target
in its own transaction (`refresh`), and the daily sweep recomputes them for the targets whose dates
or whose links' dates crossed since the last sweep. A region's rate for today is then one indexed
GROUP BY over the Target indexes (district/town/village, is_active, category, covered_*), with no
join on links. A rate for a past day is computed exactly from the dates (active on D, a link of that
kind valid on D), or read from the month's snapshot.

Dates are half-open: a target is active on D when active_from <= D < active_to (active_to is the day
it closed); a link covers on D when valid_from <= D < valid_to (valid_to is the day it ended).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields import BooleanField
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import Conflict, NotFound
from civicgrid.core.scopes import is_root
from civicgrid.lib import keyset
from civicgrid.orgs import access
from civicgrid.orgs import evidence as evidence_files
from civicgrid.orgs.models import (
    CoverageKind,
    CoverageLink,
    CoverageMode,
    CoverageSnapshot,
    Organisation,
    Target,
    TargetCategory,
    subtree,
)
from civicgrid.orgs.services import invalid, region_columns
from civicgrid.places.models import Place

KIND_FIELD = {
    CoverageKind.ORGANISATION.value: "covered_org",
    CoverageKind.WORK.value: "covered_work",
    CoverageKind.ACTIVITY.value: "covered_activity",
}
KINDS = tuple(KIND_FIELD)
FLAG_FIELDS = ["is_active", *KIND_FIELD.values()]
CATEGORIES = tuple(TargetCategory.values)
TARGET_LEVELS = ("district", "town", "village")
# The column of the level below, for the drill-down (a village's targets are listed instead).
CHILD_COLUMN = {"city": "district", "district": "town", "town": "village"}
TARGET_FIELDS = [
    "name",
    "category",
    "credit_code",
    "region",
    "size",
    "active_from",
    "active_to",
    "note",
]
# A unified social credit code (GB 32100): 18 characters of digits and capitals without I, O, S, V, Z.
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
REFRESH_CHUNK = 500


def today() -> date:
    return timezone.localdate()


# --- Kept flags ---------------------------------------------------------------------------------


def active_on(day: date, prefix: str = "") -> Q:
    """Q for targets active on `day` (opened on or before it, not closed by it)."""
    return Q(**{f"{prefix}active_from__lte": day}) & (
        Q(**{f"{prefix}active_to__isnull": True}) | Q(**{f"{prefix}active_to__gt": day})
    )


def link_valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def _covering(kind: str, day: date) -> Exists:
    return Exists(CoverageLink.objects.filter(link_valid_on(day), target=OuterRef("pk"), kind=kind))


def refresh(target_ids: Iterable[int], today: date | None = None) -> int:
    """Recompute the kept flags of `target_ids` from their dates and links, in one UPDATE per chunk.

    Called by every write of this module for its target, inside the write's transaction, and by
    `sweep`. Returns the number of targets refreshed.
    """
    day = today or timezone.localdate()
    ids = sorted({int(i) for i in target_ids})
    values = {
        "is_active": Case(
            When(active_on(day), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        **{column: _covering(kind, day) for kind, column in KIND_FIELD.items()},
    }
    done = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        done += Target.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]).update(**values)
    return done


def sweep_lookback() -> int:
    return int(getattr(settings, "ORGS_COVERAGE_SWEEP_DAYS", 7))


def crossed_targets(since: date, today: date) -> set[int]:
    """Ids of the targets whose dates, or whose links' dates, lie in (since, today]: one indexed
    range filter per date column, never a pass over all targets."""
    window = {"gt": since, "lte": today}

    def between(column: str) -> Q:
        return Q(**{f"{column}__{op}": day for op, day in window.items()})

    found: set[int] = set()
    for column in ("active_from", "active_to"):
        found.update(Target.objects.filter(between(column)).values_list("pk", flat=True))
    for column in ("valid_from", "valid_to"):
        found.update(CoverageLink.objects.filter(between(column)).values_list("target_id", flat=True))
    return found


@transaction.atomic
def sweep(today: date | None = None, since: date | None = None) -> int:
    """Refresh the targets whose dates or links' dates crossed since the last sweep; return how many.

    The window is (since, today]; `since` defaults to `ORGS_COVERAGE_SWEEP_DAYS` (7) days before
    today, so a sweep missed for a few days is made good by the next one (refreshing a target twice
    is harmless). Run daily by `manage.py orgs_coverage --sweep`.
    """
    day = today or timezone.localdate()
    start = since or day - timedelta(days=sweep_lookback())
    return refresh(crossed_targets(start, day), day)


# --- Targets ------------------------------------------------------------------------------------


def _clean_target(values: dict, errors: dict[str, str]) -> dict:
    out = dict(values)
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 150:
        errors["name"] = _("Enter at most %(limit)s characters.") % {"limit": 150}
    out["name"] = name
    if values.get("category") not in TargetCategory.values:
        errors["category"] = _("Choose a category.")
    region = values.get("region")
    if region is None:
        errors["region"] = _("Choose the district, town or village the target lies in.")
    elif region.level not in TARGET_LEVELS:
        errors["region"] = _("A target lies in a district, a town or street, or a village or community.")
    code = (values.get("credit_code") or "").strip().upper() or None
    if code is not None and not CREDIT_CODE_RE.match(code):
        errors["credit_code"] = _("Enter the 18-character unified social credit code.")
    out["credit_code"] = code
    size = values.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        errors["size"] = _("Enter a whole number, 0 or more.")
    start, end = values.get("active_from"), values.get("active_to")
    if start is None:
        errors["active_from"] = _("Enter the day it became active.")
    elif end is not None and end <= start:
        errors["active_to"] = _("It cannot close before the day after it became active.")
    note = (values.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _("Enter at most %(limit)s characters.") % {"limit": 200}
    out["note"] = note
    return out


def _check_credit_code(code: str | None, exclude: int | None = None) -> None:
    if code is None:
        return
    same = Target.objects.filter(credit_code=code)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    other = same.first()
    if other is not None:
        raise Conflict(
            _("A target with this credit code is on record already: %(name)s.") % {"name": other.name},
            code="duplicate_credit_code",
            extra={
                "fields": {"credit_code": _("This credit code is on record already.")},
                "target": other.pk,
            },
        )


def _target_create(*, actor, values: dict, audited: bool = True, refreshed: bool = True) -> Target:
    errors: dict[str, str] = {}
    values = _clean_target(values, errors)
    if values.get("region") is not None:
        access.check_manage_target(actor, values["region"])
    if errors:
        raise invalid(errors)
    _check_credit_code(values["credit_code"])
    values.update(region_columns(values["region"], TARGET_LEVELS))
    target = Target.objects.create(**values)
    if refreshed:
        refresh([target.pk])
        target.refresh_from_db(fields=FLAG_FIELDS)
    if audited:
        audit.record(
            actor=actor,
            action="orgs.target_create",
            target=target,
            place_code=target.region.code,
            changes=audit.as_created(audit.snapshot(target, TARGET_FIELDS)),
        )
    return target


@transaction.atomic
def target_create(
    *,
    actor,
    name: str,
    category: str,
    region: Place,
    active_from: date,
    active_to: date | None = None,
    credit_code: str | None = None,
    size: int | None = None,
    note: str = "",
) -> Target:
    """Add a target in `region` (a district, town or village the actor's federation covers)."""
    return _target_create(
        actor=actor,
        values=dict(
            name=name,
            category=category,
            region=region,
            active_from=active_from,
            active_to=active_to,
            credit_code=credit_code,
            size=size,
            note=note,
        ),
    )


def _target_update(
    *, actor, target: Target, changes: dict, audited: bool = True, refreshed: bool = True
) -> Target:
    unknown = set(changes) - set(TARGET_FIELDS)
    if unknown:
        raise ValueError(f"not target fields: {sorted(unknown)}")
    target = Target.objects.select_for_update().select_related("region").filter(pk=target.pk).first()
    if target is None:
        raise NotFound(_("This target no longer exists."))
    access.check_manage_target(actor, target.region)
    before = audit.snapshot(target, TARGET_FIELDS)
    values = {f: getattr(target, f) for f in TARGET_FIELDS}
    values.update(changes)
    errors: dict[str, str] = {}
    values = _clean_target(values, errors)
    if values.get("region") is not None and values["region"].pk != target.region_id:
        access.check_manage_target(actor, values["region"])
    if errors:
        raise invalid(errors)
    _check_credit_code(values["credit_code"], exclude=target.pk)
    values.update(region_columns(values["region"], TARGET_LEVELS))
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    if refreshed:
        refresh([target.pk])
        target.refresh_from_db(fields=FLAG_FIELDS)
    diff = audit.diff(before, audit.snapshot(target, TARGET_FIELDS))
    if diff and audited:
        audit.record(
            actor=actor,
            action="orgs.target_update",
            target=target,
            place_code=target.region.code,
            changes=diff,
        )
    return target


@transaction.atomic
def target_update(*, actor, target: Target, **changes) -> Target:
    """Change a target's fields; closing a target is setting `active_to` (the day it closed)."""
    return _target_update(actor=actor, target=target, changes=changes)


# --- Links --------------------------------------------------------------------------------------


@transaction.atomic
def link_create(
    *,
    actor,
    target: Target,
    organisation: Organisation,
    mode: str,
    kind: str,
    valid_from: date,
    valid_to: date | None = None,
    evidence: str = "",
    files=(),
) -> CoverageLink:
    """Record that `organisation` covers `target` in `mode` and `kind` from `valid_from`, with evidence."""
    target = Target.objects.select_for_update().select_related("region").filter(pk=target.pk).first()
    if target is None:
        raise NotFound(_("This target no longer exists."))
    organisation = Organisation.objects.select_related("region").filter(pk=organisation.pk).first()
    if organisation is None:
        raise NotFound(_("This organisation no longer exists."))
    if not access.can_link(actor, target, organisation):
        raise access.refuse(
            _("You may only link targets within your federation's region to organisations you manage.")
        )
    errors: dict[str, str] = {}
    if mode not in CoverageMode.values:
        errors["mode"] = _("Choose how the target is covered.")
    if kind not in CoverageKind.values:
        errors["kind"] = _("Choose a kind of coverage.")
    if valid_from is None:
        errors["valid_from"] = _("Enter the day the coverage starts.")
    elif valid_to is not None and valid_to <= valid_from:
        errors["valid_to"] = _("Coverage cannot end before the day after it starts.")
    text = (evidence or "").strip()
    if len(text) > 2000:
        errors["evidence"] = _("Enter at most %(limit)s characters.") % {"limit": 2000}
    if organisation.status == Organisation.Status.DISSOLVED:
        errors["organisation"] = _("This organisation is dissolved.")
    if errors:
        raise invalid(errors)
    if CoverageLink.objects.filter(
        target=target, organisation=organisation, kind=kind, valid_to__isnull=True
    ).exists():
        raise Conflict(
            _("%(org)s already covers this target in this kind: end that link first.")
            % {"org": organisation.name},
            code="already_linked",
        )
    link = CoverageLink.objects.create(
        target=target,
        organisation=organisation,
        mode=mode,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        evidence=text,
        created_by=actor,
    )
    stored = evidence_files.attach(files=files, actor=actor, link=link) if files else []
    refresh([target.pk])
    audit.record(
        actor=actor,
        action="orgs.link_create",
        target=link,
        place_code=target.region.code,
        changes=audit.as_created(
            {
                "target": target.name,
                "organisation": organisation.name,
                "mode": mode,
                "kind": kind,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
                "files": len(stored),
            }
        ),
    )
    return link


@transaction.atomic
def link_end(*, actor, link: CoverageLink, valid_to: date, reason: str = "") -> CoverageLink:
    """End a link on `valid_to` (the first day it no longer covers); the link stays on record."""
    link = (
        CoverageLink.objects.select_for_update()
        .select_related("target__region", "organisation__region")
        .filter(pk=link.pk)
        .first()
    )
    if link is None:
        raise NotFound(_("This coverage link no longer exists."))
    if not access.can_end_link(actor, link):
        raise access.refuse(_("You may only end links of organisations or targets you manage."))
    if link.valid_to is not None and link.valid_to <= timezone.localdate():
        raise Conflict(_("This link has already ended."), code="already_ended")
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if valid_to is None:
        errors["valid_to"] = _("Enter the day the coverage ends.")
    elif valid_to <= link.valid_from:
        errors["valid_to"] = _("Coverage cannot end before the day after it starts.")
    if len(reason) > 200:
        errors["reason"] = _("Enter at most %(limit)s characters.") % {"limit": 200}
    if errors:
        raise invalid(errors)
    before = link.valid_to
    link.valid_to = valid_to
    link.end_reason = reason
    link.save(update_fields=["valid_to", "end_reason"])
    refresh([link.target_id])
    audit.record(
        actor=actor,
        action="orgs.link_end",
        target=link,
        place_code=link.target.region.code,
        changes={
            "valid_to": {"from": before.isoformat() if before else None, "to": valid_to.isoformat()},
            "reason": {"to": reason},
        },
    )
    return link


# --- Scopes of reading --------------------------------------------------------------------------


def place_targets(place: Place | None) -> Q:
    """Q for targets within `place` (None: all) through the kept district/town/village columns."""
    if place is None:
        return Q()
    if place.level in TARGET_LEVELS:
        return Q(**{place.level: place})
    if place.level == Place.Level.CITY:
        return Q(district__parent=place)
    return Q(pk__in=[])  # a grid holds no targets


def scope_condition(user, place: Place | None) -> Q:
    """Q for the targets of `place` the user may read (None: everything the user may read).

    Raises PermissionDenied for a place outside the user's regions.
    """
    if place is not None:
        access.check_view_region(user, place)
        return place_targets(place)
    if is_root(user):
        return Q()
    condition = Q(pk__in=[])
    for allowed in access.coverage_places(user):
        condition |= place_targets(allowed)
    return condition


def visible_targets(user) -> QuerySet[Target]:
    return Target.objects.filter(scope_condition(user, None))


def target_for(user, pk: int) -> Target:
    """The target `pk` if the user may see it; NotFound otherwise (no hint that it exists)."""
    target = Target.objects.select_related("region", "district", "town", "village").filter(pk=pk).first()
    if target is None or not access.can_view_target(user, target):
        raise NotFound(_("No such coverage target."))
    return target


# --- Rates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The figures of one category (None: all categories) and one kind."""

    category: str | None
    kind: str
    active: int
    covered: int

    @property
    def rate(self) -> float | None:
        return None if not self.active else self.covered / self.active

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    @property
    def full(self) -> bool:
        return bool(self.active) and self.covered == self.active

    @property
    def category_label(self) -> str:
        return _("All categories") if self.category is None else str(TargetCategory(self.category).label)

    @property
    def kind_label(self) -> str:
        return str(CoverageKind(self.kind).label)


@dataclass
class Rates:
    """Rates per category and kind (with a row of all categories first) on a day, and where they come from:
    "kept" (today's flags), "computed" (exactly from dates and links) or "snapshot"."""

    on: date
    place: Place | None
    source: str
    cells: list[Cell] = field(default_factory=list)

    def cell(self, category: str | None, kind: str) -> Cell | None:
        for c in self.cells:
            if c.category == category and c.kind == kind:
                return c
        return None

    def rows(self) -> list[tuple[str | None, str, list[Cell]]]:
        """[(category, label, [cell per kind])] with the totals first, for the table."""
        out = []
        for category in (None, *CATEGORIES):
            cells = [self.cell(category, kind) for kind in KINDS]
            if category is not None and not any(c.active for c in cells if c):
                continue
            label = _("All categories") if category is None else str(TargetCategory(category).label)
            out.append((category, label, cells))
        return out


def _counts(qs: QuerySet, flags: dict[str, str], group: list[str]) -> list[dict]:
    """One GROUP BY: active count and covered count per kind (`flags`: kind → boolean column or annotation)."""
    # Only columns of the index count (category, the flags; all NOT NULL, so the counts are those of
    # rows): PostgreSQL answers from the index alone (COUNT(id) would read ~85,000 heap rows a district).
    aggregates = {"active": Count("category")}
    aggregates.update(
        {f"c_{kind}": Count(column, filter=Q(**{column: True})) for kind, column in flags.items()}
    )
    return list(qs.values(*group).annotate(**aggregates).order_by(*group))


def _cells(rows: list[dict], category: str | None) -> list[Cell]:
    totals = {"active": 0, **{k: 0 for k in KINDS}}
    by_category: dict[str, dict] = {}
    for row in rows:
        by_category[row["category"]] = row
        totals["active"] += row["active"]
        for k in KINDS:
            totals[k] += row[f"c_{k}"]
    cells = [Cell(None, k, totals["active"], totals[k]) for k in KINDS]
    for cat in CATEGORIES if category is None else (category,):
        row = by_category.get(cat, {})
        for k in KINDS:
            cells.append(Cell(cat, k, row.get("active", 0), row.get(f"c_{k}", 0)))
    return cells


def kept_queryset(condition: Q, category: str | None = None) -> QuerySet[Target]:
    # `IN (true)`, not the bare column: SQLite then seeks (district, is_active) in the index and groups
    # in its order, instead of filtering the district's rows and sorting them.
    qs = Target.objects.filter(condition, is_active__in=[True])
    return qs.filter(category=category) if category else qs


def computed_queryset(condition: Q, day: date, category: str | None = None) -> QuerySet[Target]:
    """Targets active on `day`, each annotated with whether a link of each kind was valid on `day`."""
    qs = Target.objects.filter(condition).filter(active_on(day))
    if category:
        qs = qs.filter(category=category)
    return qs.annotate(**{f"on_{kind}": _covering(kind, day) for kind in KINDS})


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _snapshot_cells(place: Place | None, day: date, category: str | None) -> list[Cell] | None:
    if day != month_end(day):
        return None
    snaps = CoverageSnapshot.objects.filter(month=day.replace(day=1), place=place)
    if category:
        snaps = snaps.filter(category=category)
    rows: dict[str, dict] = {}
    found = False
    for snap in snaps:
        found = True
        row = rows.setdefault(
            snap.category, {"category": snap.category, "active": 0, **{f"c_{k}": 0 for k in KINDS}}
        )
        row["active"] = snap.active
        row[f"c_{snap.kind}"] = snap.covered
    return _cells(list(rows.values()), category) if found else None


def rates(user, place: Place | None = None, category: str | None = None, on: date | None = None) -> Rates:
    """Coverage rates of `place` (None: every region the user may read) per category and kind on `on`.

    Today (or None): one GROUP BY over the kept flags. A past day: the month's snapshot when `on` is a
    month's last day and one was taken for this place (or the whole network), else computed exactly.
    Refuses (PermissionDenied) a place outside the user's regions.
    """
    now = timezone.localdate()
    day = on or now
    condition = scope_condition(user, place)
    if category and category not in TargetCategory.values:
        raise invalid({"category": _("Choose a category.")})
    if day == now:
        rows = _counts(kept_queryset(condition, category), KIND_FIELD, ["category"])
        return Rates(day, place, "kept", _cells(rows, category))
    if place is not None or is_root(user):
        cells = _snapshot_cells(place, day, category)
        if cells is not None:
            return Rates(day, place, "snapshot", cells)
    flags = {kind: f"on_{kind}" for kind in KINDS}
    rows = _counts(computed_queryset(condition, day, category), flags, ["category"])
    return Rates(day, place, "computed", _cells(rows, category))


@dataclass(frozen=True)
class BreakdownRow:
    place: Place | None  # None: targets directly in the region, at no lower level
    active: int
    covered: int

    @property
    def rate(self) -> float | None:
        return None if not self.active else self.covered / self.active

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass
class Breakdown:
    place: Place | None
    kind: str
    category: str | None
    child_level: str | None  # None: a village, whose targets are listed instead
    rows: list[BreakdownRow]


def breakdown(user, place: Place | None, category: str | None = None, kind: str = "org") -> Breakdown:
    """The child regions of `place` (city → districts → towns → villages), each with today's figures.

    One GROUP BY on the child's kept column and one read of the child places (every child is listed,
    those without targets with no rate). `place` None: the user's own regions (a superuser: the districts).
    """
    if kind not in KIND_FIELD:
        raise invalid({"kind": _("Choose a kind of coverage.")})
    if category and category not in TargetCategory.values:
        raise invalid({"category": _("Choose a category.")})
    covered = Count("pk", filter=Q(**{KIND_FIELD[kind]: True}))
    if place is None:
        if is_root(user):
            children = list(Place.objects.filter(level=Place.Level.DISTRICT).order_by("code"))
            column = "district"
        else:
            return _own_regions(user, category, kind)
    else:
        access.check_view_region(user, place)
        column = CHILD_COLUMN.get(place.level)
        if column is None:
            return Breakdown(place, kind, category, None, [])
        children = list(Place.objects.filter(parent=place, level=column).order_by("code"))
    counts = {
        row[column]: row
        for row in kept_queryset(place_targets(place), category)
        .values(column)
        .annotate(active=Count("pk"), covered=covered)
        .order_by(column)
    }
    rows = [
        BreakdownRow(
            child, counts.get(child.pk, {}).get("active", 0), counts.get(child.pk, {}).get("covered", 0)
        )
        for child in children
    ]
    direct = counts.get(None)
    if direct and direct["active"]:
        rows.append(BreakdownRow(None, direct["active"], direct["covered"]))
    return Breakdown(place, kind, category, column, rows)


def _own_regions(user, category: str | None, kind: str) -> Breakdown:
    """The rows of a user's own regions (few: their offices' and their staff scopes')."""
    rows = []
    for allowed in access.coverage_places(user):
        qs = kept_queryset(place_targets(allowed), category)
        found = qs.aggregate(active=Count("pk"), covered=Count("pk", filter=Q(**{KIND_FIELD[kind]: True})))
        rows.append(BreakdownRow(allowed, found["active"], found["covered"]))
    return Breakdown(None, kind, category, "own", rows)


# --- Snapshots ----------------------------------------------------------------------------------


@transaction.atomic
def snapshot_month(month: date) -> int:
    """Write the coverage figures of the month's last day for the whole network (place None) and for each
    district, town and village with targets, per category and kind; rewrite the month if taken before.

    One GROUP BY per level over the targets active on that day, each with one EXISTS per kind.
    Returns the number of rows written.
    """
    first = month.replace(day=1)
    day = month_end(first)
    qs = computed_queryset(Q(), day)
    flags = {kind: f"on_{kind}" for kind in KINDS}
    taken = timezone.now()
    snaps: list[CoverageSnapshot] = []

    def add(place_id: int | None, row: dict) -> None:
        for kind in KINDS:
            snaps.append(
                CoverageSnapshot(
                    month=first,
                    place_id=place_id,
                    category=row["category"],
                    kind=kind,
                    active=row["active"],
                    covered=row[f"c_{kind}"],
                    taken_at=taken,
                )
            )

    for row in _counts(qs, flags, ["category"]):
        add(None, row)
    for level in TARGET_LEVELS:
        for row in _counts(qs.filter(**{f"{level}__isnull": False}), flags, [level, "category"]):
            add(row[level], row)
    CoverageSnapshot.objects.filter(month=first).delete()
    CoverageSnapshot.objects.bulk_create(snaps, batch_size=1000)
    return len(snaps)


def snapshot_series(
    user, place: Place | None, category: str | None, kind: str, months: int = 12
) -> list[dict]:
    """The last `months` snapshots of `place` (None: the whole network, for superusers) as
    [{"month", "active", "covered", "rate"}], oldest first, summed over categories unless one is named."""
    if place is not None:
        access.check_view_region(user, place)
    elif not is_root(user):
        return []
    snaps = CoverageSnapshot.objects.filter(place=place, kind=kind)
    if category:
        snaps = snaps.filter(category=category)
    wanted = list(snaps.order_by("-month").values_list("month", flat=True).distinct()[:months])
    totals: dict[date, dict] = {m: {"month": m, "active": 0, "covered": 0} for m in wanted}
    for snap in snaps.filter(month__in=wanted).values("month", "active", "covered"):
        totals[snap["month"]]["active"] += snap["active"]
        totals[snap["month"]]["covered"] += snap["covered"]
    out = []
    for m in sorted(totals):
        t = totals[m]
        t["rate"] = None if not t["active"] else t["covered"] / t["active"]
        out.append(t)
    return out


def full_coverage_on(place: Place | None, category: str, kind: str, on: date) -> dict:
    """Whether every target of `category` active in `place` on `on` was covered in `kind` that day.

    Reads the month's snapshot when `on` is its last day and it was taken; otherwise computes exactly.
    No access check: callers check the place (as `rates` does).
    """
    snap = None
    if on == month_end(on):
        snap = CoverageSnapshot.objects.filter(
            month=on.replace(day=1), place=place, category=category, kind=kind
        ).first()
    if snap is not None:
        active, covered, source = snap.active, snap.covered, "snapshot"
    else:
        found = computed_queryset(place_targets(place), on, category).aggregate(
            active=Count("pk"), covered=Count("pk", filter=Q(**{f"on_{kind}": True}))
        )
        active, covered, source = found["active"], found["covered"], "computed"
    return {
        "on": on,
        "active": active,
        "covered": covered,
        "rate": None if not active else covered / active,
        "full": bool(active) and active == covered,
        "source": source,
    }


# --- Lists --------------------------------------------------------------------------------------

TARGET_ORDER = keyset.Order("t", (keyset.Column("id", "int", descending=True),))


@dataclass(frozen=True)
class TargetFilter:
    place: Place | None = None
    category: str = ""
    kind: str = ""
    covered: str = ""  # "yes", "no" or "" (either), for `kind`
    q: str = ""
    include_closed: bool = False


def target_list(user, filters: TargetFilter) -> QuerySet[Target]:
    """The targets the user may see that match `filters`, newest first (the order of `TARGET_ORDER`)."""
    qs = Target.objects.filter(scope_condition(user, filters.place))
    if not filters.include_closed:
        qs = qs.filter(is_active=True)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.kind in KIND_FIELD and filters.covered in ("yes", "no"):
        qs = qs.filter(**{KIND_FIELD[filters.kind]: filters.covered == "yes"})
    if filters.q:
        qs = qs.filter(name__icontains=filters.q.strip())
    return qs.select_related("region").order_by(*TARGET_ORDER.order_by())


def target_page(user, filters: TargetFilter, cursor: str = "", size: int = 50) -> keyset.Page:
    """One keyset page of `target_list`; InvalidCursor for a cursor that is not one of this list."""
    return keyset.page_after(target_list(user, filters), TARGET_ORDER, cursor, size)


def target_links(target: Target) -> list[CoverageLink]:
    """Every link of `target`, open ones first, with their organisation and evidence files (three queries)."""
    return list(
        target.links.select_related("organisation", "created_by")
        .prefetch_related("evidence_files")
        .order_by("valid_to", "kind", "-valid_from")
    )


def link_organisations(user, target: Target, limit: int = 200) -> QuerySet[Organisation]:
    """Organisations `user` may link `target` to from its page: those they manage whose region holds
    the target's region, not dissolved (a few per target: its village's, town's, district's, city's)."""
    regions = []
    node: Place | None = target.region
    while node is not None:
        regions.append(node.pk)
        node = node.parent
    qs = Organisation.objects.filter(region_id__in=regions).exclude(status=Organisation.Status.DISSOLVED)
    if not is_root(user):
        managed = Q(pk__in=[])
        for top in access.offices(user):
            managed |= subtree(top.path)
        qs = qs.filter(managed)
    # Capped by a subquery, not a slice: a form's choice field filters the queryset again.
    capped = qs.order_by("depth", "name").values("pk")[:limit]
    return Organisation.objects.filter(pk__in=capped).select_related("region").order_by("depth", "name")


def can_add_links(user, target: Target) -> bool:
    return (
        link_organisations(user, target, limit=1).exists() if access.offices(user) or is_root(user) else False
    )


# --- What an organisation covers (its page) -----------------------------------------------------

COVERED_BY_SHOWN = 20


@dataclass
class CoveredBy:
    counts: list[tuple[str, int]]  # (kind label, targets covered today by this organisation)
    links: list[CoverageLink]  # the first of its open links, by target name
    total: int  # open links


def covered_by(user, org: Organisation) -> CoveredBy:
    """The targets `org` covers today, counted by kind, and the first links (two queries, three when there are more)."""
    access.check_view(user, org)
    day = timezone.localdate()
    open_links = CoverageLink.objects.filter(link_valid_on(day), organisation=org)
    counts = {
        row["kind"]: row["n"]
        for row in open_links.values("kind").annotate(n=Count("target_id", distinct=True)).order_by()
    }
    links = list(
        open_links.select_related("target__region").order_by("target__name", "kind")[: COVERED_BY_SHOWN + 1]
    )
    return CoveredBy(
        counts=[(CoverageKind(k).label, counts[k]) for k in CoverageKind.values if k in counts],
        links=links[:COVERED_BY_SHOWN],
        total=open_links.count() if len(links) > COVERED_BY_SHOWN else len(links),
    )
