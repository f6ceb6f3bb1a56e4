"""Template helpers shared by every page: role and level labels, areas, navigation state, query strings."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from civicgrid.core.roles import Role
from civicgrid.site import navigation
from civicgrid.site.navigation import NavItem

register = template.Library()


@register.filter
def role_label(role: str) -> str:
    """Return the translated label of a role value (`core.roles.Role`)."""
    try:
        return str(Role(str(role)).label)
    except ValueError:
        return str(role)


@register.filter
def area(m2: float | None) -> str:
    """Format an area given in square metres: in m² below 0.1 km², in km² from there."""
    if m2 is None:
        return ""
    if m2 < 100_000:
        return _("%(value)s m²") % {"value": number_format(round(m2), use_l10n=True, force_grouping=True)}
    return _("%(value)s km²") % {"value": number_format(m2 / 1_000_000, 2, use_l10n=True)}


@register.filter
def is_masked(phone: str | None) -> bool:
    """Return True for a masked phone number (it cannot be dialled)."""
    return bool(phone) and "*" in phone


@register.simple_tag
def current_nav_key(items: Sequence[NavItem] | None, path: str) -> str:
    """Return the key of the navigation entry whose URL (or one of the pages it stands for, `also`) is
    the longest prefix of `path`."""
    best, best_len = "", -1
    for item in items or ():
        for url in (item.url, *item.also):
            matches = path == url or (url != "/" and path.startswith(url.rstrip("/") + "/"))
            if matches and len(url) > best_len:
                best, best_len = item.key, len(url)
    return best


@register.simple_tag
def query_with(request: HttpRequest, **changes: object) -> str:
    """Return the current query string with `changes` applied (a None value drops the key)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return params.urlencode()


@register.filter
def nav_group(items: Sequence[NavItem] | None, group: str) -> list[NavItem]:
    """Return the navigation entries of one group ("main", "more", "tools")."""
    return [item for item in items or () if item.group == group]


@register.filter
def me_links(items: Sequence[NavItem] | None, section: str) -> list[NavItem]:
    """Return the navigation entries the "me" page lists in `section` ("own" or "tools")."""
    return navigation.me_links(items, section)
