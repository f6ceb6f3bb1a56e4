"""Reads of the administrative tree, always through the user's scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core.errors import NotFound
from civicgrid.places import access
from civicgrid.places.models import Boundary, Place
from civicgrid.places.services import code_ancestors


def place_get_for_user(*, user, code: str) -> Place:
    """Return the place with `code` if `user` may view it; a place out of scope is "not found"."""
    place = access.scope_places(user).filter(code=code).select_related("parent").first()
    if place is None:
        raise NotFound(_("No such place, or it is outside your area."))
    return place


def place_chain(place: Place) -> list[Place]:
    """Return the ancestors of `place`, widest first, in one query."""
    codes = code_ancestors(place.code, place.level)
    return sorted(Place.objects.filter(code__in=codes), key=lambda p: p.depth)


def place_children(*, user, place: Place | None) -> QuerySet[Place]:
    """Return the visible children of `place` (the roots when None), with their child counts."""
    qs = access.scope_places(user).filter(parent=place).annotate(child_count=Count("children", distinct=True))
    return qs.order_by("code")


def place_roots(*, user) -> list[Place]:
    """Return the widest visible places: those whose parent the user cannot see (or that have none)."""
    visible = access.scope_places(user)
    roots = visible.filter(Q(parent__isnull=True) | ~Q(parent__in=visible))
    return list(roots.annotate(child_count=Count("children", distinct=True)).order_by("code"))


def place_search(*, user, text: str, limit: int = 50) -> QuerySet[Place]:
    """Find visible places by name (Chinese or English) or by code prefix."""
    text = (text or "").strip()
    qs = access.scope_places(user)
    if not text:
        return qs.none()
    if text.isdigit():
        qs = qs.filter(code__startswith=text)
    else:
        qs = qs.filter(Q(name__icontains=text) | Q(name_en__icontains=text))
    return qs.select_related("parent").order_by("code")[:limit]


def current_boundary(place: Place) -> Boundary | None:
    return Boundary.objects.filter(place=place, valid_to__isnull=True).first()


def boundaries_of_children(place: Place) -> list[Boundary]:
    """Return the current boundaries of the grids (or other children) under `place`, for its map."""
    return list(
        Boundary.objects.filter(
            valid_to__isnull=True,
            place__code__startswith=place.scope_prefix,
            place__level=Place.LEVEL_ORDER[min(place.depth + 1, 4)],
        ).select_related("place")
    )


@dataclass
class PlaceDetail:
    place: Place
    chain: list[Place]
    boundary: Boundary | None
    children: list[Place]
    child_boundaries: list[Boundary]
    people: list[Any] = field(default_factory=list)
    history: list[Boundary] = field(default_factory=list)


# Who serves a place (people and their roles) is the accounts app's to say; it registers the source.
_people_source: Callable[..., list[Any]] | None = None


def set_people_source(source: Callable[..., list[Any]]) -> None:
    """Register `source(user=, place=)`, which returns the people serving a place (accounts does)."""
    global _people_source
    _people_source = source


def place_people(*, user, place: Place) -> list[Any]:
    """Return the people serving `place`, as the registered source gives them (none without one)."""
    return _people_source(user=user, place=place) if _people_source is not None else []


def place_detail(*, user, code: str) -> PlaceDetail:
    """Return what a place's page shows: chain, boundary, children and their shapes, people."""
    place = place_get_for_user(user=user, code=code)
    children = list(place_children(user=user, place=place))
    visible_child_ids = {c.pk for c in children}
    child_boundaries = [b for b in boundaries_of_children(place) if b.place_id in visible_child_ids]
    return PlaceDetail(
        place=place,
        chain=place_chain(place),
        boundary=current_boundary(place),
        children=children,
        child_boundaries=child_boundaries,
        people=place_people(user=user, place=place),
        history=list(
            Boundary.objects.filter(place=place, valid_to__isnull=False).order_by("-valid_from")[:10]
        ),
    )
