"""The pairings pages of co-governance (included by governance/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
