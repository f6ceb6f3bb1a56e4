"""The Open311 GeoReport v2 methods at /open311/v2/, in XML or JSON by the path's suffix.

Thin: parameters go to `selectors` (reads) and `services` (the POST); every refusal leaves as the
spec's `errors` list in the asked format, with the spec's status: 404 for an unknown service,
request, token or jurisdiction, 403 for a missing or wrong api_key, 400 for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from civicgrid.core.errors import ApplicationError
from civicgrid.open311 import params, selectors, services
from civicgrid.open311.formats import JSON, XML, Items, respond

# Our field names in a refusal, as the client sent them.
FIELD_NAMES = {
    "category": "service_code",
    "lon": "long",
    "reporter_phone": "phone",
    "photos": "media",
    "idempotency_key": "Idempotency-Key",
}


def _field(name: str) -> str:
    if name.startswith("answers."):
        return f"attribute[{name.split('.', 1)[1]}]"
    return FIELD_NAMES.get(name, name)


def error_response(fmt: str, status: int, errors: list[tuple[str, str]]) -> HttpResponse:
    body = Items("error", [{"code": status, "description": text} for _code, text in errors])
    return respond(fmt, "errors", body, status=status)


def middleware_refusal(request: HttpRequest, status: int, message: str, code: str) -> HttpResponse:
    """A request refused before its view (too large, a NUL in the address), in the spec's shape."""
    return error_response(JSON if ".json" in request.path else XML, status, [(code, message)])


def _refusal(fmt: str, exc: ApplicationError) -> HttpResponse:
    fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
    if fields:
        errors = [(exc.code, f"{_field(name)}: {message}") for name, message in fields.items()]
    else:
        errors = [(exc.code, exc.message)]
    response = error_response(fmt, exc.status, errors)
    retry_after = exc.extra.get("retry_after") if isinstance(exc.extra, dict) else None
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def open311(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer every refusal of `view` in the spec's error shape; let anyone's browser read GETs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, fmt=fmt, **kwargs)
        except ApplicationError as exc:
            response = _refusal(fmt, exc)
        except RequestDataTooBig:
            response = error_response(fmt, 413, [("too_large", _("The request is too large."))])
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            response = error_response(
                fmt,
                400,
                [
                    (
                        "invalid_form",
                        _(
                            "The form could not be read: send application/x-www-form-urlencoded, "
                            "or multipart/form-data with its boundary."
                        ),
                    )
                ],
            )
        if request.method in ("GET", "HEAD"):
            response["Access-Control-Allow-Origin"] = "*"
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapped


def _absolute(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


def _method_not_allowed(fmt: str, allowed: str) -> HttpResponse:
    response = error_response(fmt, 405, [("method", _("Use %(methods)s here.") % {"methods": allowed})])
    response["Allow"] = allowed
    return response


@open311
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET")
    return respond(fmt, "discovery", selectors.discovery(_absolute(request)))


@open311
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET")
    params.check_jurisdiction(request.GET)
    return respond(fmt, "services", selectors.services())


@open311
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET")
    params.check_jurisdiction(request.GET)
    return respond(fmt, "service_definition", selectors.service_definition(code))


@csrf_exempt
@open311
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: the public requests; POST: file one (api_key required)."""
    if request.method == "POST":
        filed = services.request_create(
            params=request.POST,
            files=request.FILES,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        body = Items(
            "request",
            [
                {
                    "service_request_id": filed.case.tracking_number,
                    "service_notice": selectors.notice(filed.case),
                    "account_id": filed.account_id or None,
                }
            ],
        )
        return respond(fmt, "service_requests", body, status=201 if filed.created else 200)
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET, POST")
    params.check_jurisdiction(request.GET)
    return respond(fmt, "service_requests", selectors.requests(request.GET, _absolute(request)))


@open311
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET")
    params.check_jurisdiction(request.GET)
    return respond(fmt, "service_requests", selectors.request(request_id, request.GET, _absolute(request)))


@open311
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(fmt, "GET")
    params.check_jurisdiction(request.GET)
    return respond(fmt, "service_requests", selectors.token(token))


def unknown(request: HttpRequest, path: str) -> HttpResponse:
    return error_response(
        JSON if path.endswith(".json") else XML,
        404,
        [("not_found", _("No Open311 method at this address; see discovery.xml."))],
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The human-readable discovery page: what this endpoint serves and where to get a key."""
    return render(
        request,
        "open311/index.html",
        {
            "discovery": selectors.discovery(_absolute(request)),
            "services": selectors.services().values,
            "jurisdiction": settings.OPEN311_JURISDICTION_ID,
        },
    )
