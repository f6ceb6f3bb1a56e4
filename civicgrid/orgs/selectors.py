"""Reads of the organisation tree, its people and their posts, always within what the viewer may see.

A subtree is one indexed prefix filter on `path` (`path LIKE 'p%'`); pages continue after the last
path shown (keyset), never by OFFSET, so the 500th page of a city's network costs what the first does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.utils import timezone

from civicgrid.core.scopes import is_root
from civicgrid.orgs import access
from civicgrid.orgs.models import Organisation, Person, Position, subtree
from civicgrid.volunteers.models import Activity, Team

PAGE_SIZE = 50
_PATH_RE = re.compile(r"^[0-9A-Z]{4,255}$")


def current_positions(on: date | None = None) -> Q:
    """Q for posts held on `on` (today by default): started, not ended."""
    on = on or timezone.localdate()
    return Q(term_start__lte=on) & (Q(term_end__isnull=True) | Q(term_end__gt=on))


def org_get(user, pk: int) -> Organisation | None:
    """The organisation if `user` may see it, else None (the page answers 404 or 403)."""
    org = Organisation.objects.select_related("region", "district", "town").filter(pk=pk).first()
    if org is None:
        return None
    access.check_view(user, org)
    return org


@dataclass
class Page:
    items: list[Organisation]
    next_cursor: str
    total: int | None = None


def _after(qs: QuerySet[Organisation], cursor: str) -> QuerySet[Organisation]:
    if cursor:
        if not _PATH_RE.match(cursor):
            raise ValueError("not a cursor")
        qs = qs.filter(path__gt=cursor)
    return qs


def _page(qs: QuerySet[Organisation], cursor: str, size: int) -> Page:
    rows = list(_after(qs.order_by("path"), cursor)[: size + 1])
    return Page(rows[:size], rows[size - 1].path if len(rows) > size else "")


def subtree_page(
    user,
    org: Organisation,
    *,
    cursor: str = "",
    size: int = PAGE_SIZE,
    kind: str = "",
    status: str = "",
    with_total: bool = True,
) -> Page:
    """A page of `org`'s subtree (itself excluded) in tree order, and the subtree's size."""
    access.check_view(user, org)
    qs = Organisation.objects.filter(subtree(org.path, below_only=True)).select_related("region")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    page = _page(qs, cursor, size)
    if with_total:
        page.total = qs.order_by().count()
    return page


def children(user, org: Organisation, *, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    access.check_view(user, org)
    qs = Organisation.objects.filter(subtree(org.path, below_only=True), depth=org.depth + 1).select_related(
        "region"
    )
    page = _page(qs, cursor, size)
    page.total = org.numchild
    return page


def tops(user, *, size: int = PAGE_SIZE) -> list[Organisation]:
    """Where the tree page starts for `user`: the roots, their offices, or the highest organisations of their region."""
    if is_root(user):
        return list(Organisation.objects.filter(depth=1).select_related("region").order_by("path")[:size])
    offices = access.offices(user)
    if offices:
        return offices[:size]
    visible = access.visible_orgs(user)
    parent_visible = visible.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Organisation.steplen)
    )
    return list(visible.filter(~Exists(parent_visible)).select_related("region").order_by("path")[:size])


def search(user, text: str, *, kind: str = "", cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """Organisations whose name contains `text`, within what `user` sees, in tree order."""
    qs = access.visible_orgs(user).select_related("region")
    text = (text or "").strip()
    if text:
        qs = qs.filter(name__icontains=text)
    if kind:
        qs = qs.filter(kind=kind)
    return _page(qs, cursor, size)


def ancestors(org: Organisation) -> list[Organisation]:
    """The chain above `org`, top first (one query on the path's prefixes)."""
    step = Organisation.steplen
    paths = [org.path[:n] for n in range(step, len(org.path), step)]
    return list(Organisation.objects.filter(path__in=paths).order_by("depth")) if paths else []


def ancestor_names(orgs: list[Organisation]) -> dict[int, list[str]]:
    """For each organisation, the names of those above it (for search results), in one query."""
    step = Organisation.steplen
    wanted = {o.path[:n] for o in orgs for n in range(step, len(o.path), step)}
    names = dict(Organisation.objects.filter(path__in=wanted).values_list("path", "name")) if wanted else {}
    return {
        o.pk: [names[o.path[:n]] for n in range(step, len(o.path), step) if o.path[:n] in names] for o in orgs
    }


def kind_counts(org: Organisation) -> list[tuple[str, int]]:
    """How many organisations of each kind `org`'s subtree holds (active or being set up)."""
    rows = (
        Organisation.objects.filter(subtree(org.path, below_only=True))
        .exclude(status=Organisation.Status.DISSOLVED)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    )
    return [(r["kind"], r["n"]) for r in rows]


# --- People and posts ---------------------------------------------------------------------------


@dataclass
class Holder:
    position: Position
    elsewhere: list[Position]  # the holder's other current posts (cross-appointments)


def positions_of(org: Organisation, *, on: date | None = None) -> tuple[list[Holder], list[Position]]:
    """The organisation's current posts (each with the holder's other current posts) and its past terms."""
    on = on or timezone.localdate()
    rows = list(
        Position.objects.filter(organisation=org)
        .select_related("person", "organisation")
        .order_by("role", "term_start", "id")
    )
    current = [p for p in rows if p.term_start <= on and (p.term_end is None or p.term_end > on)]
    past = [p for p in rows if p not in current]
    past.sort(key=lambda p: p.term_end or p.term_start, reverse=True)
    others: dict[int, list[Position]] = defaultdict(list)
    people = {p.person_id for p in current}
    if people:
        for other in (
            Position.objects.filter(current_positions(on), person_id__in=people)
            .exclude(organisation=org)
            .select_related("organisation")
            .order_by("organisation__path")
        ):
            others[other.person_id].append(other)
    order = {role: i for i, role in enumerate(Position.Role.values)}
    current.sort(key=lambda p: (order.get(p.role, 99), p.term_start))
    return [Holder(p, others.get(p.person_id, [])) for p in current], past


def cross_appointments(
    user, *, text: str = "", on: date | None = None, limit: int = 200
) -> list[tuple[Person, list[Position]]]:
    """People who hold current posts in more than one organisation, at least one of which `user` sees.

    One GROUP BY over current posts (HAVING two organisations or more), then their posts.
    """
    on = on or timezone.localdate()
    current = Position.objects.filter(current_positions(on))
    visible_people = current.filter(organisation__in=access.visible_orgs(user)).values("person_id")
    qs = (
        current.filter(person_id__in=visible_people)
        .values("person_id")
        .annotate(n=Count("organisation_id", distinct=True))
        .filter(n__gt=1)
        .order_by()
    )
    if text:
        qs = qs.filter(person__name__icontains=text.strip())
    ids = [r["person_id"] for r in qs[:limit]]
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    posts: dict[int, list[Position]] = defaultdict(list)
    for p in (
        current.filter(person_id__in=ids)
        .select_related("organisation__region")
        .order_by("organisation__path")
    ):
        posts[p.person_id].append(p)
    return sorted(((people[i], posts[i]) for i in ids), key=lambda pair: pair[0].name)


def person_get(user, pk: int) -> tuple[Person, list[Position]] | None:
    """A person and all their posts (current and past), if `user` sees one of the organisations."""
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        return None
    posts = list(person.positions.select_related("organisation__region").order_by("-term_start", "id"))
    if not is_root(user) and not any(access.can_view(user, p.organisation) for p in posts):
        raise access.refuse()
    return person, posts


def people_search(user, text: str, *, limit: int = 50) -> list[Person]:
    """People with a post in an organisation `user` sees, by name (for appointing someone already on record)."""
    text = (text or "").strip()
    qs = Person.objects.filter(positions__organisation__in=access.visible_orgs(user)).distinct()
    if text:
        qs = qs.filter(name__icontains=text)
    return list(qs.order_by("name", "id")[:limit])


MOVE_CANDIDATES = 500


def move_candidates(user, org: Organisation, text: str = "") -> list[Organisation]:
    """Where `org` may go: organisations `user` manages, outside `org`'s own branch, not dissolved, in
    tree order (at most MOVE_CANDIDATES; `text` narrows them by name)."""
    qs = access.visible_orgs(user)
    if text:
        qs = qs.filter(name__icontains=text)
    qs = qs.exclude(subtree(org.path)).exclude(status=Organisation.Status.DISSOLVED).order_by("path")
    return [c for c in qs[:MOVE_CANDIDATES] if access.can_manage(user, c)]


def team_choices(org: Organisation, limit: int = 100) -> list[Team]:
    """Volunteer teams of the organisation's region that it may link, by name."""
    return list(
        Team.objects.filter(is_active=True, community__code__startswith=org.region.scope_prefix)
        .select_related("community")
        .order_by("name")[:limit]
    )


def coming_activities(teams: list[Team], limit: int = 5) -> list[Activity]:
    """The next published activities of these volunteer teams."""
    if not teams:
        return []
    return list(
        Activity.objects.filter(team__in=teams, ends_at__gte=timezone.now())
        .exclude(state="draft")
        .select_related("team")
        .order_by("starts_at")[:limit]
    )
