"""Co-governance endpoints under /api/v1/governance: each part's router, mounted here."""

from __future__ import annotations

from ninja import Router

from civicgrid.governance import api_board, api_forum, api_meetings, api_pairings

router = Router(tags=["governance"])
router.add_router("/meetings", api_meetings.router)
router.add_router("/forum", api_forum.router)
router.add_router("/board", api_board.router)
router.add_router("/pairings", api_pairings.router)
