"""The pairings API: the same services, selectors and rules as the pages."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.governance import services_pairings
from civicgrid.governance.models import EnvoyActivity, Pairing, SupportRecord
from civicgrid.governance.tests.helpers_pairings import pair, pw_fixture  # noqa: F401

API = "/api/v1/governance/pairings"


def post(client, path: str, data: dict):
    return client.post(API + path, data, content_type="application/json")


@pytest.fixture
def paired(pw):
    pw.water = pair(pw)
    services_pairings.support_record(
        actor=pw.town_operator, pairing=pw.water, kind="loan", on=date(2026, 3, 2), amount="300000"
    )
    pw.envoy = services_pairings.envoy_create(
        actor=pw.town_operator,
        grid=pw.grid_a1a,
        kind="financial_cadre",
        name="钱金融",
        phone="13700001111",
        user=pw.party_member,
        starts_on=date(2026, 1, 1),
    )
    return pw


def test_a_town_operator_pairs_and_records_support(pw, login):
    client = login(pw.town_operator)
    made = post(
        client,
        "/",
        {
            "kind": "finance",
            "village_code": pw.village_a2.code,
            "partner_name": "农商银行",
            "starts_on": "2026-01-01",
        },
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["partner"] == "农商银行" and body["can_record"] and body["totals"]["visits"] == 0
    given = post(client, f"/{body['id']}/support", {"kind": "funds", "on": "2026-02-01", "amount": "1200.5"})
    assert given.status_code == 201 and given.json()["amount"] == "1200.50"
    detail = client.get(f"{API}/{body['id']}").json()
    assert detail["totals"]["funds"] == "1200.50" and len(detail["months"]) == 12
    listed = client.get(API + "/", {"place": pw.town_a.code}).json()
    assert [p["partner"] for p in listed["items"]] == ["农商银行"]
    refused = post(client, f"/{body['id']}/support", {"kind": "loan", "on": "2026-02-01"})
    assert refused.status_code == 400 and "amount" in refused.json()["extra"]["fields"]
    ended = post(client, f"/{body['id']}/end", {"ends_on": "2026-02-28"})
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-02-28"
    assert post(client, f"/{body['id']}/end", {"ends_on": "2026-02-28"}).status_code == 409


def test_the_outsider_is_refused(paired, login):
    client = login(paired.outsider)
    assert client.get(API + "/", {"place": paired.town_a.code}).status_code == 404
    assert client.get(f"{API}/{paired.water.pk}").status_code == 404
    assert client.get(f"{API}/{paired.water.pk}/support").status_code == 404
    assert (
        post(client, f"/{paired.water.pk}/support", {"kind": "visit", "on": "2026-03-01"}).status_code == 404
    )
    assert client.get(f"{API}/envoys/{paired.envoy.pk}").status_code == 404
    assert client.get(API + "/envoys", {"place": paired.grid_a1a.code}).status_code == 404
    assert client.get(API + "/figures", {"town": paired.town_a.code}).status_code == 404
    made = post(
        client,
        "/",
        {
            "kind": "agency",
            "village_code": paired.village_a1.code,
            "agency_id": paired.agency.pk,
            "starts_on": "2026-01-01",
        },
    )
    assert made.status_code == 404
    assert SupportRecord.objects.count() == 1 and Pairing.objects.count() == 1


def test_the_public_must_sign_in(paired, client):
    assert client.get(API + "/", {"place": paired.town_a.code}).status_code == 401
    assert client.get(API + "/figures", {"town": paired.town_a.code}).status_code == 401


def test_agency_staff_record_only_their_pairings_support(paired, login):
    power = pair(paired, agency=paired.power, village=paired.village_a2)
    client = login(paired.agency_staff)
    assert (
        post(client, f"/{paired.water.pk}/support", {"kind": "visit", "on": "2026-03-05"}).status_code == 201
    )
    assert post(client, f"/{power.pk}/support", {"kind": "visit", "on": "2026-03-05"}).status_code == 404
    mine = client.get(f"{API}/partner/{paired.agency.pk}").json()
    assert [p["village_code"] for p in mine] == [paired.village_a1.code]
    assert client.get(f"{API}/partner/{paired.power.pk}").status_code == 404
    assert client.get(API + "/", {"place": paired.village_a1.code}).status_code == 404


def test_envoys_their_activity_and_masked_phones(paired, login):
    # A resident of the grid's village sees who serves it, phone masked; not their work.
    (seen,) = login(paired.resident).get(API + "/envoys", {"place": paired.grid_a1a.code}).json()["items"]
    assert seen["phone"] == "137****1111" and seen["phone_is_masked"] and seen["activity_count"] is None
    assert login(paired.resident).get(f"{API}/envoys/{paired.envoy.pk}").status_code == 404
    # The envoy themself records their activity and reads their page.
    client = login(paired.party_member)
    done = post(
        client, f"/envoys/{paired.envoy.pk}/activities", {"kind": "visit", "on": "2026-03-03", "note": "走访"}
    )
    assert done.status_code == 201 and done.json()["recorded_by"] == "党员老韩"
    detail = client.get(f"{API}/envoys/{paired.envoy.pk}").json()
    assert detail["cases"] == [] and detail["can_record"]
    page = client.get(f"{API}/envoys/{paired.envoy.pk}/activities").json()
    assert [a["note"] for a in page["items"]] == ["走访"]
    staff = login(paired.grid_worker).get(API + "/envoys", {"place": paired.grid_a1a.code}).json()["items"][0]
    assert staff["phone"] == "13700001111" and staff["activity_count"] == 1
    village = login(paired.town_operator).get(API + "/envoys", {"place": paired.village_a1.code}).json()
    assert [e["name"] for e in village["items"]] == ["钱金融"]
    bad = post(
        login(paired.town_operator),
        f"/envoys/{paired.envoy.pk}/activities",
        {"kind": "case", "on": "2026-03-03", "case_number": "NOPE"},
    )
    assert bad.status_code == 400 and "case_number" in bad.json()["extra"]["fields"]
    assert EnvoyActivity.objects.count() == 1


def test_sending_a_person_down_and_ending_the_term(pw, login):
    client = login(pw.town_operator)
    made = post(
        client,
        "/envoys",
        {
            "grid_code": pw.grid_a1b.code,
            "kind": "deputy",
            "name": "人大代表老周",
            "starts_on": "2026-01-01",
            "username": "ghost",
        },
    )
    assert made.status_code == 400 and "username" in made.json()["extra"]["fields"]
    made = post(
        client,
        "/envoys",
        {"grid_code": pw.grid_a1b.code, "kind": "deputy", "name": "人大代表老周", "starts_on": "2026-01-01"},
    )
    assert made.status_code == 201 and made.json()["grid_code"] == pw.grid_a1b.code
    ended = post(client, f"/envoys/{made.json()['id']}/end", {"ends_on": "2026-06-30"})
    assert ended.status_code == 200 and ended.json()["is_current"] is False


def test_the_figures(paired, login):
    client = login(paired.village_cadre)
    body = client.get(
        API + "/figures", {"town": paired.town_a.code, "period": "quarter", "quarter": "2026-Q1"}
    ).json()
    assert body["period_key"] == "2026-Q1" and body["start"] == "2026-01-01" and body["end"] == "2026-03-31"
    assert [v["place_code"] for v in body["villages"]] == [paired.village_a1.code, paired.village_a2.code]
    assert body["pairings"][0]["totals"]["loans"] == "300000.00" and body["support"]["loans"] == "300000.00"
    bad = client.get(API + "/figures", {"town": paired.town_a.code, "period": "month", "month": "13"})
    assert bad.status_code == 400 and "month" in bad.json()["extra"]["fields"]
    assert login(paired.resident).get(API + "/figures", {"town": paired.town_a.code}).status_code == 404
