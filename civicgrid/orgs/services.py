"""Every write to the organisation tree, its people and their posts.

Tree writes (create, move) run under one lock (`tree_lock`): on PostgreSQL a transaction-level
advisory lock, on SQLite the write lock every transaction takes at BEGIN IMMEDIATE. Inside it the
nodes are read again, so a move computes its paths from the tree as it is, never from a stale copy:
two moves that race run one after the other and every path stays right.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, invalid
from civicgrid.lib.privacy import mask_id_number
from civicgrid.orgs import access, checklists
from civicgrid.orgs.models import FEDERATION_LEVEL, Organisation, OrgKind, Person, Position
from civicgrid.places.models import Place
from civicgrid.volunteers.services import id_number_hash

# A fixed key for pg_advisory_xact_lock: "orgs tree".
TREE_LOCK_KEY = 0x6F726773
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def tree_lock() -> None:
    """Serialise writes to the tree until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


def _fresh(org: Organisation) -> Organisation:
    try:
        return Organisation.objects.select_related("region").get(pk=org.pk)
    except Organisation.DoesNotExist:
        raise NotFound(_("This organisation no longer exists.")) from None


# --- ID numbers and phones ----------------------------------------------------------------------


def id_number_valid(number: str) -> bool:
    """An 18-character resident ID number with its GB 11643 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17] == _ID_CHECK[total % 11]


def _clean_phone(phone: str, errors: dict[str, str], field: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        errors[field] = _("Enter a mobile number (11 digits) or a landline with its area code.")
    return phone


def _clean_text(value: str, limit: int, errors: dict[str, str], field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Enter at most %(limit)s characters.") % {"limit": limit}
    return value


# --- Organisations ------------------------------------------------------------------------------

ORG_FIELDS = [
    "name",
    "kind",
    "leading",
    "region",
    "founded_on",
    "status",
    "dissolved_on",
    "contact_name",
    "contact_phone",
    "address",
    "note",
]


def region_columns(region: Place, levels: tuple[str, ...] = ("district", "town")) -> dict[str, Place | None]:
    """The places of `levels` above (or at) a region (None above them), walking up its parents."""
    found: dict[str, Place | None] = dict.fromkeys(levels)
    node: Place | None = region
    while node is not None:
        if node.level in found:
            found[node.level] = node
        node = node.parent
    return found


def _check_org(
    values: dict, *, parent: Organisation | None, children_regions: list[Place], errors: dict[str, str]
) -> None:
    kind = values.get("kind")
    region: Place | None = values.get("region")
    if kind not in OrgKind.values:
        errors["kind"] = _("Choose a kind of organisation.")
    if region is None:
        errors["region"] = _("Choose the region the organisation works in.")
        return
    level = FEDERATION_LEVEL.get(kind)
    if level and region.level != level:
        errors["region"] = _("A %(kind)s stands at the level of a %(level)s: choose one as its region.") % {
            "kind": OrgKind(kind).label,
            "level": Place.Level(level).label,
        }
    if region.level == Place.Level.GRID:
        errors["region"] = _("Choose a village or community, or a level above, not a grid.")
    if parent is not None and not region.is_within(parent.region):
        errors["region"] = _(
            "The region must lie within the region of the organisation above (%(name)s)."
        ) % {"name": parent.region.display_name}
    if any(not child.is_within(region) for child in children_regions):
        errors["region"] = _("Organisations below this one work outside that region: move them first.")
    founded, dissolved = values.get("founded_on"), values.get("dissolved_on")
    if founded and founded > timezone.localdate():
        errors["founded_on"] = _("The founding date cannot be in the future.")
    status = values.get("status")
    if status not in Organisation.Status.values:
        errors["status"] = _("Choose a status.")
    if status == Organisation.Status.DISSOLVED and not dissolved:
        errors["dissolved_on"] = _("Enter the day it was dissolved.")
    if dissolved and founded and dissolved < founded:
        errors["dissolved_on"] = _("It cannot be dissolved before it was founded.")
    if values.get("leading") and kind != OrgKind.ENTERPRISE_FEDERATION:
        errors["leading"] = _("Only an enterprise federation can be a leading enterprise's.")


def _cleaned(values: dict, errors: dict[str, str]) -> dict:
    out = dict(values)
    out["name"] = _clean_text(values.get("name", ""), 120, errors, "name", required=True)
    out["contact_name"] = _clean_text(values.get("contact_name", ""), 50, errors, "contact_name")
    out["contact_phone"] = _clean_phone(values.get("contact_phone", ""), errors, "contact_phone")
    out["address"] = _clean_text(values.get("address", ""), 200, errors, "address")
    out["note"] = _clean_text(values.get("note", ""), 2000, errors, "note")
    out["leading"] = bool(values.get("leading"))
    if out.get("status") != Organisation.Status.DISSOLVED:
        out["dissolved_on"] = None
    return out


@transaction.atomic
def org_create(
    *,
    actor,
    parent: Organisation | None,
    name: str,
    kind: str,
    region: Place,
    founded_on: date | None = None,
    status: str = Organisation.Status.ACTIVE,
    dissolved_on: date | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    note: str = "",
    leading: bool = False,
    checklist: bool = True,
    audited: bool = True,
) -> Organisation:
    """Add an organisation below `parent` (a root when None) and give it its set-up checklist."""
    tree_lock()
    if parent is not None:
        parent = _fresh(parent)
        access.check_manage(actor, parent)
    elif not access.can_create_root(actor):
        raise access.refuse(_("Only an administrator may add an organisation at the top of the network."))
    errors: dict[str, str] = {}
    values = _cleaned(
        dict(
            name=name,
            kind=kind,
            region=region,
            founded_on=founded_on,
            status=status,
            dissolved_on=dissolved_on,
            contact_name=contact_name,
            contact_phone=contact_phone,
            address=address,
            note=note,
            leading=leading,
        ),
        errors,
    )
    _check_org(values, parent=parent, children_regions=[], errors=errors)
    if errors:
        raise invalid(errors)
    values.update(region_columns(region))
    org = Organisation(**values)
    org = (
        Organisation.objects.add_child(parent, instance=org)
        if parent is not None
        else Organisation.objects.add_root(instance=org)
    )
    if checklist:
        checklists.tasks_create(org)
    if audited:
        audit.record(
            actor=actor,
            action="orgs.org_create",
            target=org,
            place_code=region.code,
            changes=audit.as_created(audit.snapshot(org, ORG_FIELDS)),
        )
    return org


@transaction.atomic
def org_update(*, actor, org: Organisation, **changes) -> Organisation:
    """Change an organisation's own fields (not its place in the tree: see `org_move`)."""
    tree_lock()
    org = _fresh(org)
    access.check_manage(actor, org)
    unknown = set(changes) - set(ORG_FIELDS)
    if unknown:
        raise ValueError(f"not organisation fields: {sorted(unknown)}")
    before = audit.snapshot(org, ORG_FIELDS)
    values = {f: getattr(org, f) for f in ORG_FIELDS}
    values.update(changes)
    errors: dict[str, str] = {}
    values = _cleaned(values, errors)
    parent = Organisation.objects.get_parent(org)
    children_regions = [c.region for c in Organisation.objects.get_children(org).select_related("region")]
    _check_org(values, parent=parent, children_regions=children_regions, errors=errors)
    if errors:
        raise invalid(errors)
    values.update(region_columns(values["region"]))
    for field, value in values.items():
        setattr(org, field, value)
    org.save()
    diff = audit.diff(before, audit.snapshot(org, ORG_FIELDS))
    if diff:
        audit.record(
            actor=actor, action="orgs.org_update", target=org, place_code=org.region.code, changes=diff
        )
    return org


