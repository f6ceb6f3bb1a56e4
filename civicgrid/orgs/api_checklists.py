"""The checklists part of /api/v1/orgs (placeholder until it lands)."""

from ninja import Router

router = Router()
