"""The staff work lists: the grid worker's queue, the command centre, batch dispatch, the map, the agency inbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import selectors_work, services
from civicgrid.cases.models import Appointment, Case, CaseEvent, Category
from civicgrid.cases.tests.conftest import PATHS, backdate, report, walk
from conftest import PASSWORD

QUEUE = reverse("cases:queue")
CENTRE = reverse("cases:centre")
MAP = reverse("cases:map")
MAP_DATA = reverse("cases:map_data")
# West, south, east, north: both towns' grids and the land between them.
WORLD_BOX = "120.69,31.59,120.82,31.62"
AGENCY = reverse("cases:agency_inbox")
BATCH = reverse("cases:batch_dispatch")
PAGES = {"queue": QUEUE, "centre": CENTRE, "map": MAP, "agency": AGENCY}
# A point in grid B1a of town B.
TOWN_B = {"lon": 120.805, "lat": 31.605}
STAFF_ONLY = "This page is for staff"


def map_answer(client, **params) -> dict:
    """Return what the map's data endpoint answers for a view of the whole test world at grid zoom."""
    response = client.get(MAP_DATA, {"bbox": WORLD_BOX, "zoom": 15, **params})
    assert response.status_code == 200, response.content
    return response.json()


def numbers(response) -> set[str]:
    """Return the tracking numbers that appear anywhere in a response."""
    return set(re.findall(r"\d{8}-\d{4}", response.text))


def make(world, category, state: str, **kw) -> Case:
    return walk(world, report(world, category, **kw), PATHS[state])


@pytest.fixture
def quick(db) -> Category:
    """A category that needs no photo, so lists of many cases are cheap to make."""
    return Category.objects.get(code="C0601")


@pytest.fixture
def b_operator(cw):
    """A town operator of town B: a command-centre user who must see nothing of town A."""
    user = user_create(username="operator_b", password=PASSWORD, display_name="乙指挥", phone="13800000010")
    role_assign(user=user, role="town_operator", place=cw.town_b)
    return user


# --- Who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_it_sends_anonymous_visitors_to_sign_in(client, world, name):
    response = client.get(PAGES[name])
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