@transaction.atomic
def org_move(*, actor, org: Organisation, new_parent: Organisation) -> Organisation:
    """Move `org` and its whole subtree below `new_parent`; every descendant's path follows."""
    tree_lock()
    org, new_parent = _fresh(org), _fresh(new_parent)
    access.check_manage(actor, org)
    access.check_manage(actor, new_parent)
    if org.depth == 1:
        raise ApplicationError(_("The top of the network cannot be moved."), code="move_root")
    if new_parent.pk == org.pk or new_parent.path.startswith(org.path):
        raise ApplicationError(
            _("An organisation cannot be moved below itself or one of its own branches."),
            code="move_into_self",
        )
    old_parent = Organisation.objects.get_parent(org)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        return org
    if not org.region.is_within(new_parent.region):
        raise invalid(
            {
                "parent": _("%(name)s works outside the region of %(parent)s.")
                % {"name": org.name, "parent": new_parent.name}
            }
        )
    try:
        Organisation.objects.move(org, new_parent, pos="last-child")
    except InvalidMoveToDescendant:
        raise ApplicationError(
            _("An organisation cannot be moved below itself or one of its own branches."),
            code="move_into_self",
        ) from None
    org = _fresh(org)
    audit.record(
        actor=actor,
        action="orgs.org_move",
        target=org,
        place_code=org.region.code,
        changes={"parent": {"from": old_parent.name if old_parent else "", "to": new_parent.name}},
    )
    return org


