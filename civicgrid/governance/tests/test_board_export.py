"""The Excel export of a town's task board, read back with openpyxl: for the town's staff only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.core.models import AuditEntry
from civicgrid.governance.tests.board_setup import board_world, draft, matter_in

EXPORT = "/governance/board/export.xlsx"


@pytest.fixture
def bw(gw):
    return board_world(gw)


def _rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_town_operator_exports_the_towns_board_with_every_state_and_its_drafts(bw, client):
    for state in ("open", "claimed", "completed", "verified", "withdrawn"):
        matter_in(bw, state, title=f"事项-{state}")
    draft(bw, title="镇里的草稿")
    matter_in(bw, "open", title="乙街道的事", region=bw.village_b1, actor=bw.town_b_operator)
    client.force_login(bw.town_operator)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"task-board-{bw.town_a.code}-" in response["Content-Disposition"]
    rows = _rows(response)
    header, body = rows[0], rows[1:]
    assert header[:3] == ("Number on the board", "Title of the matter", "State of the matter")
    by_title = {row[1]: row for row in body}
    assert set(by_title) == {
        "事项-open",
        "事项-claimed",
        "事项-completed",
        "事项-verified",
        "事项-withdrawn",
        "镇里的草稿",
    }
    verified = dict(zip(header, by_title["事项-verified"], strict=True))
    assert verified["State of the matter"] == "Verified"
    assert verified["Claimant"] == "市水务局"
    assert verified["Kind of claimant"] == "Agency"
    assert verified["Budget (yuan)"] == 30000
    assert verified["Progress reports"] == 1
    assert verified["Place code"] == bw.grid_a1a.code
    assert verified["Village / community"] == "甲一村"
    assert verified["Verified at"] is not None
    assert dict(zip(header, by_title["镇里的草稿"], strict=True))["State of the matter"] == "Draft"
    entry = AuditEntry.objects.get(action="governance.board_export")
    assert entry.place_code == bw.town_a.code and entry.changes == {"rows": {"to": 6}}


def test_a_district_administrator_exports_a_town_they_choose(bw, client):
    matter_in(bw, "open")
    client.force_login(bw.city_admin)
    response = client.get(EXPORT, {"town": bw.town_a.code})
    assert response.status_code == 200
    assert len(_rows(response)) == 2
    assert client.get(EXPORT).status_code == 403


@pytest.mark.parametrize(
    "persona", ["outsider", "resident", "agency_staff", "village_cadre", "town_b_operator"]
)
def test_others_may_not_export_the_towns_board(bw, client, persona):
    matter_in(bw, "open")
    client.force_login(getattr(bw, persona))
    assert client.get(EXPORT, {"town": bw.town_a.code}).status_code == 403
    assert not AuditEntry.objects.filter(action="governance.board_export", place_code=bw.town_a.code).exists()


def test_the_export_needs_a_signed_in_person(bw, client):
    response = client.get(EXPORT, {"town": bw.town_a.code})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_board_offers_the_export_to_the_town_operator_only(bw, client):
    client.force_login(bw.town_operator)
    assert "data-board-export" in client.get(reverse("governance:board_list")).content.decode()
    client.force_login(bw.agency_staff)
    assert "data-board-export" not in client.get(reverse("governance:board_list")).content.decode()
