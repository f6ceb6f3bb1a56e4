"""Places API: locate a point, walk the tree, read a place with its boundary, export GeoJSON."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from civicgrid.core.api_auth import anyone, errors, signed_in
from civicgrid.core.schemas import Text
from civicgrid.places import routing, selectors
from civicgrid.places.exports import places_feature_collection
from civicgrid.places.schemas import LocateIn, LocationOut, PlaceDetailOut, PlaceOut, SearchIn, TreeIn

router = Router(tags=["places"])


@router.get(
    "/locate",
    response={200: LocationOut, **errors(400, 401)},
    auth=anyone,
    summary="Route a point to its grid",
)
def locate(request: HttpRequest, params: Query[LocateIn]):
    """Return the grid, village, town and district of a point (WGS-84, GCJ-02 or BD-09).

    A point outside every grid but inside the service area returns the nearest village or town with
    `routed=false`; a point far outside it is refused (usually a wrong `crs` or swapped lon/lat).
    """
    return routing.locate(params.lon, params.lat, crs=params.crs)


@router.get(
    "/tree",
    response={200: list[PlaceOut], **errors(400, 401, 404)},
    auth=signed_in,
    summary="Children of a place, or the roots",
)
def tree(request: HttpRequest, params: Query[TreeIn]):
    if params.parent:
        parent = selectors.place_get_for_user(user=request.user, code=params.parent)
        return list(selectors.place_children(user=request.user, place=parent))
    return selectors.place_roots(user=request.user)


@router.get(
    "/search",
    response={200: list[PlaceOut], **errors(400, 401)},
    auth=signed_in,
    summary="Find places by name or code",
)
def search(request: HttpRequest, params: Query[SearchIn]):
    return list(selectors.place_search(user=request.user, text=params.q))


@router.get(
    "/{code}",
    response={200: PlaceDetailOut, **errors(400, 401, 404)},
    auth=signed_in,
    summary="A place with its boundary and people",
)
def detail(request: HttpRequest, code: Text):
    return selectors.place_detail(user=request.user, code=code)


@router.get(
    "/{code}/export.geojson",
    response=errors(400, 401, 403, 404),
    auth=signed_in,
    summary="GeoJSON of a place and everything under it",
    openapi_extra={
        "responses": {
            200: {
                "description": "A GeoJSON FeatureCollection (a file download)",
                "content": {"application/geo+json": {"schema": {"type": "object"}}},
            }
        }
    },
)
def export(request: HttpRequest, code: Text):
    """Export the subtree in the format `import_places` reads, so an export can be imported elsewhere."""
    place = selectors.place_get_for_user(user=request.user, code=code)
    data = places_feature_collection(user=request.user, root=place)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="places-{place.code}.geojson"'
    return response
