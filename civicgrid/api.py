"""The JSON API at /api/v1 (django-ninja, OpenAPI at /api/v1/docs)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from civicgrid.accounts.services import api_token_authenticate
from civicgrid.core.errors import ApplicationError


class TokenAuth(HttpBearer):
    """Bearer tokens (`Authorization: Bearer cg_…`) for staff and integrations."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
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
        return request.user if request.user.is_authenticated else True


signed_in = [TokenAuth(), django_auth]
anyone = [OptionalAuth()]

api = NinjaAPI(
    title="CivicGrid API",
    version="1",
    description="Places, grids and routing; cases, volunteers and organisations follow.",
    urls_namespace="api",
)


def _error(request, status: int, message: str, code: str, extra: dict | None = None):
    return api.create_response(
        request, {"message": message, "code": code, "extra": extra or {}}, status=status
    )


@api.exception_handler(ApplicationError)
def on_application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.message, exc.code, exc.extra)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("query", "body", "path", "form")]
        fields[".".join(loc) or "request"] = err.get("msg", "")
    return _error(request, 400, _("Some fields are missing or invalid."), "invalid", {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, _("Sign in or send a valid API token."), "unauthenticated")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc), "error")


api.add_router("/places", "civicgrid.places.api.router")
api.add_router("/cases", "civicgrid.cases.api.router")
