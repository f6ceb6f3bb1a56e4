"""Pages of the administrative tree: browse and search, and one place with its map."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from civicgrid.core.errors import NotFound
from civicgrid.core.htmx import is_htmx_partial
from civicgrid.places import access, display, panels, selectors
from civicgrid.places.access import Perm
from civicgrid.places.models import Boundary, Place

PAGE_SIZE = 25
CHILDREN_PAGE_SIZE = 50
# Search stops here; a longer list means the query should be narrower, not that someone should page.
SEARCH_LIMIT = 200
QUERY_MAX_LENGTH = 100


def _page(request: HttpRequest, items: Any, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


@login_required
@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    """List the widest places the user may see, drill down one level, or search by name or code.

    One view serves the full page and the htmx fragment of its results (the search box asks for
    the fragment as the user types; without JavaScript the same URL returns the whole page).
    """
    user = request.user
    query = (request.GET.get("q") or "").strip()[:QUERY_MAX_LENGTH]
    parent: Place | None = None
    chain: list[Place] = []
    if query:
        items: Any = selectors.place_search(user=user, text=query, limit=SEARCH_LIMIT)
    else:
        parent_code = (request.GET.get("parent") or "").strip()
        if parent_code:
            try:
                parent = selectors.place_get_for_user(user=user, code=parent_code)
            except NotFound as exc:
                raise Http404(exc.message)
            chain = selectors.place_chain(parent)
            items = selectors.place_children(user=user, place=parent)
        else:
            items = selectors.place_roots(user=user)
    page_obj = _page(request, items, PAGE_SIZE)
    context = {
        "query": query,
        "parent": parent,
        "chain": chain,
        "page_obj": page_obj,
        "places": page_obj.object_list,
        "search_limit_reached": bool(query) and page_obj.paginator.count >= SEARCH_LIMIT,
    }
    template = "places/_results.html" if is_htmx_partial(request) else "places/browse.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _feature(place: Place, boundary: Boundary, parent: Place | None = None) -> dict[str, Any]:
    name = place.display_name
    # On the parent's map "学府社区第3网格" reads better as "第3网格": the parent is already on screen.
    label = name
    if parent is not None:
        prefix = parent.display_name
        if name.startswith(prefix) and len(name) > len(prefix):
            label = name[len(prefix) :].strip(" ·-")
    return {
        "type": "Feature",
        "geometry": display.geometry(boundary.geometry),
        "properties": {"code": place.code, "name": name, "label": label, "url": place.get_absolute_url()},
    }


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """Show one place: where it sits in the tree, its boundary on a map, its children and its people.

    A place outside the user's area is "not found", so its existence is not disclosed.
    """
    try:
        data = selectors.place_detail(user=request.user, code=code)
    except NotFound as exc:
        raise Http404(exc.message)
    place = data.place
    geo = {
        "place": _feature(place, data.boundary) if data.boundary else None,
        "children": [_feature(b.place, b, parent=place) for b in data.child_boundaries],
    }
    names = {p.code: p.display_name for p in [*data.chain, place]}
    people = [{"person": person, "place_name": names.get(person.scope_code, "")} for person in data.people]
    context = {
        "place": place,
        "detail": data,
        "chain": data.chain,
        "boundary": data.boundary,
        "children_page": _page(request, data.children, CHILDREN_PAGE_SIZE),
        "people": people,
        "history": data.history,
        "geo": geo,
        "has_map": bool(geo["place"] or geo["children"]),
        "can_manage": access.can(request.user, Perm.PLACE_MANAGE, place),
        "export_url": reverse("api:export", kwargs={"code": place.code})
        if access.can(request.user, Perm.PLACE_EXPORT, place)
        else "",
        # What other apps show on the page (co-governance: the people sent down to a grid).
        "panels": panels.panels_for(request.user, place),
        **display.tiles(),
    }
    return render(request, "places/detail.html", context)
