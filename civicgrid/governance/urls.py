"""Co-governance pages under /governance/: each part's module holds its own patterns."""

from __future__ import annotations

from civicgrid.governance import urls_board, urls_forum, urls_meetings, urls_pairings

app_name = "governance"
urlpatterns = [
    *urls_meetings.urlpatterns,
    *urls_forum.urlpatterns,
    *urls_board.urlpatterns,
    *urls_pairings.urlpatterns,
]
