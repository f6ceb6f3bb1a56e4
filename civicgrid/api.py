"""The JSON API at /api/v1 (django-ninja, OpenAPI at /api/v1/docs).

Every answer that is not a success has one shape, `ErrorOut` `{"message", "code", "extra"}`: the
refusals of services, invalid input, a wrong method or address (through
`core.middleware.ApiErrorMiddleware`), and unexpected errors (500, logged, no traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from civicgrid.core.api_auth import unreadable_form
from civicgrid.core.errors import ApplicationError
from civicgrid.core.middleware import error_body
from civicgrid.lib.text import text_problem

logger = logging.getLogger("civicgrid.api")

api = NinjaAPI(
    title="CivicGrid API",
    version="1",
    description=(
        "Places, grids and routing; cases, volunteers and organisations follow. Every refusal "
        'answers `{"message", "code", "extra"}` (ErrorOut): 400 invalid input (`extra.fields` names '
        "each field), 401 not signed in, 403 not allowed or a failed CSRF check, 404 not found, "
        "405 wrong method, 409 conflict, 413 too large, 429 too many requests."
    ),
    urls_namespace="api",
)


def _error(request, status: int, message: str, code: str, extra: dict | None = None) -> HttpResponse:
    return api.create_response(request, error_body(message, code, extra), status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.message, exc.code, exc.extra)


def _field_message(err: dict[str, Any]) -> str:
    """Return a translated message for the pydantic error types people meet most, else pydantic's own."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("Enter a whole number.")
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("Enter a number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter text.")
    if kind == "string_unicode":
        return text_problem("\ud800") or ""
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Send a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Send an object.")
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return _("Enter a date and time, e.g. 2026-05-01T09:30:00+08:00.")
    if kind in ("date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("Enter a date, e.g. 2026-05-01.")
    if kind == "less_than_equal":
        return _("Enter a value of at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "greater_than_equal":
        return _("Enter a value of at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "string_too_long":
        return _("Enter at most %(limit)s characters.") % {"limit": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Enter at least %(limit)s characters.") % {"limit": ctx.get("min_length")}
    if kind == "too_long":
        return _("Send at most %(limit)s items.") % {"limit": ctx.get("max_length")}
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    return str(err.get("msg", ""))


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = list(err.get("loc", []))
        if loc and loc[0] in ("query", "body", "path", "form", "header", "cookie"):
            where = loc.pop(0)
            # A body schema arrives as the view's `payload` parameter; name its fields, not it.
            if where == "body" and len(loc) > 1 and loc[0] == "payload":
                loc.pop(0)
        fields.setdefault(".".join(str(p) for p in loc) or "request", _field_message(err))
    return _error(request, 400, _("Some fields are missing or invalid."), "invalid", {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, _("Sign in or send a valid API token."), "unauthenticated")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and str(exc) == "Cannot parse request body":
        return _error(
            request, 400, _("The request body could not be read: send a JSON object."), "invalid_json"
        )
    return _error(request, exc.status_code, str(exc), "error")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, _("Not found."), "not_found")


@api.exception_handler(DjangoPermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, 403, _("You may not do this."), "forbidden")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return _error(request, 413, _("The request is too large."), "too_large")


@api.exception_handler(MultiPartParserError)
def on_unreadable_form(request, exc):
    error = unreadable_form(exc)
    return _error(request, error.status, error.message, error.code)


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request, exc):
    return _error(request, 400, _("The request could not be read."), "bad_request")


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    # Logged with its traceback for the operators; the client gets the error shape and nothing more.
    logger.error("Unexpected error in %s %s", request.method, request.path, exc_info=exc)
    got_request_exception.send(sender=None, request=request)
    return _error(request, 500, _("Something went wrong on our side; it has been logged."), "server_error")


api.add_router("/places", "civicgrid.places.api.router")
api.add_router("/cases", "civicgrid.cases.api.router")
api.add_router("/volunteers", "civicgrid.volunteers.api.router")
api.add_router("/points", "civicgrid.points.api.router")
api.add_router("/orgs", "civicgrid.orgs.api.router")
api.add_router("/governance", "civicgrid.governance.api.router")
