"""GeoJSON export of the tree, in the format `import_places` reads back."""

from __future__ import annotations

from typing import Any

from civicgrid.places import access
from civicgrid.places.models import Boundary, Place


def place_feature(place: Place, boundary: Boundary | None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": place.code,
            "name": place.name,
            "name_en": place.name_en,
            "level": place.level,
            "kind": place.kind,
            "parent_code": place.parent.code if place.parent_id else None,
        },
        "geometry": boundary.geometry if boundary else None,
    }


def places_feature_collection(*, user, root: Place) -> dict[str, Any]:
    """Return `root` and every visible place under it, parents before children, with current boundaries.

    A staff tool: refused (PermissionDenied) to anyone who may not export `root` (`Perm.PLACE_EXPORT`).
    """
    access.check(user, access.Perm.PLACE_EXPORT, root)
    places = list(
        access.scope_places(user)
        .filter(code__startswith=root.scope_prefix)
        .select_related("parent")
        .order_by("code")
    )
    places.sort(key=lambda p: (p.depth, p.code))
    boundaries = {
        b.place_id: b
        for b in Boundary.objects.filter(valid_to__isnull=True, place__code__startswith=root.scope_prefix)
    }
    return {
        "type": "FeatureCollection",
        "features": [place_feature(p, boundaries.get(p.pk)) for p in places],
    }
