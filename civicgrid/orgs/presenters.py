"""What a given viewer sees of an organisation and its people: built once, for the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from civicgrid.lib.privacy import mask_phone
from civicgrid.orgs import access, selectors
from civicgrid.orgs.models import Organisation, OrgKind, Person, Position


@dataclass
class PersonView:
    id: int
    name: str
    phone: str
    id_number: str  # always masked
    note: str


@dataclass
class PostView:
    id: int
    role: str
    role_label: str
    term_start: object
    term_end: object
    end_reason: str
    person: PersonView
    organisation_id: int
    organisation_name: str
    elsewhere: list[tuple[int, str, str]] = field(default_factory=list)  # (org id, org name, post label)


@dataclass
class OrgView:
    org: Organisation
    contact_phone: str
    ancestors: list[Organisation]
    posts: list[PostView]
    past_posts: list[PostView]
    kind_counts: list[tuple[str, int]]
    can_manage: bool
    can_add_root: bool


def person_view(viewer, person: Person, *, full: bool) -> PersonView:
    return PersonView(
        id=person.pk,
        name=person.name,
        phone=person.phone if full else mask_phone(person.phone),
        id_number=person.id_masked,
        note=person.note if full else "",
    )


def post_view(position: Position, *, full: bool, elsewhere: list[Position] | None = None) -> PostView:
    return PostView(
        id=position.pk,
        role=position.role,
        role_label=position.get_role_display(),
        term_start=position.term_start,
        term_end=position.term_end,
        end_reason=position.end_reason,
        person=person_view(None, position.person, full=full),
        organisation_id=position.organisation_id,
        organisation_name=position.organisation.name,
        elsewhere=[(p.organisation_id, p.organisation.name, p.get_role_display()) for p in elsewhere or []],
    )


def org_view(viewer, org: Organisation) -> OrgView:
    full = access.can_see_contacts(viewer, org)
    holders, past = selectors.positions_of(org)
    return OrgView(
        org=org,
        contact_phone=org.contact_phone if full else mask_phone(org.contact_phone),
        ancestors=selectors.ancestors(org),
        posts=[post_view(h.position, full=full, elsewhere=h.elsewhere) for h in holders],
        past_posts=[post_view(p, full=full) for p in past],
        kind_counts=[(OrgKind(k).label, n) for k, n in selectors.kind_counts(org)],
        can_manage=full,
        can_add_root=access.can_create_root(viewer),
    )
