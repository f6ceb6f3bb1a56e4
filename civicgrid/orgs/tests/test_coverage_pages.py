"""Coverage pages and API: what each user sees and may do; another district's cadre refused."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from django.urls import reverse

from civicgrid.orgs.models import CoverageLink, Target
from civicgrid.orgs.tests.test_coverage import make_example
from civicgrid.orgs.tests.test_coverage_import import GOOD, workbook

API = "/api/v1/orgs/coverage"


def test_the_dashboard_shows_the_rates_and_drills_down(net, login):
    make_example(net)
    client = login(net.cadre)
    page = client.get(reverse("orgs:coverage"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "25.0%" in body and "Town A" in body and "Street B" in body
    town = client.get(reverse("orgs:coverage"), {"place": "329981001"}, headers={"HX-Request": "true"})
    assert town.status_code == 200 and "Village A1" in town.content.decode()
    assert "<html" not in town.content.decode()


def test_another_districts_cadre_is_refused_on_pages(net, login):
    ex = make_example(net)
    client = login(net.other_cadre)
    assert client.get(reverse("orgs:coverage"), {"place": "329981"}).status_code == 403
    assert client.get(reverse("orgs:coverage_target", args=[ex.uncovered.pk])).status_code == 404
    assert client.get(reverse("orgs:coverage_targets"), {"region": "329981"}).status_code == 403
    link = CoverageLink.objects.filter(target=ex.covered_twice).first()
    assert (
        client.post(reverse("orgs:coverage_link_end", args=[link.pk]), {"valid_to": "2026-12-31"}).status_code
        == 404
    )
    assert CoverageLink.objects.get(pk=link.pk).valid_to is None
    own = client.get(reverse("orgs:coverage_targets")).content.decode()
    assert "另区协会" in own and "未覆盖协会" not in own


def test_a_viewer_sees_but_cannot_add(net, login):
    ex = make_example(net)
    client = login(net.world.town_operator)
    assert client.get(reverse("orgs:coverage")).status_code == 200
    page = client.get(reverse("orgs:coverage_target", args=[ex.covered_twice.pk]))
    assert page.status_code == 200 and "Add a coverage link" not in page.content.decode()
    assert client.get(reverse("orgs:coverage_target_new")).status_code == 403
    assert client.get(reverse("orgs:coverage_import")).status_code == 403
    posted = client.post(
        reverse("orgs:coverage_target", args=[ex.covered_twice.pk]),
        {"organisation": net.town_a_fed.pk, "mode": "own", "kind": "work", "valid_from": "2026-01-01"},
    )
    assert posted.status_code in (400, 403)
    assert not CoverageLink.objects.filter(target=ex.covered_twice, kind="work").exists()
    # Another town's target is not theirs to see.
    assert client.get(reverse("orgs:coverage_target", args=[ex.link_ended.pk])).status_code == 404


def test_a_cadre_adds_a_target_links_it_and_ends_the_link(net, login):
    client = login(net.cadre)
    made = client.post(
        reverse("orgs:coverage_target_new"),
        {"name": "新协会", "category": "social_org", "region": "329981002", "active_from": "2026-01-01"},
    )
    assert made.status_code == 302
    target = Target.objects.get(name="新协会")
    page = client.get(made["Location"])
    assert "Add a coverage link" in page.content.decode()
    linked = client.post(
        made["Location"],
        {
            "organisation": net.town_b_fed.pk,
            "mode": "area",
            "kind": "org",
            "valid_from": "2026-01-01",
            "evidence": "协议",
        },
    )
    assert linked.status_code == 302, linked.context["link_form"].errors
    target.refresh_from_db()
    assert target.covered_org
    link = CoverageLink.objects.get(target=target)
    ended = client.post(reverse("orgs:coverage_link_end", args=[link.pk]), {"valid_to": "2025-12-31"})
    assert ended.status_code == 400 and "Coverage cannot end" in ended.content.decode()
    ended = client.post(
        reverse("orgs:coverage_link_end", args=[link.pk]), {"valid_to": date.today().isoformat()}
    )
    assert ended.status_code == 302
    target.refresh_from_db()
    assert not target.covered_org


def test_the_target_list_filters_and_pages(net, login, django_assert_max_num_queries):
    make_example(net)
    client = login(net.cadre)
    page = client.get(reverse("orgs:coverage_targets"), {"kind": "org", "covered": "no"})
    body = page.content.decode()
    assert "未覆盖协会" in body and "双覆盖协会" not in body and "已注销协会" not in body
    closed = client.get(reverse("orgs:coverage_targets"), {"closed": "on", "q": "注销"}).content.decode()
    assert "已注销协会" in closed
    from civicgrid.orgs import coverage

    first = coverage.target_page(net.cadre, coverage.TargetFilter(), size=2)
    second = coverage.target_page(net.cadre, coverage.TargetFilter(), cursor=first.next_cursor, size=2)
    assert len(first.items) == 2 and {t.pk for t in first.items}.isdisjoint({t.pk for t in second.items})


def test_the_import_page_checks_then_imports(net, login):
    client = login(net.cadre)
    raw = workbook(GOOD)
    checked = client.post(reverse("orgs:coverage_import"), {"file": io.BytesIO(raw) and _upload(raw)})
    assert checked.status_code == 200 and "Would be added" in checked.content.decode()
    assert Target.objects.count() == 0
    done = client.post(reverse("orgs:coverage_import"), {"step": "commit"})
    assert done.status_code == 200 and Target.objects.count() == 2


def _upload(raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("targets.xlsx", raw)


def test_the_exports(net, login):
    make_example(net)
    client = login(net.cadre)
    table = client.get(reverse("orgs:coverage_export"), {"place": "329981"})
    assert table.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(table.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:6] == ("329981", "Haitang", "Social organisation", "Organisation coverage", 4, 1)
    listing = client.get(reverse("orgs:coverage_targets_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(listing.streaming_content))).active
    assert sheet.max_row == 1 + 4


def test_the_api(net, login):
    ex = make_example(net)
    client = login(net.cadre)
    rates = client.get(f"{API}/rates", {"place": "329981", "on": "2025-06-30"}).json()
    cell = next(c for c in rates["cells"] if c["category"] == "social_org" and c["kind"] == "org")
    assert (cell["active"], cell["covered"], rates["source"]) == (4, 3, "computed")
    drill = client.get(f"{API}/breakdown", {"place": "329981"}).json()
    assert {r["name"] for r in drill["rows"]} >= {"Town A", "Street B"}
    listing = client.get(f"{API}/targets", {"kind": "org", "covered": "false"}).json()
    assert {t["name"] for t in listing["targets"]} == {"断联协会", "未覆盖协会", "新成立协会"}
    made = client.post(
        f"{API}/targets",
        {"name": "API协会", "category": "social_org", "region": "329981001", "active_from": "2026-01-01"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    link = client.post(
        f"{API}/links",
        {
            "target_id": made.json()["id"],
            "organisation_id": net.town_a_fed.pk,
            "mode": "own",
            "kind": "org",
            "valid_from": "2026-01-01",
        },
        content_type="application/json",
    )
    assert link.status_code == 201
    ended = client.post(
        f"{API}/links/{link.json()['id']}/end", {"valid_to": "2026-02-01"}, content_type="application/json"
    )
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-02-01"
    again = client.post(
        f"{API}/links/{link.json()['id']}/end", {"valid_to": "2026-03-01"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert client.get(f"{API}/targets/{ex.covered_twice.pk}").json()["links"][0]["organisation"]
    assert client.get(f"{API}/snapshots", {"place": "329981"}).json() == []


def test_the_api_refuses_another_district_and_viewers(net, login):
    ex = make_example(net)
    other = login(net.other_cadre)
    assert other.get(f"{API}/rates", {"place": "329981"}).status_code == 403
    assert other.get(f"{API}/targets/{ex.uncovered.pk}").status_code == 404
    made = other.post(
        f"{API}/targets",
        {"name": "越界", "category": "social_org", "region": "329981001", "active_from": "2026-01-01"},
        content_type="application/json",
    )
    assert made.status_code == 403
    viewer = login(net.world.town_operator)
    assert viewer.get(f"{API}/rates").status_code == 200
    linked = viewer.post(
        f"{API}/links",
        {
            "target_id": ex.covered_twice.pk,
            "organisation_id": net.town_a_fed.pk,
            "mode": "own",
            "kind": "work",
            "valid_from": "2026-01-01",
        },
        content_type="application/json",
    )
    assert linked.status_code == 403
    assert not Target.objects.filter(name="越界").exists()
    anonymous = login(net.world.resident)
    assert anonymous.get(f"{API}/rates").status_code == 403


def test_the_dashboard_answers_for_a_past_day(net, login):
    """ "Was it fully covered on D?": the rates of a past day, computed from the dates, then from the
    month's snapshot once one is taken; a future or unreadable day shows today's with a message."""
    from civicgrid.orgs import coverage

    make_example(net)
    client = login(net.cadre)
    past = client.get(reverse("orgs:coverage"), {"place": "329981", "on": "2025-06-30"}).content.decode()
    assert "2025-06-30" in past and "from the records" in past and "75.0%" in past
    coverage.snapshot_month(date(2025, 6, 1))
    snap = client.get(reverse("orgs:coverage"), {"place": "329981", "on": "2025-06-30"}).content.decode()
    assert "from the month" in snap and "75.0%" in snap
    today = client.get(reverse("orgs:coverage"), {"place": "329981", "on": "2999-01-01"}).content.decode()
    assert "Choose a day up to today" in today and "25.0%" in today
