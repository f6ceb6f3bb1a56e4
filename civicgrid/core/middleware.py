"""Request-wide middleware: the request's id and door for the audit log; refusals become pages, never a 500."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied

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
