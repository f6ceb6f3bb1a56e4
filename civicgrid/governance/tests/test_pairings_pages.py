"""The pages of pairings, people sent down, the figures and the hub: who gets in, what they see, the
forms, and the query counts of the lists."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.core.models import AuditEntry
from civicgrid.governance import presenters_pairings, services_pairings
from civicgrid.governance.models import Envoy, EnvoyActivity, Pairing, SupportRecord
from civicgrid.governance.tests.helpers_pairings import pair, pw_fixture  # noqa: F401

DAY = date(2026, 3, 10)


@pytest.fixture
def paired(pw):
    pw.water = pair(pw)
    pw.power_pairing = pair(pw, agency=pw.power, village=pw.village_a2)
    services_pairings.support_record(
        actor=pw.town_operator, pairing=pw.water, kind="funds", on=DAY, amount="50000", note="路灯改造资金"
    )
    pw.envoy = services_pairings.envoy_create(
        actor=pw.town_operator,
        grid=pw.grid_a1a,
        kind="deputy",
        name="韩代表",
        role="联络员",
        phone="13912345678",
        user=pw.party_member,
        starts_on=date(2026, 1, 1),
    )
    return pw


def url(name: str, *args) -> str:
    return reverse(f"governance:{name}", args=args)


# --- The hub ----------------------------------------------------------------------------------------


def test_the_hub_is_open_to_everyone(pw, client, login):
    page = client.get("/governance/")
    assert page.status_code == 200 and b"Sign in to see your village" in page.content
    body = login(pw.town_operator).get("/governance/").content.decode()
    assert url("pairings_index") in body and url("pairings_figures") in body


def test_a_resident_sees_no_pairings_link_on_the_hub(pw, login):
    body = login(pw.resident).get("/governance/").content.decode()
    assert url("pairings_index") not in body and url("pairings_figures") not in body


# --- Who gets in --------------------------------------------------------------------------------


def test_the_pairings_open_where_the_viewer_stands(paired, login):
    assert login(paired.town_operator).get(url("pairings_index"))["Location"] == url(
        "pairings_place", paired.town_a.code
    )
    assert login(paired.village_cadre).get(url("pairings_index"))["Location"] == url(
        "pairings_place", paired.village_a1.code
    )
    assert login(paired.grid_worker).get(url("pairings_index"))["Location"] == url(
        "pairings_place", paired.grid_a1a.code
    )
    assert login(paired.agency_staff).get(url("pairings_index"))["Location"] == url(
        "pairings_partner", paired.agency.pk
    )


def test_a_resident_sees_no_pairings_admin_page(paired, login):
    client = login(paired.resident)
    assert client.get(url("pairings_index")).status_code == 403
    assert client.get(url("pairings_place", paired.village_a1.code)).status_code == 404
    assert client.get(url("pairings_detail", paired.water.pk)).status_code == 404
    assert client.get(url("pairings_new", paired.village_a1.code)).status_code == 404
    assert client.get(url("pairings_envoy", paired.envoy.pk)).status_code == 404
    assert client.get(url("pairings_figures")).status_code == 403


def test_the_outsider_is_refused_everything_of_town_a(paired, login):
    client = login(paired.outsider)
    for page in (
        url("pairings_place", paired.town_a.code),
        url("pairings_place", paired.village_a1.code),
        url("pairings_place", paired.grid_a1a.code),
        url("pairings_detail", paired.water.pk),
        url("pairings_support_new", paired.water.pk),
        url("pairings_end", paired.water.pk),
        url("pairings_envoy", paired.envoy.pk),
        url("pairings_activity_new", paired.envoy.pk),
        url("pairings_envoy_new", paired.grid_a1a.code),
        url("pairings_partner", paired.agency.pk),
    ):
        assert client.get(page).status_code == 404, page
    assert client.post(url("pairings_support_new", paired.water.pk), {"kind": "visit"}).status_code == 404
    # Their own town's figures, never town A's, whatever they ask for.
    body = client.get(url("pairings_figures"), {"town": paired.town_a.code}).content.decode()
    assert "Street B" in body and "Town A" not in body


def test_the_public_is_sent_to_sign_in(paired, client):
    for page in (url("pairings_index"), url("pairings_detail", paired.water.pk), url("pairings_figures")):
        assert client.get(page).status_code == 302


def test_agency_staff_see_their_own_pairing_only(paired, login):
    client = login(paired.agency_staff)
    assert client.get(url("pairings_detail", paired.water.pk)).status_code == 200
    assert client.get(url("pairings_detail", paired.power_pairing.pk)).status_code == 404
    assert client.get(url("pairings_partner", paired.power.pk)).status_code == 404
    assert client.get(url("pairings_place", paired.village_a1.code)).status_code == 404
    body = client.get(url("pairings_partner", paired.agency.pk)).content.decode()
    assert "Village A1" in body and "Village A2" not in body


# --- What they see ------------------------------------------------------------------------------


def test_the_town_page_lists_its_villages_and_pairings(paired, login):
    body = login(paired.town_operator).get(url("pairings_place", paired.town_a.code)).content.decode()
    assert "Village A1" in body and "Village A2" in body
    assert "市水务局" in body and "供电公司" in body and "50,000" in body
    assert url("pairings_new", paired.town_a.code) in body


def test_the_village_page_lists_pairings_and_envoys_with_phones_for_staff(paired, login):
    body = login(paired.village_cadre).get(url("pairings_place", paired.village_a1.code)).content.decode()
    assert "市水务局" in body and "供电公司" not in body
    assert "韩代表" in body and "13912345678" in body
    # A cadre reads; the town records.
    assert url("pairings_new", paired.village_a1.code) not in body


def test_the_grid_page_panel_masks_the_phone_for_a_resident(paired, login):
    panel = presenters_pairings.grid_envoys_panel(paired.resident, paired.grid_a1a)
    html = render_to_string("governance/pairings/_grid_envoys.html", {"panel": panel})
    assert "韩代表" in html and "139****5678" in html and "13912345678" not in html
    assert url("pairings_envoy", paired.envoy.pk) not in html
    assert render_to_string("governance/pairings/_grid_envoys.html", {"panel": None}).strip() == ""


def test_the_pairing_page_shows_its_support_over_time(paired, login):
    body = login(paired.town_operator).get(url("pairings_detail", paired.water.pk)).content.decode()
    assert "路灯改造资金" in body and "¥50,000.00" in body and "gp-pairing-data" in body
    assert (
        url("pairings_support_new", paired.water.pk) in body and url("pairings_end", paired.water.pk) in body
    )


def test_the_envoy_page_shows_activity_and_cases(paired, login):
    services_pairings.envoy_activity_record(
        actor=paired.party_member, envoy=paired.envoy, kind="visit", on=date(2026, 3, 1), note="走访五保户"
    )
    client = login(paired.party_member)
    body = client.get(url("pairings_envoy", paired.envoy.pk)).content.decode()
    assert "走访五保户" in body and "Cases they handled" in body
    assert url("pairings_activity_new", paired.envoy.pk) in body
    assert url("pairings_envoy_end", paired.envoy.pk) not in body


# --- Forms ----------------------------------------------------------------------------------------


def test_a_town_operator_records_a_pairing_through_the_form(pw, login):
    client = login(pw.town_operator)
    form = client.get(url("pairings_new", pw.town_a.code))
    assert form.status_code == 200 and "Village A2" in form.content.decode()
    answer = client.post(
        url("pairings_new", pw.town_a.code),
        {
            "kind": "finance",
            "village": pw.village_a2.code,
            "partner_name": "农商银行",
            "starts_on": "2026-01-01",
        },
    )
    pairing = Pairing.objects.get()
    assert answer.status_code == 302 and answer["Location"] == url("pairings_detail", pairing.pk)
    wrong = client.post(
        url("pairings_new", pw.town_a.code),
        {"kind": "agency", "village": pw.village_a1.code, "starts_on": "2026-01-01"},
    )
    assert wrong.status_code == 200 and "Choose the agency paired with the village." in wrong.content.decode()
    assert Pairing.objects.count() == 1


def test_a_village_cadre_may_not_open_the_pairing_form(pw, login):
    assert login(pw.village_cadre).get(url("pairings_new", pw.village_a1.code)).status_code == 403


def test_agency_staff_record_a_visit_through_the_form(paired, login):
    client = login(paired.agency_staff)
    answer = client.post(
        url("pairings_support_new", paired.water.pk),
        {"kind": "visit", "on": "2026-03-12", "note": "入户走访"},
    )
    assert answer.status_code == 302
    assert SupportRecord.objects.filter(kind="visit", recorded_by=paired.agency_staff).count() == 1
    refused = client.post(url("pairings_support_new", paired.water.pk), {"kind": "funds", "on": "2026-03-12"})
    assert "Enter the amount in yuan." in refused.content.decode()


def test_an_envoy_and_their_activity_through_the_forms(pw, login):
    client = login(pw.town_operator)
    answer = client.post(
        url("pairings_envoy_new", pw.village_a1.code),
        {
            "kind": "financial_cadre",
            "grid": pw.grid_a1b.code,
            "name": "钱金融",
            "organisation": "农商银行",
            "phone": "13700001111",
            "username": "nobody",
            "starts_on": "2026-02-01",
        },
    )
    assert "No account has this user name." in answer.content.decode() and not Envoy.objects.exists()
    answer = client.post(
        url("pairings_envoy_new", pw.village_a1.code),
        {
            "kind": "financial_cadre",
            "grid": pw.grid_a1b.code,
            "name": "钱金融",
            "phone": "13700001111",
            "starts_on": "2026-02-01",
        },
    )
    envoy = Envoy.objects.get()
    assert answer["Location"] == url("pairings_envoy", envoy.pk) and envoy.grid == pw.grid_a1b
    answer = login(pw.grid_worker).post(
        url("pairings_activity_new", envoy.pk), {"kind": "visit", "on": "2026-02-03", "note": "x"}
    )
    assert answer.status_code == 404  # grid A1a's worker: not their grid
    client = login(pw.town_operator)
    answer = client.post(url("pairings_activity_new", envoy.pk), {"kind": "case", "on": "2026-02-03"})
    assert "Enter the tracking number of the case." in answer.content.decode()
    answer = client.post(
        url("pairings_activity_new", envoy.pk), {"kind": "case", "on": "2026-02-03", "case_number": "X1"}
    )
    assert "No case of this grid has that tracking number." in answer.content.decode()
    assert not EnvoyActivity.objects.exists()


def test_ending_a_pairing_through_the_form(paired, login):
    answer = login(paired.town_operator).post(url("pairings_end", paired.water.pk), {"ends_on": "2026-04-01"})
    assert answer.status_code == 302
    assert Pairing.objects.get(pk=paired.water.pk).ends_on == date(2026, 4, 1)
    assert login(paired.agency_staff).get(url("pairings_end", paired.water.pk)).status_code == 403


# --- Figures ----------------------------------------------------------------------------------------


def test_the_figures_page_and_its_workbook(paired, login):
    client = login(paired.town_operator)
    page = client.get(url("pairings_figures"), {"period": "month", "month": "2026-03"})
    body = page.content.decode()
    assert page.status_code == 200 and "市水务局" in body and "50,000" in body and "gp-figures-data" in body
    bad = client.get(url("pairings_figures"), {"period": "quarter", "quarter": "2026-Q9"})
    assert bad.status_code == 200 and "Enter a quarter such as 2026-Q2." in bad.content.decode()
    answer = client.get(url("pairings_figures_export"), {"period": "month", "month": "2026-03"})
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    villages, pairings = book.worksheets
    assert [c.value for c in villages[2]][:2] == ["Village A1", 0]
    assert [c.value for c in pairings[2]][1:5] == ["市水务局", "Agency paired with a village", 0, 50000]
    assert AuditEntry.objects.filter(
        action="governance.figures_export", place_code=paired.town_a.code
    ).exists()


def test_the_figures_page_speaks_chinese_by_default(paired):
    client = Client()
    client.force_login(paired.town_operator)
    assert "甲镇" in client.get(url("pairings_figures")).content.decode()


# --- Query counts -----------------------------------------------------------------------------------


def test_the_lists_cost_the_same_however_long(paired, login):
    client = login(paired.town_operator)

    def count(page: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return len(queries.captured_queries)

    pages = [
        url("pairings_place", paired.town_a.code),
        url("pairings_place", paired.village_a1.code),
        url("pairings_place", paired.grid_a1a.code),
        url("pairings_detail", paired.water.pk),
        url("pairings_envoy", paired.envoy.pk),
        url("pairings_figures"),
    ]
    before = [count(p) for p in pages]
    for n in range(6):
        agency = paired.power if n == 0 else None
        pairing = pair(
            paired, kind="finance", partner_name=f"银行{n}", agency=agency, village=paired.village_a1
        )
        services_pairings.support_record(actor=paired.town_operator, pairing=pairing, kind="visit", on=DAY)
        services_pairings.support_record(
            actor=paired.town_operator, pairing=paired.water, kind="visit", on=DAY
        )
        envoy = services_pairings.envoy_create(
            actor=paired.town_operator,
            grid=paired.grid_a1a,
            kind="party_member",
            name=f"党员{n}",
            starts_on=DAY,
        )
        services_pairings.envoy_activity_record(
            actor=paired.town_operator, envoy=paired.envoy, kind="visit", on=DAY, note="走访"
        )
        services_pairings.envoy_activity_record(
            actor=paired.town_operator, envoy=envoy, kind="meeting", on=DAY
        )
    assert [count(p) for p in pages] == before
    # Pinned: the session, the user and their scopes, each page's own reads (the town page: its place,
    # the trail above, its villages, two GROUP BYs of pairings and envoys, a page of pairings and their
    # support totals), and three the layout makes for every page (the tab bar's badges, the volunteer).
    assert before == [13, 11, 11, 11, 9, 13]
