"""The one error that services raise for anything a user can get wrong."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal a user should read: translated message, stable code, optional details.

    The API turns it into {"message", "code", "extra"} with `status`; pages show the message.
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        extra: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.extra = extra or {}
        if status is not None:
            self.status = status


def invalid(fields: dict[str, str], message: str | None = None, code: str = "invalid") -> ApplicationError:
    """The refusal of input with something wrong in named fields (`extra.fields`: field → message)."""
    from django.utils.translation import gettext as _

    return ApplicationError(
        message or _("Please correct the marked fields."), code=code, extra={"fields": fields}
    )


class PermissionDenied(ApplicationError):
    status = 403

    def __init__(self, message: str, *, code: str = "forbidden", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, extra=extra)


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str, *, code: str = "not_found", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, extra=extra)


class Conflict(ApplicationError):
    status = 409

    def __init__(self, message: str, *, code: str = "conflict", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, extra=extra)
