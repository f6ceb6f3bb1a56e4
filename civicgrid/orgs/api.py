"""/api/v1/orgs: the organisation network."""

from ninja import Router

router = Router(tags=["Organisation network"])
router.add_router("/coverage", "civicgrid.orgs.api_coverage.router", tags=["Organisation coverage"])
router.add_router(
    "/checklists", "civicgrid.orgs.api_checklists.router", tags=["Organisation set-up checklists"]
)
