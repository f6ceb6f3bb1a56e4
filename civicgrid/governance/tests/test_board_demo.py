"""The demo's task board on a small stand-in for the demo county: every state, photos, each persona
with something to do, a second load that changes nothing, and a clean delete."""

from __future__ import annotations

import io
import os

import pytest
from django.utils import timezone

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.governance import access, demo_board
from civicgrid.governance.models import Matter, MatterPhoto
from civicgrid.places.services import place_create
from conftest import PASSWORD

AGENCIES = ("qinhu-housing", "qinhu-urban-management", "qinhu-water", "qinhu-market", "qinhu-gas",
            "qinhu-power", "qinhu-water-supply")  # fmt: skip


@pytest.fixture
def county(db, settings, tmp_path):
    """The demo county's codes and logins, a few villages and grids each (no boundaries)."""
    settings.MEDIA_ROOT = tmp_path
    city = place_create(code="329800", name="澄州市", level="city")
    district = place_create(code="329881", name="琴湖市", level="district", kind="county_city", parent=city)
    towns = {}
    for suffix, name in (("001", "澄湖街道"), ("002", "星浦街道"), ("100", "荷塘镇"), ("101", "柳泾镇")):
        town = place_create(code=f"329881{suffix}", name=name, level="town", parent=district)
        towns[suffix] = town
        for v in range(1, 6):
            village = place_create(
                code=f"{town.code}{v:03d}", name=f"{name}{v}村", level="village", parent=town
            )
            for g in range(1, 4):
                place_create(
                    code=f"{village.code}{g:03d}", name=f"{village.name}{g}网格", level="grid", parent=village
                )
    agencies = {code: agency_create(code=code, name=code, region=district) for code in AGENCIES}
    people = {
        "admin": user_create(username="admin", password=PASSWORD, display_name="管理员", is_superuser=True),
        "town": user_create(username="town", password=PASSWORD, display_name="镇操作员"),
        "village": user_create(username="village", password=PASSWORD, display_name="村干部"),
        "agency": user_create(username="agency", password=PASSWORD, display_name="城管"),
    }
    role_assign(user=people["town"], role="town_operator", place=towns["001"])
    role_assign(
        user=people["village"], role="village_cadre", place=towns["001"].children.get(code="329881001001")
    )
    role_assign(user=people["agency"], role="agency_staff", agency=agencies["qinhu-urban-management"])
    return people


def test_the_demo_board_has_matters_in_every_state_with_photos(county):
    out = io.StringIO()
    demo_board.load(out)
    assert "16 matters" in out.getvalue()
    states = set(Matter.objects.values_list("state", flat=True))
    assert states == {"draft", "open", "claimed", "completed", "verified", "withdrawn"}
    assert MatterPhoto.objects.count() >= 10
    assert Matter.objects.filter(state="claimed", updates__photos__isnull=False).exists()
    assert Matter.objects.filter(claimant_agency__code="qinhu-power").exists()
    assert Matter.objects.filter(claimant_kind="organisation").exists()
    # Timestamps read as they happened: published before claimed before completed.
    for m in Matter.objects.filter(state="verified"):
        assert m.published_at < m.claimed_at < m.completed_at <= m.verified_at
    # The personas have something to act on.
    village = Matter.objects.get(title="小区雨水管网疏通")
    assert village.state == "completed" and access.can_verify_matter(county["village"], village)
    assert Matter.objects.filter(state="claimed", claimed_by=county["agency"]).exists()
    assert Matter.objects.filter(state="draft", created_by=county["town"]).exists()
    assert Matter.objects.filter(state="open", deadline__lt=timezone.localdate()).exists()

    again = io.StringIO()
    demo_board.load(again)
    assert "already loaded" in again.getvalue() and Matter.objects.count() == 16

    files = [p.image.path for p in MatterPhoto.objects.all()]
    assert demo_board.delete() == 16
    assert not Matter.objects.exists() and not MatterPhoto.objects.exists()
    assert not any(os.path.exists(f) for f in files)


def test_the_demo_board_waits_for_the_demo_county(db):
    out = io.StringIO()
    demo_board.load(out)
    assert "not loaded" in out.getvalue() and not Matter.objects.exists()
