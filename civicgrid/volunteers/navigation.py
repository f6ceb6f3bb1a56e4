"""The navigation entries of the volunteers app for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own (group "main" or "more")."""

from __future__ import annotations


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    return []
