"""Who may manage their own API tokens; on top of the scope resolver (`civicgrid.core.scopes`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.roles import STAFF_ROLES
from civicgrid.core.scopes import is_root, scopes


def can_create_token(user) -> bool:
    """Staff and integrations (signed in as staff) create API tokens for themselves."""
    return is_root(user) or any(s.role in STAFF_ROLES for s in scopes(user))


def check_create_token(user) -> None:
    if not can_create_token(user):
        raise PermissionDenied(_("You do not have permission to do this here."))