# --- People and posts ---------------------------------------------------------------------------

PERSON_FIELDS = ["name", "phone", "id_masked", "note"]


def _person_values(name: str, phone: str, id_number: str, note: str, errors: dict[str, str]) -> dict:
    values = {
        "name": _clean_text(name, 50, errors, "name", required=True),
        "phone": _clean_phone(phone, errors, "phone"),
        "note": _clean_text(note, 200, errors, "note"),
    }
    id_number = (id_number or "").strip().upper()
    if id_number:
        if not id_number_valid(id_number):
            errors["id_number"] = _("Enter a valid 18-character resident ID number.")
        else:
            values["id_hash"] = id_number_hash(id_number)
            values["id_masked"] = mask_id_number(id_number)
    return values


@transaction.atomic
def person_create(
    *, actor, organisation: Organisation, name: str, phone: str = "", id_number: str = "", note: str = ""
) -> Person:
    """Add a person to the network, by an office of `organisation` (where they will hold a post).

    With an ID number already on record, the answer is a conflict naming no one: the same person
    must be appointed again, not registered twice.
    """
    access.check_manage(actor, organisation)
    errors: dict[str, str] = {}
    values = _person_values(name, phone, id_number, note, errors)
    if errors:
        raise invalid(errors)
    if values.get("id_hash"):
        existing = Person.objects.filter(id_hash=values["id_hash"]).first()
        if existing is not None:
            raise Conflict(
                _("This ID number is already on record: find the person and appoint them instead."),
                code="duplicate_person",
                extra={"person": existing.pk},
            )
    person = Person.objects.create(**values)
    audit.record(
        actor=actor,
        action="orgs.person_create",
        target=person,
        place_code=organisation.region.code,
        changes=audit.as_created(audit.snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def person_update(
    *, actor, person: Person, name: str, phone: str = "", id_number: str = "", note: str = ""
) -> Person:
    """Change a person's details: by someone who manages an organisation where they hold or held a post."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    positions = list(person.positions.select_related("organisation"))
    if not access.can_see_person(actor, positions):
        raise access.refuse()
    errors: dict[str, str] = {}
    values = _person_values(name, phone, id_number, note, errors)
    if errors:
        raise invalid(errors)
    if (
        values.get("id_hash")
        and Person.objects.filter(id_hash=values["id_hash"]).exclude(pk=person.pk).exists()
    ):
        raise Conflict(_("This ID number is already on record for someone else."), code="duplicate_person")
    before = audit.snapshot(person, PERSON_FIELDS)
    for field, value in values.items():
        setattr(person, field, value)
    person.save()
    diff = audit.diff(before, audit.snapshot(person, PERSON_FIELDS))
    if diff:
        audit.record(actor=actor, action="orgs.person_update", target=person, changes=diff)
    return person


@transaction.atomic
def person_link_user(*, actor, person: Person, user) -> Person:
    """Link a person to their login (a superuser's act: with the cadre role it grants their offices' rights)."""
    if not access.can_create_root(actor):
        raise access.refuse()
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.user = user
    person.save(update_fields=["user"])
    audit.record(
        actor=actor, action="orgs.person_update", target=person, changes={"user": {"to": str(user or "")}}
    )
    return person


@transaction.atomic
def position_appoint(
    *,
    actor,
    person: Person,
    organisation: Organisation,
    role: str,
    term_start: date,
    term_end: date | None = None,
) -> Position:
    """Give `person` a post in `organisation` from `term_start` (a term already open for the same post is a conflict)."""
    organisation = _fresh(organisation)
    access.check_manage(actor, organisation)
    if not access.can_appoint(actor, person):
        raise NotFound(_("No such person."))
    errors: dict[str, str] = {}
    if role not in Position.Role.values:
        errors["role"] = _("Choose a post.")
    if term_start is None:
        errors["term_start"] = _("Enter the day the term starts.")
    elif term_end is not None and term_end < term_start:
        errors["term_end"] = _("A term cannot end before it starts.")
    if organisation.status == Organisation.Status.DISSOLVED:
        errors["organisation"] = _("This organisation is dissolved.")
    if errors:
        raise invalid(errors)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if Position.objects.filter(
        person=person, organisation=organisation, role=role, term_end__isnull=True
    ).exists():
        raise Conflict(
            _("%(name)s already holds this post here.") % {"name": person.name}, code="already_holds"
        )
    if (
        role == Position.Role.CHAIR
        and term_end is None
        and Position.objects.filter(organisation=organisation, role=role, term_end__isnull=True).exists()
    ):
        raise Conflict(_("The organisation has a chair: end that term first."), code="chair_taken")
    position = Position.objects.create(
        person=person, organisation=organisation, role=role, term_start=term_start, term_end=term_end
    )
    audit.record(
        actor=actor,
        action="orgs.position_appoint",
        target=position,
        place_code=organisation.region.code,
        changes=audit.as_created(
            {
                "person": person.name,
                "organisation": organisation.name,
                "role": role,
                "term_start": term_start.isoformat(),
            }
        ),
    )
    return position


@transaction.atomic
def position_end(*, actor, position: Position, term_end: date, reason: str = "") -> Position:
    """End a term on `term_end`; the post stays on record."""
    position = (
        Position.objects.select_for_update()
        .select_related("organisation__region", "person")
        .get(pk=position.pk)
    )
    access.check_manage(actor, position.organisation)
    errors: dict[str, str] = {}
    if position.term_end is not None and position.term_end <= timezone.localdate():
        raise Conflict(_("This term has already ended."), code="already_ended")
    if term_end is None:
        errors["term_end"] = _("Enter the day the term ends.")
    elif term_end < position.term_start:
        errors["term_end"] = _("A term cannot end before it starts.")
    reason = _clean_text(reason, 200, errors, "reason")
    if errors:
        raise invalid(errors)
    position.term_end = term_end
    position.end_reason = reason
    position.save(update_fields=["term_end", "end_reason"])
    audit.record(
        actor=actor,
        action="orgs.position_end",
        target=position,
        place_code=position.organisation.region.code,
        changes={"term_end": {"to": term_end.isoformat()}, "reason": {"to": reason}},
    )
    access.forget(actor)
    return position


@transaction.atomic
def teams_link(*, actor, organisation: Organisation, team_ids: list[int]) -> Organisation:
    """Link volunteer teams of the region to `organisation` (its "爱心妈妈" teams, say)."""
    from civicgrid.volunteers.models import Team

    organisation = _fresh(organisation)
    access.check_manage(actor, organisation)
    teams = list(Team.objects.filter(pk__in=team_ids).select_related("community"))
    outside = [t.name for t in teams if not t.community.is_within(organisation.region)]
    if outside or len(teams) != len(set(team_ids)):
        raise invalid({"teams": _("Choose volunteer teams within the organisation's region.")})
    organisation.teams.set(teams)
    audit.record(
        actor=actor,
        action="orgs.org_update",
        target=organisation,
        place_code=organisation.region.code,
        changes={"teams": {"to": [t.name for t in teams]}},
    )
    return organisation
