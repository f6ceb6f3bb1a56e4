"""The pairings endpoints of co-governance (mounted by governance/api.py under /api/v1/governance)."""

from __future__ import annotations

from ninja import Router

router = Router()
