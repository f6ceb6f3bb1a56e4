"""Turn a refusal raised by a service or the permission module into a page, never a 500."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core.errors import ApplicationError, NotFound, PermissionDenied


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
