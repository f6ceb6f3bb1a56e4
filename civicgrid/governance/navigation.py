"""The navigation entries of co-governance for a user: (label, url, key, group) tuples, which
`site.navigation` adds to its own. Filled in by the parts as they land."""

from __future__ import annotations


def nav_entries(user) -> list[tuple[str, str, str, str]]:
    return []
