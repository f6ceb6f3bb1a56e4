"""Checklist and structure-target pages (placeholder until they land)."""

urlpatterns: list = []
