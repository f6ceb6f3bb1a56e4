"""/api/v1/orgs: the organisation network — the tree, an organisation, people and their posts.
Coverage and set-up checklists are mounted below it (`api_coverage`, `api_checklists`).

The same services, selectors and presenters as the pages; every permission is in `orgs.access`.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import ApplicationError, NotFound
from civicgrid.orgs import access, presenters, selectors, services
from civicgrid.orgs.models import Organisation, Person, Position
from civicgrid.orgs.schemas import (
    AppointIn,
    CrossOut,
    EndTermIn,
    MoveIn,
    NetworkPersonOut,
    OrgDetailOut,
    OrgIn,
    OrgOut,
    OrgPageOut,
    OrgPatch,
    PersonIn,
    PostOut,
)
from civicgrid.places.models import Place

router = Router(tags=["Organisation network"])
router.add_router("/coverage", "civicgrid.orgs.api_coverage.router", tags=["Organisation coverage"])
router.add_router(
    "/checklists", "civicgrid.orgs.api_checklists.router", tags=["Organisation set-up checklists"]
)


def _org(request: HttpRequest, pk: int) -> Organisation:
    org = selectors.org_get(request.user, pk)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def _region(code: str) -> Place:
    place = Place.objects.filter(code=(code or "").strip()).first()
    if place is None:
        raise ApplicationError(
            _("No region has the code “%(code)s”.") % {"code": code},
            extra={"fields": {"region_code": _("No region has this code.")}},
        )
    return place


def org_out(org: Organisation, parent_id: int | None = None) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "kind_label": org.get_kind_display(),
        "leading": org.leading,
        "status": org.status,
        "region_code": org.region.code,
        "region_name": org.region.display_name,
        "founded_on": org.founded_on,
        "depth": org.depth,
        "children": org.numchild,
        "parent_id": parent_id,
    }


def _post_out(post: presenters.PostView) -> dict:
    data = asdict(post)
    data["also_holds"] = [f"{name} · {role}" for _id, name, role in post.elsewhere]
    data.pop("elsewhere")
    return data


def _detail(request: HttpRequest, org: Organisation) -> dict:
    view = presenters.org_view(request.user, org)
    parent = view.ancestors[-1].pk if view.ancestors else None
    return {
        **org_out(org, parent),
        "contact_name": org.contact_name,
        "contact_phone": view.contact_phone,
        "address": org.address,
        "note": org.note if view.can_manage else "",
        "ancestors": [a.name for a in view.ancestors],
        "posts": [_post_out(p) for p in view.posts],
        "past_posts": [_post_out(p) for p in view.past_posts],
        "can_manage": view.can_manage,
    }


def _page_out(page: selectors.Page) -> dict:
    return {"items": [org_out(o) for o in page.items], "next_cursor": page.next_cursor, "total": page.total}


class ListQuery(Schema):
    q: str = ""
    kind: str = ""
    after: str = ""


def _cursor_guard(call):
    try:
        return call()
    except ValueError:
        raise ApplicationError(
            _("This cursor is not one of this list."), extra={"fields": {"after": _("Unknown cursor.")}}
        ) from None


@router.get(
    "/",
    response={200: OrgPageOut, **errors(400, 401, 403)},
    auth=signed_in,
    summary="Search the organisations you may see",
)
def org_list(request: HttpRequest, filters: Query[ListQuery]):
    """Organisations whose name contains `q` (and of `kind`), in tree order, 50 a page."""
    if not access.can_use(request.user):
        raise access.refuse()
    page = _cursor_guard(
        lambda: selectors.search(request.user, filters.q[:50], kind=filters.kind, cursor=filters.after)
    )
    return _page_out(page)


@router.get(
    "/tops",
    response={200: list[OrgOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="Where your part of the network starts",
)
def tops(request: HttpRequest):
    if not access.can_use(request.user):
        raise access.refuse()
    return [org_out(o) for o in selectors.tops(request.user)]


@router.post(
    "/",
    response={201: OrgDetailOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Add an organisation (with its set-up checklist)",
)
def org_create(request: HttpRequest, payload: OrgIn):
    parent = _org(request, payload.parent_id) if payload.parent_id is not None else None
    values = payload.dict(exclude={"parent_id", "region_code"})
    org = services.org_create(
        actor=request.user, parent=parent, region=_region(payload.region_code), **values
    )
    return Status(201, _detail(request, _org(request, org.pk)))


@router.get(
    "/people/cross-appointments",
    response={200: list[CrossOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="People holding posts in more than one organisation",
)
def cross(request: HttpRequest, q: str = ""):
    if not access.can_use(request.user):
        raise access.refuse()
    result = []
    for person, posts in selectors.cross_appointments(request.user, text=q[:50]):
        full = access.can_see_person(request.user, posts)
        result.append(
            {
                "person": asdict(presenters.person_view(request.user, person, full=full)),
                "posts": [_post_out(presenters.post_view(p, full=full)) for p in posts],
            }
        )
    return result


@router.post(
    "/people",
    response={201: NetworkPersonOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Add a person (by an organisation you manage)",
)
def person_create(request: HttpRequest, payload: PersonIn):
    org = _org(request, payload.organisation_id)
    person = services.person_create(
        actor=request.user,
        organisation=org,
        name=payload.name,
        phone=payload.phone,
        id_number=payload.id_number,
        note=payload.note,
    )
    return Status(201, asdict(presenters.person_view(request.user, person, full=True)))


@router.get(
    "/people/{pk}",
    response={200: CrossOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="A person and all their posts",
)
def person(request: HttpRequest, pk: int):
    found = selectors.person_get(request.user, pk)
    if found is None:
        raise NotFound(_("No such person."))
    who, posts = found
    full = access.can_see_person(request.user, posts)
    return {
        "person": asdict(presenters.person_view(request.user, who, full=full)),
        "posts": [_post_out(presenters.post_view(p, full=full)) for p in posts],
    }


@router.post(
    "/posts",
    response={201: PostOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Appoint a person to a post",
)
def appoint(request: HttpRequest, payload: AppointIn):
    org = _org(request, payload.organisation_id)
    who = Person.objects.filter(pk=payload.person_id).first()
    if who is None:
        raise NotFound(_("No such person."))
    post = services.position_appoint(
        actor=request.user,
        person=who,
        organisation=org,
        role=payload.role,
        term_start=payload.term_start,
        term_end=payload.term_end,
    )
    return Status(201, _post_out(presenters.post_view(post, full=True)))


@router.post(
    "/posts/{pk}/end",
    response={200: PostOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="End a term (the post stays on record)",
)
def end_term(request: HttpRequest, pk: int, payload: EndTermIn):
    post = Position.objects.select_related("organisation__region", "person").filter(pk=pk).first()
    if post is None or not access.can_view(request.user, post.organisation):
        raise NotFound(_("No such post."))
    post = services.position_end(
        actor=request.user, position=post, term_end=payload.term_end, reason=payload.reason
    )
    return _post_out(presenters.post_view(post, full=True))


@router.get(
    "/{pk}",
    response={200: OrgDetailOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="An organisation, its chain and its posts",
)
def org_detail(request: HttpRequest, pk: int):
    return _detail(request, _org(request, pk))


@router.patch(
    "/{pk}",
    response={200: OrgDetailOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Change an organisation",
)
def org_update(request: HttpRequest, pk: int, payload: OrgPatch):
    org = _org(request, pk)
    changes = payload.dict(exclude_unset=True)
    if "region_code" in changes:
        changes["region"] = _region(changes.pop("region_code") or "")
    services.org_update(actor=request.user, org=org, **changes)
    return _detail(request, _org(request, pk))


@router.post(
    "/{pk}/move",
    response={200: OrgDetailOut, **errors(400, 401, 403, 404, 413)},
    auth=signed_in,
    summary="Move an organisation and its subtree below another",
)
def org_move(request: HttpRequest, pk: int, payload: MoveIn):
    org = _org(request, pk)
    services.org_move(actor=request.user, org=org, new_parent=_org(request, payload.parent_id))
    return _detail(request, _org(request, pk))


@router.get(
    "/{pk}/children",
    response={200: OrgPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="The organisations directly below",
)
def org_children(request: HttpRequest, pk: int, after: str = ""):
    org = _org(request, pk)
    return _page_out(_cursor_guard(lambda: selectors.children(request.user, org, cursor=after)))


@router.get(
    "/{pk}/subtree",
    response={200: OrgPageOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Everything below, in tree order, with its size",
)
def org_subtree(request: HttpRequest, pk: int, after: str = "", kind: str = "", status: str = ""):
    org = _org(request, pk)
    return _page_out(
        _cursor_guard(
            lambda: selectors.subtree_page(request.user, org, cursor=after, kind=kind, status=status)
        )
    )
