"""How the API knows who calls it: bearer tokens for staff and integrations, the pages' session (with
its CSRF check), or nobody; and how an operation documents its refusals.

Used by every app's router. API tokens are the accounts app's: it registers the function that checks
one (`set_token_authenticator`, in its `AppConfig.ready`), so this layer imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.schemas import ErrorOut

# Returns the active user a bearer token belongs to, or None; registered by the accounts app.
_token_authenticator: Callable[[str], Any] | None = None


def set_token_authenticator(authenticator: Callable[[str], Any]) -> None:
    global _token_authenticator
    _token_authenticator = authenticator


def api_token_authenticate(token: str):
    if _token_authenticator is None:
        raise RuntimeError("No token authenticator registered: is civicgrid.accounts in INSTALLED_APPS?")
    return _token_authenticator(token)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def refuse_cross_site(request: HttpRequest) -> None:
    """Refuse an unsafe request riding on a session cookie without the CSRF token (403 `csrf`).

    A form body is read here (Django looks for the token in it), so an unreadable one is refused too.
    """
    if request.method in SAFE_METHODS:
        return
    try:
        refused = check_csrf(request) is not None
    except RequestDataTooBig:
        raise ApplicationError(_("The request is too large."), code="too_large", status=413)
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise unreadable_form(exc)
    if refused:
        raise PermissionDenied(_("The CSRF check failed: reload the page and try again."), code="csrf")


def unreadable_form(exc: Exception) -> ApplicationError:
    return ApplicationError(
        _("The form could not be read. Send multipart/form-data with its boundary, or JSON."),
        code="invalid_form",
    )


def _session_user(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class TokenAuth(HttpBearer):
    """Bearer tokens (`Authorization: Bearer cg_…`) for staff and integrations."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The signed-in session of the pages; unsafe methods must send the CSRF token (`X-CSRFToken`).

    Without a session user the request is not authenticated (401); ninja's own `django_auth` checks
    CSRF first and answers an anonymous POST with 403.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None):
        user = _session_user(request)
        if user is None:
            return None
        refuse_cross_site(request)
        return user


class OptionalAuth:
    """Let anyone through, but sign in a token or session user when one is presented."""

    def __call__(self, request: HttpRequest):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            user = api_token_authenticate(header[7:].strip())
            if user is None:
                return None
            request.user = user
            return user
        user = _session_user(request)
        if user is None:
            return True
        refuse_cross_site(request)
        return user


signed_in = [TokenAuth(), SessionAuth()]
anyone = [OptionalAuth()]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Return the `response=` entries documenting these refusals of an operation in the OpenAPI."""
    return dict.fromkeys(statuses, ErrorOut)
