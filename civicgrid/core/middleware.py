"""Answers every request gets the same way, whichever view serves it.

- `RequestContextMiddleware`: the request's id and door, for the audit log.
- `ApplicationErrorMiddleware`: a refusal raised by a service or the permission module becomes a page.
- `ApiErrorMiddleware`: under /api/ every error is JSON in the API's shape, even one Django or the
  router gives (unknown address, wrong method, 500).
- `RequestGuardMiddleware`: refuses what no view can store or should read: a NUL in the address,
  and a body larger than the view takes (uploads are accepted only where settings say).
- `ContentSecurityPolicyMiddleware`: the Content-Security-Policy header.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied
from civicgrid.lib.text import shorten

# civicgrid/urls.py mounts the JSON API here.
API_PREFIX = "/api/"

# An error repeats at most this much of any text; the sources cut the input they quote much shorter.
MESSAGE_CHARS = 300
EXTRA_CHARS = 200


def _short(value: Any) -> Any:
    if isinstance(value, str):
        return shorten(value, EXTRA_CHARS)
    if isinstance(value, dict):
        return {shorten(key, EXTRA_CHARS): _short(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_short(item) for item in value]
    return value


def error_body(message: str, code: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the API's error shape, with every text cut so no error repeats a large input whole."""
    return {"message": shorten(message, MESSAGE_CHARS), "code": code, "extra": _short(extra or {})}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, message: str, code: str, extra: dict[str, Any] | None = None) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(message, code, extra), ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


# Doors with an error shape of their own, by path prefix (Open311's `errors` in XML or JSON): each
# registers its renderer when its app is ready (`register_refusal`).
_REFUSERS: dict[str, Callable[[HttpRequest, int, str, str], HttpResponse]] = {}


def register_refusal(
    prefix: str, render_refusal: Callable[[HttpRequest, int, str, str], HttpResponse]
) -> None:
    _REFUSERS[prefix] = render_refusal


def refusal(request: HttpRequest, status: int, message: str, code: str) -> HttpResponse:
    """Answer a refusal as the API's JSON under /api/, in a registered door's shape under its prefix,
    as the error page elsewhere."""
    if is_api(request):
        return api_error(status, message, code)
    for prefix, render_refusal in _REFUSERS.items():
        if request.path.startswith(prefix):
            return render_refusal(request, status, message, code)
    return render(request, "error.html", {"message": message}, status=status)


# URL namespaces whose views are a door of their own in the audit log; every other view is the web.
_SOURCE_BY_NAMESPACE = {"admin": audit.Source.ADMIN, "api": audit.Source.API}


class RequestContextMiddleware:
    """Give each request an id (a sane X-Request-ID from the proxy, or a new one) and note its door.

    `audit.record` reads them, with the client address, so services need not be handed the request.
    The id is sent back in X-Request-ID so a report of a problem can be matched with the log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        info = audit.RequestInfo(
            request_id=audit.new_request_id(request.headers.get("X-Request-ID")),
            client=request.META.get("REMOTE_ADDR", "") or "",
        )
        with audit.request_context(info):
            response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", info.request_id)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        info = audit.current_request()
        match = request.resolver_match
        if info is not None and match is not None and match.namespaces:
            info.source = _SOURCE_BY_NAMESPACE.get(match.namespaces[0], audit.Source.WEB)


class ApplicationErrorMiddleware:
    """Render 403/404/400-style pages for ApplicationError that a view did not handle itself.

    The API has its own handlers (civicgrid/api.py) and never reaches this.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, NotFound):
            return render(request, "404.html", {"exception": exception.message}, status=404)
        if isinstance(exception, ApplicationError):
            return render(request, "error.html", {"message": exception.message}, status=exception.status)
        return None


class ApiErrorMiddleware:
    """Turn any error answer under /api/ that is not JSON into the API's error shape.

    The API's own refusals are JSON already (civicgrid/api.py); this catches the rest: an unknown
    address (404), a method the address does not take (405), and errors raised outside the API's
    views. Placed outermost, so it sees what the other middleware answer too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        extra: dict[str, Any] = {}
        if status == 404:
            message, code = _("There is nothing at this address of the API."), "not_found"
        elif status == 405:
            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            message = _("This address does not take %(method)s; it takes %(allowed)s.") % {
                "method": shorten(request.method or "", 10),
                "allowed": ", ".join(allowed),
            }
            code, extra = "method_not_allowed", {"allowed": allowed}
        elif status == 413:
            message, code = _("The request is too large."), "too_large"
        elif status == 403:
            message, code = _("You may not do this."), "forbidden"
        elif status >= 500:
            message, code = _("Something went wrong on our side; it has been logged."), "server_error"
        else:
            message, code = _("The request could not be read."), "bad_request"
        converted = api_error(status, message, code, extra)
        # Keep what the layers below set (Allow, security headers, cookies); only the body changes.
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                converted[header] = value
        converted.cookies = response.cookies
        return converted


class RequestGuardMiddleware:
    """Refuse, before any view or form reads it, a request no view should take.

    1. A NUL character in the path or query string (PostgreSQL cannot store or compare it): 400.
    2. A body larger than the view takes: 413. Most views take `DATA_UPLOAD_MAX_MEMORY_SIZE`; the
       views that accept uploads, named in `REQUEST_MAX_BYTES_BY_VIEW`, take more.

    It must come before CsrfViewMiddleware, whose process_view reads form bodies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "") or _nul_in_query(request):
            return refusal(
                request, 400, _("The address contains a NUL character (%00); remove it."), "invalid_text"
            )
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        general = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        match = request.resolver_match
        limit = settings.REQUEST_MAX_BYTES_BY_VIEW.get(match.view_name if match else "", general)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, 400, _("The request could not be read."), "bad_request")
        if length > limit:
            return refusal(
                request,
                413,
                _("The request is too large: at most %(mb)s MB can be sent here.")
                % {"mb": f"{limit / 1024 / 1024:.1f}"},
                "too_large",
            )
        if general is not None and length > general and request.content_type != "multipart/form-data":
            # Django refuses a body above DATA_UPLOAD_MAX_MEMORY_SIZE when a view reads it; this
            # view takes more (a JSON report with base64 photos), so read it here, within its limit.
            # Multipart bodies need nothing: Django streams their files and limits only the fields.
            body = request.read(limit + 1)
            if len(body) > limit:
                return refusal(request, 413, _("The request is too large."), "too_large")
            request._body = body
            request._stream = io.BytesIO(body)
        return None


def _nul_in_query(request: HttpRequest) -> bool:
    # Percent-encoded (%00) the NUL only appears once the query string is decoded.
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists())


class ContentSecurityPolicyMiddleware:
    """Send `CONTENT_SECURITY_POLICY` (settings.py builds it) with every answer that has none."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = (
            "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and self.header not in response:
            response[self.header] = settings.CONTENT_SECURITY_POLICY
        return response
