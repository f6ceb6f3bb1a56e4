"""Who may see a case, see who reported it, record cases for others, and act in the workflow.

On top of the scope resolver (`civicgrid.core.scopes`). One mapping says which *relation* each role
gives a person to the cases of its scope (`ROLE_RELATION`); the workflow's actor kinds
(`cases/workflow.py`) and the work lists derive from it. Pages, the API, exports, commands and the
admin ask here; `scope_cases` scopes every case queryset.

Relations of a person to a case:
- grid / village / town: a grid worker or leader of its grid, a cadre of its village, an operator
  of its town command centre
- region: a district or city administrator of its region (reads, does not act)
- agency / co_agency: staff of its lead agency / of a co-handling agency
- reporter: the person who reported it
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import STAFF_ROLES, Role
from civicgrid.core.scopes import Scope, is_root, is_signed_in, scopes
from civicgrid.lib.codes import code_prefix
from civicgrid.places.models import Place

# The relation each role gives to the cases of its scope.
ROLE_RELATION: dict[str, str] = {
    Role.GRID_WORKER: "grid",
    Role.GRID_LEADER: "grid",
    Role.VILLAGE_CADRE: "village",
    Role.TOWN_OPERATOR: "town",
    Role.DISTRICT_ADMIN: "region",
    Role.CITY_ADMIN: "region",
    Role.AGENCY_STAFF: "agency",
}
# Relations that handle the case in its region, and so may see who reported it.
REGION_RELATIONS = frozenset({"grid", "village", "town", "region"})
# Relations that handle the case in its region, and so may call its reporter.
HANDLING_RELATIONS = frozenset({"grid", "village", "town"})
# Staff who may record a case for someone else (12345 orders, patrol, liaison groups, deliberation).
INTAKE_ROLES = STAFF_ROLES - {Role.AGENCY_STAFF}

# The case field that holds the place of each scope level.
_CASE_FIELD_BY_LEVEL = {
    "grid": "grid_id",
    "village": "village_id",
    "town": "town_id",
    "district": "district_id",
}


def _covers_case(scope: Scope, case: Case) -> bool:
    place = scope.place
    if place is None:
        return False
    if place.level == "city":
        district = case.district
        return district is not None and district.code.startswith(place.scope_prefix)
    field = _CASE_FIELD_BY_LEVEL.get(place.level)
    return field is not None and getattr(case, field) == place.pk


def co_agency_ids(case: Case) -> set[int]:
    """Return the ids of the case's co-handling agencies (read once per case object)."""
    cached = getattr(case, "_co_agency_ids", None)
    if cached is None:
        cached = set(case.co_agencies.values_list("id", flat=True)) if case.pk else set()
        case._co_agency_ids = cached
    return cached


def relations(user, case: Case) -> frozenset[str]:
    """Return how `user` relates to `case` (see the module's docstring); empty for a stranger."""
    if not is_signed_in(user):
        return frozenset()
    found: set[str] = set()
    if case.reporter_id is not None and case.reporter_id == user.pk:
        found.add("reporter")
    for s in scopes(user):
        relation = ROLE_RELATION.get(s.role)
        if relation is None:
            continue
        if relation == "agency":
            if s.agency_id and s.agency_id == case.lead_agency_id:
                found.add("agency")
            elif s.agency_id and s.agency_id in co_agency_ids(case):
                found.add("co_agency")
        elif _covers_case(s, case):
            found.add(relation)
    return frozenset(found)


def is_staff_of(user, case: Case) -> bool:
    """Return whether `user` handles or oversees `case` as staff (sees names and internal notes)."""
    return is_root(user) or bool(relations(user, case) - {"reporter"})


def can_view(user, case: Case) -> bool:
    """Return whether `user` may see the case in full (its record, photos, location)."""
    return is_root(user) or bool(relations(user, case))


def can_view_reporter(user, case: Case) -> bool:
    """Return whether `user` may see who reported the case (their name; the phone is `can_contact_reporter`'s).

    Staff who handle the case in its region, and the reporter; an agency sees what it needs to solve
    the problem, not who complained.
    """
    if is_root(user):
        return True
    found = relations(user, case)
    return bool(found & (REGION_RELATIONS | {"reporter"}))


