"""Structure targets as data ("two leading-enterprise federations per district", "three instructor
teams per town") and each region held against each target.

A region's count is of the active organisations of the target's kind registered in that region (its
kept district or town column), whichever branch of the tree they hang from: a figure, not a list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.core.scopes import is_root
from civicgrid.orgs import access
from civicgrid.orgs.models import Organisation, OrgKind, StructureTarget
from civicgrid.places.models import Place

FIELDS = ["name", "kind", "leading_only", "level", "required", "is_active"]
MAX_REQUIRED = 99


@transaction.atomic
def structure_set(
    *,
    actor,
    name: str,
    kind: str,
    leading_only: bool = False,
    level: str,
    required: int,
    is_active: bool = True,
) -> StructureTarget:
    """Set the structure target of this name: create it, or change the one in place (by its name).

    Only those who may set up the network (the city federation, an administrator).
    """
    if not access.can_set_up(actor):
        raise access.refuse(_("Only the city federation may set structure targets."))
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 100:
        errors["name"] = _("Enter at most %(limit)s characters.") % {"limit": 100}
    if kind not in OrgKind.values:
        errors["kind"] = _("Choose a kind of organisation.")
    if level not in StructureTarget.Level.values:
        errors["level"] = _("Choose per district or per town / street.")
    try:
        required = int(required)
    except (TypeError, ValueError):
        required = 0
    if not 1 <= required <= MAX_REQUIRED:
        errors["required"] = _("Enter a number from 1 to %(max)s.") % {"max": MAX_REQUIRED}
    leading_only = bool(leading_only)
    if leading_only and kind != OrgKind.ENTERPRISE_FEDERATION:
        errors["leading_only"] = _("Only enterprise federations can be leading enterprises'.")
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    values = {
        "kind": kind,
        "leading_only": leading_only,
        "level": level,
        "required": required,
        "is_active": bool(is_active),
    }
    target = StructureTarget.objects.select_for_update().filter(name=name).order_by("id").first()
    if target is None:
        target = StructureTarget.objects.create(name=name, **values)
        changes = audit.as_created(audit.snapshot(target, FIELDS))
    else:
        before = audit.snapshot(target, FIELDS)
        for key, value in values.items():
            setattr(target, key, value)
        target.save()
        changes = audit.diff(before, audit.snapshot(target, FIELDS))
    audit.record(actor=actor, action="orgs.structure_target_set", target=target, changes=changes)
    return target


@dataclass(frozen=True)
class RegionCount:
    place_code: str
    place_name: str
    count: int
    required: int
    met: bool
    short: int  # how many are missing (0 when met)


@dataclass(frozen=True)
class TargetReport:
    id: int
    name: str
    kind: str
    kind_label: str
    leading_only: bool
    level: str
    level_label: str
    required: int
    regions: list[RegionCount]
    met: int  # regions that meet it
    short: int  # regions short of it


def regions_of_level(user, level: str) -> list[Place]:
    """The districts or towns `user` may see: every one for an administrator, else those within
    the regions they may read."""
    qs = Place.objects.filter(level=level)
    if not is_root(user):
        condition = Q(pk__in=[])
        for place in access.coverage_places(user):
            if place.depth <= Place.LEVEL_ORDER.index(level):
                condition |= Q(code__startswith=place.scope_prefix)
        qs = qs.filter(condition)
    return list(qs.order_by("code"))


def structure_report(user) -> list[TargetReport]:
    """For each active structure target, each region of its level that `user` may see with the count
    of active organisations of its kind there, required, met or short. One GROUP BY per target."""
    if not access.can_use(user):
        raise access.refuse()
    regions: dict[str, list[Place]] = {}
    reports = []
    for target in StructureTarget.objects.filter(is_active=True).order_by("level", "name", "id"):
        if target.level not in regions:
            regions[target.level] = regions_of_level(user, target.level)
        places = regions[target.level]
        column = target.level  # Organisation.district or Organisation.town
        counts: dict[int, int] = {}
        if places:
            qs = Organisation.objects.filter(
                kind=target.kind,
                status=Organisation.Status.ACTIVE,
                **{f"{column}__in": [p.pk for p in places]},
            )
            if target.leading_only:
                qs = qs.filter(leading=True)
            counts = {row[column]: row["n"] for row in qs.values(column).annotate(n=Count("pk")).order_by()}
        rows = []
        for place in places:
            count = counts.get(place.pk, 0)
            rows.append(
                RegionCount(
                    place_code=place.code,
                    place_name=place.display_name,
                    count=count,
                    required=target.required,
                    met=count >= target.required,
                    short=max(target.required - count, 0),
                )
            )
        reports.append(
            TargetReport(
                id=target.pk,
                name=target.name,
                kind=target.kind,
                kind_label=str(OrgKind(target.kind).label),
                leading_only=target.leading_only,
                level=target.level,
                level_label=str(StructureTarget.Level(target.level).label),
                required=target.required,
                regions=rows,
                met=sum(1 for r in rows if r.met),
                short=sum(1 for r in rows if not r.met),
            )
        )
    return reports


def targets(user) -> list[StructureTarget]:
    """Every structure target, in use or not (for those who may set them)."""
    if not access.can_set_up(user):
        raise access.refuse()
    return list(StructureTarget.objects.order_by("-is_active", "level", "name"))