def test_it_sends_an_anonymous_batch_dispatch_to_sign_in(client, world):
    response = client.post(BATCH, {"case": "20260101-0001"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# Expected status of each page for each persona; 302 is the queue sending a queue-less admin to the centre.
ACCESS = {
    "resident": {"queue": 403, "centre": 403, "map": 403, "agency": 403},
    "grid_worker": {"queue": 200, "centre": 403, "map": 200, "agency": 403},
    "grid_leader": {"queue": 200, "centre": 403, "map": 200, "agency": 403},
    "village_cadre": {"queue": 200, "centre": 200, "map": 200, "agency": 403},
    "town_operator": {"queue": 200, "centre": 200, "map": 200, "agency": 403},
    "city_admin": {"queue": 302, "centre": 200, "map": 200, "agency": 403},
    "agency_staff": {"queue": 200, "centre": 403, "map": 403, "agency": 200},
    "outsider": {"queue": 200, "centre": 403, "map": 200, "agency": 403},
    "superuser": {"queue": 302, "centre": 200, "map": 200, "agency": 403},
}


@pytest.mark.parametrize("persona", list(ACCESS))
def test_each_persona_gets_the_work_pages_of_its_roles(login, cw, category, persona):
    make(cw, category, "town")
    client = login(getattr(cw, persona))
    for name, expected in ACCESS[persona].items():
        response = client.get(PAGES[name])
        assert response.status_code == expected, (persona, name)
        if expected == 403:
            assert STAFF_ONLY in response.text
        if expected == 302:
            assert response.url == CENTRE


def test_the_pages_default_to_chinese(cw, category):
    client = Client()
    client.force_login(cw.grid_worker)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.text


# --- The grid worker's queue ---------------------------------------------------------------------


def test_the_grid_worker_sees_the_verify_queue_with_their_grid_and_not_town_b(login, cw, category):
    mine = report(cw, category, address="幸福路 12 号")
    theirs = report(cw, category, **TOWN_B)
    response = login(cw.grid_worker).get(QUEUE)
    assert response.status_code == 200
    assert response.context["current"] == "verify"
    assert mine.tracking_number in response.text
    assert "幸福路 12 号" in response.text
    assert theirs.tracking_number not in response.text
    assert reverse("cases:detail", args=[mine.tracking_number]) in response.text
    tabs = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert tabs == {"verify": 1, "decide": 0, "check": 0}


def test_the_queue_opens_on_the_first_non_empty_queue(login, cw, category):
    checking = make(cw, category, "checking")
    response = login(cw.grid_worker).get(QUEUE)
    assert response.context["current"] == "check"
    assert checking.tracking_number in response.text
    assert "Check by" in response.text


def test_the_queue_shows_the_chosen_queue_and_its_empty_state(login, cw, category):
    report(cw, category)
    response = login(cw.grid_worker).get(QUEUE, {"queue": "check"})
    assert response.context["current"] == "check"
    assert "Nothing to check" in response.text
    assert numbers(response) == set()


def test_an_unknown_queue_falls_back_to_the_default(login, cw, category):
    case = report(cw, category)
    response = login(cw.grid_worker).get(QUEUE, {"queue": "dispatch"})
    assert response.context["current"] == "verify"
    assert case.tracking_number in response.text


def test_the_queue_marks_overdue_and_due_soon_steps_and_urgent_cases(login, cw, category):
    late = report(cw, category, description="overdue")
    soon = report(cw, category, description="soon")
    urgent = report(cw, Category.objects.get(code="E0501"), description="urgent")
    now = timezone.now()
    Case.objects.filter(pk=late.pk).update(step_due_at=now - timedelta(hours=3))
    Case.objects.filter(pk=soon.pk).update(step_due_at=now + timedelta(hours=1))
    Case.objects.filter(pk=urgent.pk).update(step_due_at=now + timedelta(hours=20))
    response = login(cw.grid_worker).get(QUEUE)
    cards = {c.tracking_number: c for c in response.context["cases"]}
    assert cards[late.tracking_number].due == "overdue"
    assert cards[soon.tracking_number].due == "soon"
    assert cards[urgent.tracking_number].due == ""
    # The most urgent first: the overdue case leads.
    assert response.context["cases"][0].tracking_number == late.tracking_number
    assert response.text.count("work-card--overdue") == 1
    assert response.text.count("work-card--soon") == 1
    assert "Urgent" in response.text
    assert "3 hours late" in response.text.replace("\xa0", " ")


def test_the_queue_paginates(login, cw, quick):
    for n in range(23):
        report(cw, quick, photos=[], description=f"case {n}")
    client = login(cw.grid_worker)
    first = client.get(QUEUE)
    second = client.get(QUEUE, {"queue": "verify", "page": 2})
    assert len(first.context["cases"]) == 20
    assert len(second.context["cases"]) == 3
    assert numbers(first).isdisjoint(numbers(second))
    assert 'rel="next"' in first.text and 'rel="next"' not in second.text


def test_the_queue_searches_by_tracking_number_and_address(login, cw, category):
    a = report(cw, category, address="学府路 1 号")
    b = report(cw, category, address="人民路 8 号")
    client = login(cw.grid_worker)
    assert numbers(client.get(QUEUE, {"queue": "verify", "q": "学府路"})) == {a.tracking_number}
    assert numbers(client.get(QUEUE, {"queue": "verify", "q": b.tracking_number})) == {b.tracking_number}
    empty = client.get(QUEUE, {"queue": "verify", "q": "没有这条路"})
    assert "No case in this queue matches" in empty.text


# --- Outsiders ------------------------------------------------------------------------------------


def test_it_denies_outsider(login, cw, category, b_operator):
    town_a = [report(cw, category), make(cw, category, "town"), make(cw, category, "dispatched")]
    town_b = report(cw, category, **TOWN_B)
    a_numbers = {c.tracking_number for c in town_a}

    # The outsider is a grid worker of town B: their queue and map hold no case of town A.
    outsider = login(cw.outsider)
    queue = outsider.get(QUEUE)
    assert numbers(queue) == {town_b.tracking_number}
    assert outsider.get(CENTRE).status_code == 403
    assert outsider.get(AGENCY).status_code == 403
    assert outsider.get(MAP).status_code == 200
    geo = map_answer(outsider)
    assert {c["n"] for c in geo["cases"]} == {town_b.tracking_number}
    assert {o["name"] for o in geo["outlines"]} == {cw.grid_b1a.name}
    assert map_answer(outsider, zoom=11)["total"] == 1

    # Town B's command centre: filtering by town A's places or searching its numbers finds nothing.
    centre = login(b_operator)
    for region in (cw.town_a.code, cw.village_a1.code, cw.grid_a1a.code):
        response = centre.get(CENTRE, {"region": region, "state": "all"})
        assert response.status_code == 200
        assert response.context["total"] == 0
        assert numbers(response).isdisjoint(a_numbers)
    for number in a_numbers:
        response = centre.get(CENTRE, {"q": number, "state": "all"})
        assert response.context["total"] == 0
    whole = centre.get(CENTRE)
    assert numbers(whole) == {town_b.tracking_number}
    assert sum(s.count for s in whole.context["steps"]) == 1
    assert {c["n"] for c in map_answer(centre)["cases"]} == {town_b.tracking_number}
    assert {c["n"] for c in map_answer(centre, region=cw.town_a.code)["cases"]} == set()


# --- The command centre -------------------------------------------------------------------------


def test_the_town_operator_sees_counts_per_step_with_overdue(login, cw, category):
    make(cw, category, "reported")
    make(cw, category, "reported")
    late = make(cw, category, "town")
    make(cw, category, "dispatched")
    make(cw, category, "closed")
    report(cw, category, **TOWN_B)
    Case.objects.filter(pk=late.pk).update(is_overdue=True)
    response = login(cw.town_operator).get(CENTRE)
    assert response.status_code == 200
    steps = {s.state: (s.count, s.overdue) for s in response.context["steps"]}
    assert steps["reported"] == (2, 0)
    assert steps["town"] == (1, 1)
    assert steps["dispatched"] == (1, 0)
    assert "closed" not in steps
    assert sum(count for count, _late in steps.values()) == 4
    assert "1 overdue" in response.text
    # The default list holds the open cases only, overdue first.
    assert response.context["total"] == 4
    assert response.context["cases"][0].pk == late.pk
    queues = {link["key"]: link["count"] for link in response.context["queue_links"]}
    assert queues["dispatch"] == 1


def test_the_village_cadre_centre_holds_their_village(login, cw, category, b_operator):
    mine = make(cw, category, "village")
    report(cw, category, **TOWN_B)
    response = login(cw.village_cadre).get(CENTRE, {"queue": "village"})
    assert numbers(response) == {mine.tracking_number}


def test_the_centre_filters_by_step_category_area_source_dates_and_overdue(login, cw, category, quick):
    pothole = make(cw, category, "town")
    other = report(cw, quick, photos=[], lon=120.715, lat=31.605)  # grid A1b
    hotline = services.case_create(
        reporter=None,
        actor=cw.town_operator,
        source=Case.Source.HOTLINE,
        category=quick,
        description="市民来电反映路灯不亮",
        lon=120.705,
        lat=31.605,
        external_ref="GD2026112900042",
    ).case
    Case.objects.filter(pk=other.pk).update(is_overdue=True)
    backdate(hotline, days=10)
    client = login(cw.town_operator)

    def found(**params) -> set[str]:
        response = client.get(CENTRE, params)
        assert response.status_code == 200
        return {c.tracking_number for c in response.context["cases"]}

    assert found(state="town") == {pothole.tracking_number}
    assert found(category="C02") == {pothole.tracking_number}
    assert found(category="C0601") == {other.tracking_number, hotline.tracking_number}
    assert found(region=cw.grid_a1b.code) == {other.tracking_number}
    assert found(region=cw.village_a1.code) == {
        pothole.tracking_number,
        other.tracking_number,
        hotline.tracking_number,
    }
    assert found(source="hotline") == {hotline.tracking_number}
    assert found(overdue="on") == {other.tracking_number}
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert found(date_from=ten_days_ago, date_to=ten_days_ago) == {hotline.tracking_number}
    assert found(date_from=timezone.localdate().isoformat()) == {
        pothole.tracking_number,
        other.tracking_number,
    }
    assert found(queue="dispatch") == {pothole.tracking_number}


def test_the_centre_searches_numbers_words_addresses_and_12345_orders(login, cw, category, quick):
    a = report(cw, category, address="虞山北路 88 号", description="窨井盖松动")
    hotline = services.case_create(
        reporter=None,
        actor=cw.town_operator,
        source=Case.Source.HOTLINE,
        category=quick,
        description="来电",
        lon=120.705,
        lat=31.605,
        external_ref="GD2026112900042",
    ).case
    client = login(cw.town_operator)

    def found(text: str) -> set[str]:
        return {c.tracking_number for c in client.get(CENTRE, {"q": text}).context["cases"]}

    assert found(a.tracking_number) == {a.tracking_number}
    assert found("虞山北路") == {a.tracking_number}
    assert found("窨井盖") == {a.tracking_number}
    assert found("GD2026112900042") == {hotline.tracking_number}
    response = client.get(CENTRE, {"q": "GD2026112900042"})
    assert "GD2026112900042" in response.text
    assert "No case matches “nothing like it”" in client.get(CENTRE, {"q": "nothing like it"}).text


def test_finished_cases_show_only_when_asked_for(login, cw, category):
    closed = make(cw, category, "closed")
    client = login(cw.town_operator)
    assert closed.tracking_number not in client.get(CENTRE).text
    assert closed.tracking_number in client.get(CENTRE, {"state": "closed"}).text
    assert closed.tracking_number in client.get(CENTRE, {"state": "all", "q": closed.tracking_number}).text


def test_invalid_filters_show_errors_and_no_cases(login, cw, category):
    report(cw, category)
    client = login(cw.town_operator)
    response = client.get(CENTRE, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.text
    assert response.context["total"] == 0
    response = client.get(CENTRE, {"state": "no-such-state", "region": "abc"})
    assert response.context["total"] == 0
    assert "Choose an area from the list." in response.text


def test_the_centre_serves_its_results_alone_to_htmx(login, cw, category):
    case = make(cw, category, "town")
    client = login(cw.town_operator)
    full = client.get(CENTRE, {"state": "town"})
    partial = client.get(CENTRE, {"state": "town"}, headers={"HX-Request": "true"})
    assert "<html" in full.text
    assert 'id="centre-results"' in full.text
    assert "work-steps" in full.text
    assert "<html" not in partial.text
    assert "work-steps" not in partial.text
    assert 'id="results-title"' in partial.text
    assert case.tracking_number in partial.text
    for response in (full, partial):
        assert "HX-Request" in response["Vary"]
    restore = client.get(CENTRE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_the_centre_paginates_its_results(login, cw, quick):
    for n in range(27):
        report(cw, quick, photos=[], description=f"case {n}")
    client = login(cw.town_operator)
    first = client.get(CENTRE)
    second = client.get(CENTRE, {"page": 2}, headers={"HX-Request": "true"})
    assert len(first.context["cases"]) == 25
    assert len(second.context["cases"]) == 2
    assert 'hx-target="#centre-results"' in first.text


# --- Batch dispatch ------------------------------------------------------------------------------


def test_the_dispatch_list_offers_checkboxes_and_the_panel_to_the_town_operator(login, cw, category):
    case = make(cw, category, "town")
    response = login(cw.town_operator).get(CENTRE, {"queue": "dispatch"})
    assert f'value="{case.tracking_number}:{case.version}"' in response.text
    assert response.context["dispatch_form"] is not None
    assert f'action="{BATCH}"' in response.text
    # Other lists, and people who are not town actors, get no checkboxes.
    assert login(cw.town_operator).get(CENTRE).context["dispatch_form"] is None
    cadre = login(cw.village_cadre).get(CENTRE, {"state": "town"})
    assert cadre.context["dispatch_form"] is None
    assert 'name="case"' not in cadre.text
    admin = login(cw.city_admin).get(CENTRE, {"queue": "dispatch"})
    assert admin.context["dispatch_form"] is None


def test_batch_dispatch_goes_through_except_where_someone_else_acted_first(login, cw, category):
    first, second, third = (make(cw, category, "town") for _ in range(3))
    seen = [f"{c.tracking_number}:{c.version}" for c in (first, second, third)]
    # Meanwhile another operator dispatches the second case from their own (soon stale) list.
    services.case_act(case=second, action="dispatch", actor=cw.town_operator, agency=cw.agency_b)
    events_before = {c.pk: CaseEvent.objects.filter(case=c).count() for c in (first, second, third)}

    response = login(cw.town_operator).post(
        BATCH,
        {"case": seen, "agency": cw.agency.pk, "note": "请尽快处理", "next": f"{CENTRE}?queue=dispatch"},
    )
    assert response.status_code == 200
    results = {r["number"]: r for r in response.context["results"]}
    assert results[first.tracking_number]["ok"] and results[third.tracking_number]["ok"]
    assert not results[second.tracking_number]["ok"]
    assert "not possible while the case is" in results[second.tracking_number]["message"]
    assert "2 of 3 cases dispatched to Water Bureau." in response.text
    assert "1 case could not be dispatched" in response.text
    assert f'href="{CENTRE}?queue=dispatch"' in response.text

    for case in (first, third):
        case.refresh_from_db()
        assert case.state == Case.State.DISPATCHED
        assert case.lead_agency_id == cw.agency.pk
        assert CaseEvent.objects.filter(case=case).count() == events_before[case.pk] + 1
        assert CaseEvent.objects.filter(case=case, action="dispatch").get().note == "请尽快处理"
    second.refresh_from_db()
    assert second.lead_agency_id == cw.agency_b.pk
    assert CaseEvent.objects.filter(case=second).count() == events_before[second.pk]


def test_batch_dispatch_refuses_a_case_changed_since_the_list_was_shown(login, cw, category):
    case = make(cw, category, "town")
    seen = f"{case.tracking_number}:{case.version}"
    services.case_act(case=case, action="comment", actor=cw.village_cadre, note="居民已自行处理，请勿派单")
    response = login(cw.town_operator).post(BATCH, {"case": [seen], "agency": cw.agency.pk})
    assert response.status_code == 200
    assert "Someone else acted on this case a moment ago" in response.text
    case.refresh_from_db()
    assert case.state == Case.State.TOWN


def test_batch_dispatch_records_co_handlers_and_the_appointment(login, cw, category):
    case = make(cw, category, "town")
    when = (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = login(cw.town_operator).post(
        BATCH,
        {
            "case": [case.tracking_number],
            "agency": cw.agency.pk,
            "co_agencies": [cw.agency_b.pk],
            "appointment_at": when.strftime("%Y-%m-%dT%H:%M"),
            "appointment_place": "甲一村村委会",
            "participants": "水务、供电、网格员",
        },
    )
    assert response.status_code == 200
    assert response.context["done"] == 1
    case.refresh_from_db()
    assert case.state == Case.State.DISPATCHED
    assert list(case.co_agencies.all()) == [cw.agency_b]
    appointment = Appointment.objects.get(case=case)
    assert appointment.place == "甲一村村委会"
    assert appointment.starts_at == when


def test_batch_dispatch_refuses_an_incomplete_panel(login, cw, category):
    case = make(cw, category, "town")
    client = login(cw.town_operator)
    no_agency = client.post(BATCH, {"case": [case.tracking_number]})
    assert no_agency.status_code == 400
    assert "Nothing was dispatched" in no_agency.text
    nothing_ticked = client.post(BATCH, {"agency": cw.agency.pk})
    assert nothing_ticked.status_code == 400
    assert "Tick at least one case to dispatch." in nothing_ticked.text
    half_appointment = client.post(
        BATCH, {"case": [case.tracking_number], "agency": cw.agency.pk, "appointment_place": "村委会"}
    )
    assert half_appointment.status_code == 400
    assert "Give the date and time of the appointment." in half_appointment.text
    lead_twice = client.post(
        BATCH, {"case": [case.tracking_number], "agency": cw.agency.pk, "co_agencies": [cw.agency.pk]}
    )
    assert lead_twice.status_code == 400
    case.refresh_from_db()
    assert case.state == Case.State.TOWN
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 0


def test_batch_dispatch_is_refused_to_a_grid_worker(login, cw, category):
    case = make(cw, category, "town")
    for user in (cw.grid_worker, cw.agency_staff, cw.city_admin):
        response = login(user).post(BATCH, {"case": [case.tracking_number], "agency": cw.agency.pk})
        assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == Case.State.TOWN


def test_batch_dispatch_refuses_cases_outside_the_operators_scope(login, cw, category, b_operator):
    theirs = report(cw, category, **TOWN_B)
    mine = make(cw, category, "town")
    response = login(cw.town_operator).post(
        BATCH, {"case": [theirs.tracking_number, mine.tracking_number], "agency": cw.agency.pk}
    )
    results = {r["number"]: r for r in response.context["results"]}
    assert results[mine.tracking_number]["ok"]
    assert not results[theirs.tracking_number]["ok"]
    assert "outside your area" in results[theirs.tracking_number]["message"]
    theirs.refresh_from_db()
    assert theirs.state == Case.State.REPORTED
    assert theirs.lead_agency_id is None
    # Town B's operator may not dispatch town A's case either.
    other = make(cw, category, "town")
    response = login(b_operator).post(BATCH, {"case": [other.tracking_number], "agency": cw.agency.pk})
    assert response.context["done"] == 0
    other.refresh_from_db()
    assert other.state == Case.State.TOWN


def test_batch_dispatch_goes_back_only_to_a_local_page(login, cw, category):
    case = make(cw, category, "town")
    response = login(cw.town_operator).post(
        BATCH, {"case": [case.tracking_number], "agency": cw.agency.pk, "next": "https://evil.example/"}
    )
    assert "evil.example" not in response.text
    assert f"{CENTRE}?queue=dispatch" in response.text


# --- The agency inbox ---------------------------------------------------------------------------


def test_the_agency_inbox_shows_only_the_agencys_cases_in_tabs(login, cw, category):
    to_sign = make(cw, category, "dispatched")
    working = make(cw, category, "in_progress")
    elsewhere = walk(
        cw, report(cw, category), [*PATHS["town"], ("dispatch", "town_operator", {"agency": cw.agency_b})]
    )
    helping = walk(
        cw,
        report(cw, category),
        [*PATHS["town"], ("dispatch", "town_operator", {"agency": cw.agency_b, "co_agencies": [cw.agency]})],
    )
    late = make(cw, category, "dispatched")
    Case.objects.filter(pk=late.pk).update(is_overdue=True)
    client = login(cw.agency_staff)

    first = client.get(AGENCY)
    assert first.context["current"] == "sign"
    assert numbers(first) == {to_sign.tracking_number, late.tracking_number}
    assert "Sign for by" in first.text
    counts = {t["key"]: t["count"] for t in first.context["tabs"]}
    assert counts == {"sign": 2, "in_progress": 1, "co": 1, "overdue": 1}
    assert numbers(client.get(AGENCY, {"tab": "in_progress"})) == {working.tracking_number}
    co = client.get(AGENCY, {"tab": "co"})
    assert numbers(co) == {helping.tracking_number}
    assert "lead: 供电公司" in co.text
    assert numbers(client.get(AGENCY, {"tab": "overdue"})) == {late.tracking_number}
    assert numbers(client.get(AGENCY, {"tab": "sign", "q": late.tracking_number})) == {late.tracking_number}
    assert elsewhere.tracking_number not in first.text

    # The other agency's inbox is the mirror image.
    other = login(cw.agency_b_staff).get(AGENCY)
    assert numbers(other) == {elsewhere.tracking_number, helping.tracking_number}


def test_the_agency_inbox_shows_an_empty_state(login, cw, category):
    response = login(cw.agency_staff).get(AGENCY, {"tab": "overdue"})
    assert "Nothing overdue" in response.text


# --- Query counts ---------------------------------------------------------------------------------


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_reads_the_same_number_of_queries_for_5_and_20_cases(login, cw, quick):
    client = login(cw.grid_worker)
    for _ in range(5):
        report(cw, quick, photos=[])
    few = count_queries(client, QUEUE)
    for _ in range(15):
        report(cw, quick, photos=[])
    many = count_queries(client, QUEUE)
    assert few == many
    assert many <= 12


def test_the_centre_reads_the_same_number_of_queries_for_5_and_20_cases(login, cw, quick):
    client = login(cw.town_operator)
    for _ in range(5):
        make(cw, quick, "town", photos=[])
    few = count_queries(client, CENTRE, {"queue": "dispatch"})
    few_partial = count_queries(client, CENTRE)
    for _ in range(15):
        make(cw, quick, "town", photos=[])
    many = count_queries(client, CENTRE, {"queue": "dispatch"})
    assert few == many
    assert few_partial == count_queries(client, CENTRE)
    assert many <= 20


def test_the_agency_inbox_reads_the_same_number_of_queries_for_5_and_20_cases(login, cw, quick):
    client = login(cw.agency_staff)
    for _ in range(5):
        make(cw, quick, "dispatched", photos=[])
    few = count_queries(client, AGENCY)
    for _ in range(15):
        make(cw, quick, "dispatched", photos=[])
    many = count_queries(client, AGENCY)
    assert few == many
    assert many <= 14


def test_due_status_ignores_steps_without_a_deadline(cw, category):
    case = report(cw, category)
    now = timezone.now()
    case.step_due_at = now - timedelta(hours=1)
    assert selectors_work.due_status(case, now) == "overdue"
    case.state = Case.State.SUSPENDED
    assert selectors_work.due_status(case, now) == ""
    case.state = Case.State.RESOLVED
    assert selectors_work.due_status(case, now) == ""