def can_contact_reporter(user, case: Case) -> bool:
    """Return whether `user` may call the reporter: the only rule under which their phone is shown whole.

    The staff handling the open case in its region: its grid's workers and leaders, its village's
    cadres, its town's command centre (who also make the follow-up call, 回访). Not a region's
    administrators (they read, they do not handle), not an agency (it solves the problem, not who
    complained), not a superuser, not the reporter themselves; nobody once the case is finished.
    Everyone else who may see the case sees the phone masked (`presenters`: the page and the API).
    """
    if not case.is_open or not case.reporter_phone:
        return False
    return bool(relations(user, case) & HANDLING_RELATIONS)


# Who a viewer is to a case, for what they see of it (`civicgrid.cases.presenters` builds the view):
# staff of the case see it whole, its reporter sees their own record, the public its status page.
STAFF = "staff"
REPORTER = "reporter"
PUBLIC = "public"
# Photos anyone may see of a public case: the reporter agreed by leaving "public" ticked. Check
# photos from the grid worker's visit stay with the staff.
PUBLIC_PHOTO_KINDS = frozenset({CasePhoto.Kind.REPORT, CasePhoto.Kind.RESULT})


def audience(user, case: Case) -> str | None:
    """Return how `user` sees `case`: STAFF, REPORTER, PUBLIC (a public case), or None (not at all).

    A staff member who reported a case in another town is only its reporter there.
    """
    if is_root(user):
        return STAFF
    found = relations(user, case)
    if found - {"reporter"}:
        return STAFF
    if found:
        return REPORTER
    return PUBLIC if case.is_public else None


def photo_sizes(seen_as: str | None, kind: str) -> tuple[str, ...]:
    """Return the sizes of a photo of `kind` an audience may open ("full", "thumb"); none to hide it.

    At thumbnail size faces and number plates are hard to read: the public gets no more.
    """
    if seen_as == STAFF:
        return ("full", "thumb")
    if kind not in PUBLIC_PHOTO_KINDS:
        return ()
    if seen_as == REPORTER:
        return ("full", "thumb")
    if seen_as == PUBLIC:
        return ("thumb",)
    return ()


def can_intake(user) -> bool:
    """Return whether `user` may record a case for someone else (a 12345 order, a patrol finding)."""
    return is_root(user) or any(s.role in INTAKE_ROLES for s in scopes(user))


def check_intake(user) -> None:
    if not can_intake(user):
        raise PermissionDenied(_("Only staff may record cases from this source."))


# Who may import a 12345 workbook (`hotline.import_orders`: the command and the upload page): the offices
# hotline exports reach, a town command centre and the region's administrators. Each row is still filed
# by `services.case_create`, under `can_intake`.
HOTLINE_IMPORT_ROLES = frozenset({Role.TOWN_OPERATOR, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def can_import_hotline(user) -> bool:
    """Return whether `user` may import a 12345 workbook of many orders."""
    return is_root(user) or any(s.role in HOTLINE_IMPORT_ROLES for s in scopes(user))


def hotline_region(user):
    """Return the region whose address register and unrouted queue a 12345 order recorded by `user`
    goes to: the widest place of their staff roles (None for a superuser, or a user with no place).

    Used by `hotline` to match an order's address within it and to place an unsure one in its queue.
    """
    places = [s.place for s in scopes(user) if s.role in INTAKE_ROLES and s.place is not None]
    if not places:
        return None
    return min(places, key=lambda place: (place.depth, place.code))


# Who keeps the table of the hotline's category paths (`hotline_categories`): the region's administrators.
HOTLINE_CATEGORY_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def can_manage_hotline_categories(user) -> bool:
    """Return whether `user` may open the hotline category table and change any path's category."""
    return is_root(user) or any(s.role in HOTLINE_CATEGORY_ROLES for s in scopes(user))


def can_answer_hotline_path(user, *, mapped: bool) -> bool:
    """Return whether `user` may set the category of a hotline category path.

    The one rule of both doors: administrators any path, on the table page; whoever may import a
    12345 workbook (a town operator) a path not mapped yet, asked in the import they run (the upload
    page offers only the paths of its own workbook). A path once mapped is changed by administrators only.
    """
    return can_manage_hotline_categories(user) or (not mapped and can_import_hotline(user))


def is_mobile_grid_member(user) -> bool:
    return is_signed_in(user) and any(s.role == Role.MOBILE_GRID_MEMBER for s in scopes(user))


def scope_cases(user, qs: QuerySet[Case] | None = None, *, listing: bool = False) -> QuerySet[Case]:
    """Return the cases `user` may see: those in the regions of their roles, their agency's, their own.

    Each part of the condition is one indexed column:
    - a region: the one case column of its level (`grid_id`, `village_id`, `town_id`, `district_id`);
      a city, the ids of its districts, read first (`district_id IN (...)`), never a join on codes;
    - an agency: its lead cases, or the cases it co-handles (`co_handled`: an id subquery on the
      co-agency table), never a join, which could repeat a case and would need DISTINCT;
    - the user's own reports (`reporter_id`, its partial index).

    `listing=True` is for lists (`selectors.case_list`, counts): a user with a region or an agency
    there sees those cases only, their own reports elsewhere being the list of their reports (the
    `mine` filter). An OR of the reporter into a region lets no index walk the list in its order (on
    SQLite a union of both indexes' rows, sorted: the whole region read for one page). A single case
    read by its number still finds the user's own report anywhere.
    """
    if qs is None:
        qs = Case.objects.all()
    parts = scope_parts(user, listing=listing)
    if parts is None:
        return qs
    if not parts:
        return qs.none()
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return qs.filter(condition)


def scope_parts(user, *, listing: bool = False, drive: bool = False) -> list[Q] | None:
    """Return the parts of `scope_cases`' condition, each one indexed column (a region's, the lead
    agency, the co-handled ids, the reporter), the co-handled part last: None for every case (root),
    [] for none. A capped count counts each part through its own index (`selectors.list_total`),
    where the OR of them all would be read row by row; `drive` as in `co_handled`.
    """
    if is_root(user):
        return None
    if not is_signed_in(user):
        return []
    agency_ids: set[int] = set()
    by_field: dict[str, set[int]] = {}
    for s in scopes(user):
        if s.role == Role.AGENCY_STAFF and s.agency_id:
            agency_ids.add(s.agency_id)
        elif s.role in STAFF_ROLES and s.place is not None:
            if s.place.level == "city":
                by_field.setdefault("district_id", set()).update(city_district_ids(s.place))
            elif s.place.level in _CASE_FIELD_BY_LEVEL:
                by_field.setdefault(_CASE_FIELD_BY_LEVEL[s.place.level], set()).add(s.place.pk)
    parts = [_in(name, ids) for name, ids in by_field.items() if ids]
    if not listing or not (by_field or agency_ids):
        parts.insert(0, Q(reporter_id=user.pk))
    if agency_ids:
        parts += [_in("lead_agency_id", agency_ids), co_handled(agency_ids, drive=drive)]
    return parts


def reported_by(user, qs: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """Return the cases `user` reported (always theirs to see; the `mine` lists)."""
    if qs is None:
        qs = Case.objects.all()
    if not is_signed_in(user):
        return qs.none()
    return qs.filter(reporter_id=user.pk)


def _in(name: str, ids: set[int]) -> Q:
    # One id is an equality, which both planners treat best.
    return Q(**{name: next(iter(ids))}) if len(ids) == 1 else Q(**{f"{name}__in": sorted(ids)})


class _CoHandled(Func):
    """The case's id among those of a subquery (the co-agency table's rows of some agencies), written
    for how the list uses it, as each database plans it best (measured at 1,000,000 cases):

    - `drive=True`, the list's own filter (the co-handling tab, the agency filter): the database
      starts from those ids and looks them up in the primary key. SQLite does so from `id IN (...)`;
      PostgreSQL from `id = ANY(ARRAY(...))`, an array computed once (with `IN (...)` it hashes the
      ids and reads every open case of the table to match them).
    - `drive=False`, one arm of the scope's OR, checked on the rows another condition reads: on
      PostgreSQL `id IN (...)`, hashed once; on SQLite a correlated EXISTS on the co-agency table's
      unique (case, agency) index. An `IN (...)` arm would make SQLite read both arms' rows through
      their indexes and sort them all, where a list newest first walks the primary key instead.
    """

    output_field = BooleanField()

    def __init__(self, rows: QuerySet, *, drive: bool) -> None:
        self.drive = drive
        super().__init__(
            F("pk"), Subquery(rows.values("case_id")), Exists(rows.filter(case_id=OuterRef("pk")))
        )

    def as_sql(self, compiler, connection, **extra_context):
        pk, ids, exists = self.get_source_expressions()
        if not self.drive:
            return compiler.compile(exists)
        (lhs, lhs_params), (rhs, rhs_params) = compiler.compile(pk), compiler.compile(ids)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        pk, ids, _exists = self.get_source_expressions()
        (lhs, lhs_params), (rhs, rhs_params) = compiler.compile(pk), compiler.compile(ids)
        if self.drive:
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


def co_handled(agency_ids, *, drive: bool = False) -> Q:
    """Return the condition "co-handled by one of `agency_ids`" on the co-agency table, with no join
    (see `_CoHandled` for `drive`)."""
    through = Case.co_agencies.through
    ids = sorted(agency_ids)
    rows = (
        through.objects.filter(agency_id=ids[0])
        if len(ids) == 1
        else through.objects.filter(agency_id__in=ids)
    )
    return Q(_CoHandled(rows, drive=drive))


def city_district_ids(city) -> list[int]:
    """Return the ids of the districts of a city (one small indexed query, kept on the place object).

    Cases store their district's id, so a city's cases are `district_id IN (these)`: an index range,
    where a join on place codes (`LIKE 'prefix%'`) read every case of the region first.
    """
    cached = getattr(city, "_case_district_ids", None)
    if cached is None:
        cached = list(
            Place.objects.filter(code_within(city.scope_prefix), level=Place.Level.DISTRICT)
            .order_by()
            .values_list("pk", flat=True)
        )
        city._case_district_ids = cached
    return cached


def code_within(prefix: str, field: str = "code") -> Q:
    """Return the places whose code starts with the digits `prefix` (`lib.codes.code_prefix`)."""
    return code_prefix(prefix, field)


def scope_place_ids(user) -> dict[str, list[int]]:
    """Return the ids of the grids, villages and towns the user works in, and their agencies.

    Used by the work queues to narrow to the cases where the user holds the queue's role.
    """
    result: dict[str, list[int]] = {"grid": [], "village": [], "town": [], "agency": []}
    for s in scopes(user):
        relation = ROLE_RELATION.get(s.role)
        if relation == "agency" and s.agency_id:
            result["agency"].append(s.agency_id)
        elif relation in ("grid", "village", "town") and s.place is not None:
            result[relation].append(s.place.pk)
    return result


def user_relations(user) -> frozenset[str]:
    """Return the relations the user's roles give to the cases of their scopes (any case)."""
    return frozenset(ROLE_RELATION[s.role] for s in scopes(user) if s.role in ROLE_RELATION)


# Who may place an unrouted case in its grid (`cases.placing`: from the register or on the map): the
# actors of the workflow's assign_grid, a village cadre or town operator of the region it landed in.
PLACING_RELATIONS = frozenset({"village", "town"})


def can_place(user, case: Case) -> bool:
    """Return whether `user` may put the unrouted, open `case` in a grid (the workflow still checks
    the step: assign_grid is a step of a case being verified)."""
    if case.routed or not case.is_open:
        return False
    return bool(relations(user, case) & PLACING_RELATIONS)


def check_place(user, case: Case) -> None:
    if not can_place(user, case):
        raise PermissionDenied(_("You may not place this case."))


def can_place_any(user) -> bool:
    """Return whether `user`'s roles let them place some unrouted case (the work map offers it)."""
    return bool(user_relations(user) & PLACING_RELATIONS)


def hotline_reply_scope(user, *, through: str = "") -> Q | None:
    """Return the condition on a case of the 12345 replies `user` may read: the orders of the regions
    where they import them (`HOTLINE_IMPORT_ROLES`: a town command centre, a district or city's
    administrators), by the case's indexed town or district column (prefixed with `through`, e.g.
    "case__" from the orders); None for every order (root). Raises PermissionDenied for anyone else."""
    if is_root(user):
        return None
    towns: set[int] = set()
    districts: set[int] = set()
    for s in scopes(user):
        if s.role not in HOTLINE_IMPORT_ROLES or s.place is None:
            continue
        if s.place.level == "city":
            districts.update(city_district_ids(s.place))
        elif s.place.level == "district":
            districts.add(s.place.pk)
        elif s.place.level == "town":
            towns.add(s.place.pk)
    parts = [
        _in(f"{through}{name}", ids) for name, ids in (("town_id", towns), ("district_id", districts)) if ids
    ]
    if not parts:
        raise PermissionDenied(
            _("Only a town command centre or a region's administrators read 12345 replies.")
        )
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition
