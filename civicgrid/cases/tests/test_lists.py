"""Lists at any size: keyset pages (cursors), capped totals, and the scope rules each list is read by.

The rules are checked on what a user gets (the cases listed, the totals) and, where a rule is about how
the database is asked (no NOT IN, no join on codes, no DISTINCT), on the statements themselves.
"""

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
from civicgrid.cases import access, figures, selectors, services
from civicgrid.cases.models import Case, Category, Notification
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.lib import keyset
from civicgrid.places.services import place_create
from conftest import PASSWORD

API = "/api/v1/cases/"
NOTIFICATIONS_API = "/api/v1/cases/notifications"
CENTRE = reverse("cases:centre")
QUEUE = reverse("cases:queue")
AGENCY = reverse("cases:agency_inbox")
NOTIFICATIONS = reverse("cases:notifications")
TOWN_B = {"lon": 120.805, "lat": 31.605}


@pytest.fixture
def quick(db) -> Category:
    """A category that needs no photo, so lists of many cases are cheap to make."""
    return Category.objects.get(code="C0601")


@pytest.fixture
def client_for(db):
    def make(user=None) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        if user is not None:
            client.force_login(user)
        return client

    return make


def api(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def numbers(items) -> list[str]:
    return [item["tracking_number"] for item in items]


def walk_api(client, url, limit, on_page=None, **params) -> list[str]:
    """Follow `next` from the first page to the last; return every tracking number in order."""
    seen: list[str] = []
    body = api(client, url, limit=limit, **params)
    while True:
        seen.extend(numbers(body["items"]))
        if on_page is not None:
            on_page(len(seen))
        if body["next"] is None:
            return seen
        assert "cursor=" in body["next"] and "offset=" not in body["next"]
        body = api(client, body["next"])


# --- Walking a list by cursor ---------------------------------------------------------------------


def test_a_cursor_walk_of_every_step_sees_each_case_once_while_cases_move(cw, quick, client_for):
    cases = [report(cw, quick, photos=[]) for _ in range(17)]
    client = client_for(cw.town_operator)
    everything = numbers(api(client, API, limit=100)["items"])
    # Every step: newest first by id, whatever their state.
    assert everything == [c.tracking_number for c in sorted(cases, key=lambda c: -c.pk)]

    def meanwhile(seen: int) -> None:
        if seen == 5:
            # Cases on pages not read yet, and on pages read already, change state; new ones arrive.
            for case in (cases[0], cases[1], cases[15]):
                walk(cw, Case.objects.get(pk=case.pk), PATHS["accepted"])
            report(cw, quick, photos=[])

    walked = walk_api(client, API, 5, on_page=meanwhile)
    assert len(walked) == len(set(walked))
    assert walked == everything  # the new case is newer than the cursor: it is on the first page


def test_a_cursor_walk_of_a_queue_skips_nothing_and_repeats_nothing_while_cases_leave_it(
    cw, quick, client_for
):
    cases = [report(cw, quick, photos=[]) for _ in range(13)]
    client = client_for(cw.grid_worker)
    before = numbers(api(client, API, limit=100, queue="verify")["items"])
    assert set(before) == {c.tracking_number for c in cases}
    left: set[str] = set()

    def meanwhile(seen: int) -> None:
        if seen == 4:
            # Accepting takes a case out of the verify queue: under OFFSET each one taken from a page
            # already read would shift a case of the next page onto it, unseen.
            for number in before[:3] + before[-1:]:
                walk(cw, Case.objects.get(tracking_number=number), PATHS["accepted"])
                left.add(number)
            report(cw, quick, photos=[])

    walked = walk_api(client, API, 4, on_page=meanwhile, queue="verify")
    assert len(walked) == len(set(walked))
    stayed = [n for n in before if n not in left]
    assert [n for n in walked if n in stayed] == stayed
    assert before[-1] not in walked  # it left before its page was read


def test_the_urgency_order_pages_through_overdue_deadlines_ties_and_no_deadline(cw, quick):
    now = timezone.now()
    cases = [report(cw, quick, photos=[]) for _ in range(11)]
    due = [now - timedelta(hours=2), now + timedelta(hours=1), None, now + timedelta(hours=1)]
    for i, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(is_overdue=i % 4 == 0, step_due_at=due[i % 4])
    filters = CaseFilters(open_only=True)
    full = list(selectors.case_list(user=cw.town_operator, filters=filters))
    flags = [(c.is_overdue, c.step_due_at) for c in full]
    assert flags[0][0] and not flags[-1][0]
    assert [f[1] for f in flags if not f[0]][-1] is None  # no deadline last, on both databases
    for size in (1, 2, 3, 5):
        seen, cursor = [], ""
        while True:
            page = selectors.case_page(user=cw.town_operator, filters=filters, cursor=cursor, size=size)
            seen.extend(page.items)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert [c.pk for c in seen] == [c.pk for c in full], size


def test_the_centre_pages_by_cursor_and_keeps_its_filters(login, cw, quick):
    for _ in range(27):
        report(cw, quick, photos=[])
    client = login(cw.town_operator)
    first = client.get(CENTRE, {"category": "C06"})
    assert len(first.context["cases"]) == 25
    link = re.search(r'href="\?([^"]+)" rel="next"', first.text)
    assert link, "no next link"
    query = link.group(1).replace("&amp;", "&")
    assert "cursor=" in query and "category=C06" in query
    second = client.get(f"{CENTRE}?{query}", headers={"HX-Request": "true"})
    assert len(second.context["cases"]) == 2
    assert 'rel="next"' not in second.text and 'rel="first"' in second.text
    first_numbers = {c.tracking_number for c in first.context["cases"]}
    assert first_numbers.isdisjoint({c.tracking_number for c in second.context["cases"]})
    # Links made before cursors still open their page.
    assert len(client.get(CENTRE, {"page": 2}).context["cases"]) == 2


def test_the_queue_and_the_agency_inbox_page_by_cursor(login, cw, quick):
    for _ in range(22):
        walk(cw, report(cw, quick, photos=[]), PATHS["dispatched"])
        report(cw, quick, photos=[])
    for url, who, params in ((AGENCY, cw.agency_staff, {"tab": "sign"}), (QUEUE, cw.grid_worker, {})):
        client = login(who)
        first = client.get(url, params)
        assert len(first.context["cases"]) == 20
        assert first.context["total"] == 22
        cursor = first.context["pager"].next_cursor
        assert cursor
        second = client.get(url, {**params, "cursor": cursor})
        assert len(second.context["cases"]) == 2
        assert {c.pk for c in first.context["cases"]}.isdisjoint({c.pk for c in second.context["cases"]})


# --- Bad cursors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "u.1.2", "n.12.3", "n.x", "u.2.n.5", "u.1.n.-", "n.99999999999999999999", "n." + "9" * 118],
)
def test_a_bad_cursor_is_a_clean_400_in_the_api(cw, client_for, cursor):
    response = client_for(cw.town_operator).get(API, {"cursor": cursor, "queue": "verify"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "code", "extra"}
    assert body["code"] in ("invalid_cursor", "invalid")
    assert "cursor" in str(body["extra"])


def test_a_cursor_of_another_order_is_refused(cw, quick, client_for):
    for _ in range(3):
        report(cw, quick, photos=[])
    client = client_for(cw.town_operator)
    newest = api(client, API, limit=1)["next"]
    cursor = re.search(r"cursor=([^&]+)", newest).group(1)
    assert client.get(API, {"cursor": cursor, "queue": "dispatch"}).json()["code"] == "invalid_cursor"
    assert client.get(NOTIFICATIONS_API, {"cursor": cursor}).json()["code"] == "invalid_cursor"


def test_a_bad_cursor_on_a_page_shows_the_first_page(login, cw, quick):
    case = report(cw, quick, photos=[])
    client = login(cw.town_operator)
    for url in (CENTRE, QUEUE, NOTIFICATIONS):
        response = client.get(url, {"cursor": "u.9.garbage"})
        assert response.status_code == 200, url
    assert case.tracking_number in client.get(CENTRE, {"cursor": "n.x"}).text
    assert login(cw.agency_staff).get(AGENCY, {"cursor": "zzz"}).status_code == 200


def test_keyset_cursors_round_trip_and_refuse_the_rest():
    order = selectors.URGENCY
    when = timezone.now().replace(microsecond=123456)

    class Row:
        is_overdue, step_due_at, id = True, when, 42

    text = order.cursor_of(Row)
    assert order.parse(text) == (True, when, 42)
    Row.step_due_at = None
    assert order.parse(order.cursor_of(Row)) == (True, None, 42)
    for bad in ("", "u", "u.1.n", "n.5", "u.1.n.5.6", "u.x.n.5", "u.1.1.5" + "0" * 200, None, "u.1.n.4e3"):
        with pytest.raises(keyset.InvalidCursor):
            order.parse(bad)


# --- Totals -----------------------------------------------------------------------------------------


def test_list_totals_are_exact_up_to_the_cap_and_say_so_beyond(cw, quick, client_for, login, monkeypatch):
    # A category filter is one the kept counts cannot answer: the cases are counted, up to the cap.
    for _ in range(5):
        report(cw, quick, photos=[])
    by_category = CaseFilters(category=quick.code)
    client = client_for(cw.town_operator)
    body = api(client, API + f"?category={quick.code}")
    assert (body["count"], body["count_exact"]) == (5, True)
    monkeypatch.setattr(selectors, "LIST_TOTAL_CAP", 3)
    body = api(client, API + f"?category={quick.code}")
    assert (body["count"], body["count_exact"]) == (3, False)
    assert len(body["items"]) == 5
    total = selectors.list_total(user=cw.town_operator, filters=by_category)
    assert (total, total.exact, str(total)) == (3, False, "3+")
    page = login(cw.town_operator).get(CENTRE + f"?category={quick.code}")
    assert "3+ cases" in page.text
    monkeypatch.setattr(selectors, "LIST_TOTAL_CAP", 5)
    assert str(selectors.list_total(user=cw.town_operator, filters=by_category)) == "5"


def test_totals_by_area_step_and_date_come_exact_from_the_kept_counts(cw, quick, client_for, monkeypatch):
    for _ in range(5):
        report(cw, quick, photos=[])
    monkeypatch.setattr(selectors, "LIST_TOTAL_CAP", 3)
    body = api(client_for(cw.town_operator), API)
    assert (body["count"], body["count_exact"]) == (5, True)
    with CaptureQueriesContext(connection) as captured:
        total = selectors.list_total(user=cw.town_operator, filters=CaseFilters(open_only=True))
    assert (total, total.exact) == (5, True)
    assert not [q for q in captured if '"cases_case"' in q["sql"]]
    # Agency staff are no set of places: their cases are counted.
    assert selectors.list_total(user=cw.agency_staff, filters=CaseFilters()).exact


def test_a_total_reads_at_most_the_cap(cw, quick):
    report(cw, quick, photos=[])
    with CaptureQueriesContext(connection) as captured:
        selectors.list_total(user=cw.town_operator, filters=CaseFilters(category=quick.code))
    count_sql = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert len(count_sql) == 1
    assert f"LIMIT {selectors.LIST_TOTAL_CAP + 1}" in count_sql[0]


# --- Scope rules ------------------------------------------------------------------------------------


def list_sql(user, filters=None) -> str:
    qs = selectors.case_list(user=user, filters=filters or CaseFilters())
    return str(qs.query)


def test_open_lists_filter_open_states_with_in_never_not_in(cw):
    for filters in (CaseFilters(open_only=True), CaseFilters(overdue=True), CaseFilters(queue="dispatch")):
        where = list_sql(cw.town_operator, filters).split(" WHERE ", 1)[1]
        assert '"state" IN (' in where
        assert "NOT " not in where.upper()


def test_the_city_scope_is_its_district_ids_not_a_join_on_codes(cw, category):
    inside = report(cw, category)
    other_city = place_create(code="330100", name="别市", level="city")
    other = place_create(code="330102", name="别区", level="district", parent=other_city)
    far_admin = user_create(username="far", password=PASSWORD, display_name="远", phone="13800000020")
    role_assign(user=far_admin, role="city_admin", place=other_city)
    sql = list_sql(cw.city_admin)
    assert "LIKE" not in sql.upper() and "places_place" not in sql.split("WHERE")[1]
    assert f'"district_id" = {cw.district.pk}' in sql or f'"district_id" IN ({cw.district.pk})' in sql
    assert [c.pk for c in selectors.case_list(user=cw.city_admin)] == [inside.pk]
    assert not selectors.case_list(user=far_admin).exists()
    assert access.city_district_ids(other_city) == [other.pk]


def test_the_agency_scope_needs_no_distinct_and_lists_a_case_once(cw, category):
    case = walk(cw, report(cw, category), PATHS["town"])
    services.case_act(
        case=case, action="dispatch", actor=cw.town_operator, agency=cw.agency, co_agencies=[cw.agency_b]
    )
    # Staff of both agencies, lead and co-handler: the case once, in both lists.
    both = user_create(username="both", password=PASSWORD, display_name="两家", phone="13800000021")
    role_assign(user=both, role="agency_staff", agency=cw.agency)
    role_assign(user=both, role="agency_staff", agency=cw.agency_b)
    for user in (cw.agency_staff, cw.agency_b_staff, both):
        sql = list_sql(user)
        assert "DISTINCT" not in sql.upper()
        assert [c.pk for c in selectors.case_list(user=user)] == [case.pk]
        assert selectors.list_total(user=user, filters=CaseFilters()) == 1
    assert [
        c.pk for c in selectors.case_list(user=cw.agency_b_staff, filters=CaseFilters(agency=cw.agency_b.pk))
    ] == [case.pk]
    assert not selectors.case_list(user=cw.outsider).exists()


def test_an_agency_total_counts_its_lead_and_co_handled_cases_apart(cw, category, monkeypatch):
    """A quiet agency's capped count must not read the table in id order looking for the cap: each
    part of its scope is counted through its own index, without the parts before it."""
    cases = [walk(cw, report(cw, category), PATHS["town"]) for _ in range(3)]
    for case, (lead, co) in zip(
        cases, [(cw.agency, []), (cw.agency, [cw.agency_b]), (cw.agency_b, [cw.agency])], strict=True
    ):
        services.case_act(case=case, action="dispatch", actor=cw.town_operator, agency=lead, co_agencies=co)
    with CaptureQueriesContext(connection) as captured:
        total = selectors.list_total(user=cw.agency_staff, filters=CaseFilters())
    assert (total, total.exact) == (3, True)
    counted = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert len(counted) == 1 and counted[0].upper().count("COUNT(") == 2
    assert " OR " not in counted[0].upper()
    assert selectors.list_total(user=cw.agency_b_staff, filters=CaseFilters()) == 2
    assert selectors.list_total(user=cw.agency_staff, filters=CaseFilters(state=cases[0].state)) == 3
    monkeypatch.setattr(selectors, "LIST_TOTAL_CAP", 1)
    total = selectors.list_total(user=cw.agency_staff, filters=CaseFilters())
    assert (total, total.exact) == (1, False)


def test_an_agency_list_is_read_part_by_part_and_merged_in_its_order(cw, category):
    """Lead and co-handled cases, each part through its own index, merged: the same cases in the same
    order as the one query of the OR, page after page, for both orders."""
    cases = [walk(cw, report(cw, category), PATHS["town"]) for _ in range(5)]
    plans = [
        (cw.agency, []),
        (cw.agency_b, [cw.agency]),
        (cw.agency, [cw.agency_b]),
        (cw.agency_b, [cw.agency]),
        None,
    ]
    for case, plan in zip(cases, plans, strict=True):
        if plan:
            services.case_act(
                case=case, action="dispatch", actor=cw.town_operator, agency=plan[0], co_agencies=plan[1]
            )
    Case.objects.filter(pk=cases[1].pk).update(is_overdue=True)  # first in the urgency order
    for filters in (CaseFilters(), CaseFilters(open_only=True)):
        expected = [c.pk for c in selectors.case_list(user=cw.agency_staff, filters=filters)]
        assert len(expected) == 4
        with CaptureQueriesContext(connection) as captured:
            page = selectors.case_page(user=cw.agency_staff, filters=filters, size=3)
        # The first page's statements: no OR (a later page's cursor condition has its own).
        assert captured and all(" OR " not in q["sql"] for q in captured)
        seen = [c.pk for c in page.items]
        while page.next_cursor:
            page = selectors.case_page(user=cw.agency_staff, filters=filters, cursor=page.next_cursor, size=3)
            seen += [c.pk for c in page.items]
        assert seen == expected


def test_the_category_filter_uses_the_ids_of_its_family_retired_classes_too(cw, category, quick):
    pothole = report(cw, category)
    other = report(cw, quick, photos=[])
    retired = Category.objects.create(
        code="C0299", name="旧小类", kind="component", parent=category.parent, is_active=False
    )
    Case.objects.filter(pk=other.pk).update(category=retired)
    figures.rebuild()  # no service changes a category: the test moved the case's new-case figure by hand
    sql = list_sql(cw.town_operator, CaseFilters(category="C02"))
    assert '"category_id" IN (' in sql
    assert '"code"' not in sql.split("WHERE")[1]
    found = {c.pk for c in selectors.case_list(user=cw.town_operator, filters=CaseFilters(category="C02"))}
    assert found == {pothole.pk, other.pk}
    only = selectors.case_list(user=cw.town_operator, filters=CaseFilters(category="C0299"))
    assert [c.pk for c in only] == [other.pk]
    assert not selectors.case_list(user=cw.town_operator, filters=CaseFilters(category="Z99")).exists()


@pytest.mark.parametrize(
    "level,expected",
    [
        ("grid_a1a", True),
        ("village_a1", True),
        ("town_a", True),
        ("district", True),
        ("city", True),
        ("town_b", False),
        ("grid_a1b", False),
    ],
)
def test_the_region_filter_is_one_column_of_the_place(cw, category, level, expected):
    case = report(cw, category)
    place = getattr(cw, level)
    filters = CaseFilters(region=place.code)
    sql = list_sql(cw.town_operator, filters)
    assert "places_place" not in sql.split("WHERE")[1]
    found = list(selectors.case_list(user=cw.town_operator, filters=filters))
    assert ([c.pk for c in found] == [case.pk]) is expected
    # A region outside the scope still shows nothing of it.
    assert not selectors.case_list(user=cw.outsider, filters=filters).exclude(town=cw.town_b).exists()


def test_an_unknown_region_matches_nothing(cw, category):
    report(cw, category)
    assert not selectors.case_list(user=cw.town_operator, filters=CaseFilters(region="999999")).exists()


def test_overdue_true_lists_only_open_overdue_steps(cw, category, client_for):
    late = walk(cw, report(cw, category), PATHS["town"])
    report(cw, category)
    Case.objects.filter(pk=late.pk).update(is_overdue=True)
    body = api(client_for(cw.town_operator), API, overdue="true")
    assert numbers(body["items"]) == [late.tracking_number]
    assert numbers(api(client_for(cw.outsider), API, overdue="true")["items"]) == []


def test_an_outsider_sees_nothing_in_any_list(login, cw, category, client_for):
    for state in ("reported", "town", "dispatched", "closed"):
        walk(cw, report(cw, category), PATHS[state])
    client = client_for(cw.outsider)
    for params in (
        {},
        {"state": "closed"},
        {"queue": "verify"},
        {"overdue": "true"},
        {"region": cw.town_a.code},
    ):
        body = api(client, API, **params)
        assert (body["items"], body["count"], body["next"]) == ([], 0, None), params
    page = login(cw.outsider).get(QUEUE)
    assert all(tab["count"] == 0 for tab in page.context["tabs"])
    assert not page.context["cases"]


def test_a_staff_member_finds_their_own_report_elsewhere(cw, category, client_for):
    """The outsider (a grid worker of town B) reports in town A: the report is theirs to follow."""
    mine = report(cw, category, reporter=cw.outsider)
    client = client_for(cw.outsider)
    assert numbers(api(client, API, mine="true")["items"]) == [mine.tracking_number]
    assert client.get(f"{API}{mine.tracking_number}").status_code == 200
    # Their work lists hold their grid's cases: an OR of the reporter would let no index walk them.
    assert numbers(api(client, API)["items"]) == []
    where = list_sql(cw.outsider).split(" WHERE ", 1)[1]
    assert "reporter_id" not in where
    # A resident's list is their reports.
    assert numbers(api(client_for(cw.resident), API)["items"]) == []
    resident_report = report(cw, category)
    assert numbers(api(client_for(cw.resident), API)["items"]) == [resident_report.tracking_number]


def test_the_agency_scope_walks_its_list_without_a_union_of_indexes(cw, category):
    """SQLite reads the co-handling arm of an agency's scope row by row (EXISTS) and PostgreSQL hashes
    it; the co-handling tab itself starts from the co-agency rows."""
    scope = list_sql(cw.agency_staff).split(" WHERE ", 1)[1]
    tab = list_sql(cw.agency_staff, CaseFilters(co_agencies=(cw.agency.pk,))).split(" WHERE ", 1)[1]
    if connection.vendor == "sqlite":
        assert "EXISTS" in scope and "EXISTS" in tab and '"id" IN (SELECT' in tab
    else:
        assert '"id" IN (SELECT' in scope and "= ANY(ARRAY(SELECT" in tab


# --- Notifications ----------------------------------------------------------------------------------


def notify(user, case, n: int, *, read: bool = False) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            user=user,
            case=case,
            kind=Notification.Kind.NEW_WORK,
            text=f"n{i}",
            read_at=now if read else None,
        )
        for i in range(n)
    )


def test_notifications_page_by_cursor_newest_first(cw, category, client_for, login):
    case = report(cw, category)
    Notification.objects.filter(user=cw.grid_worker).delete()
    notify(cw.grid_worker, case, 7, read=True)
    notify(cw.grid_worker, case, 5)
    client = client_for(cw.grid_worker)
    expected = list(
        Notification.objects.filter(user=cw.grid_worker)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    seen: list[int] = []
    body = api(client, NOTIFICATIONS_API, limit=3)
    assert (body["count"], body["unread"]) == (12, 5)
    while True:
        seen.extend(item["id"] for item in body["items"])
        if body["next"] is None:
            break
        body = api(client, body["next"])
    assert seen == expected
    unread = api(client, NOTIFICATIONS_API, limit=2, unread="true")
    assert unread["count"] == 5 and len(unread["items"]) == 2
    assert "unread=true" in unread["next"]
    page = login(cw.grid_worker).get(NOTIFICATIONS)
    assert page.context["unread"] == 5
    assert len(page.context["items"]) == 12


def test_unread_counts_stop_at_their_caps(cw, category, login, monkeypatch):
    case = report(cw, category)
    notify(cw.grid_worker, case, 120)
    client = login(cw.grid_worker)
    page = client.get(NOTIFICATIONS)
    assert '<span class="nav-badge">99+' in page.text
    assert selectors.unread_count(cw.grid_worker) == selectors.UNREAD_BADGE_CAP
    monkeypatch.setattr(selectors, "LIST_TOTAL_CAP", 50)
    page = client.get(NOTIFICATIONS)
    assert "50+ unread" in page.text
    assert 'rel="next"' in page.text


# --- The case page -----------------------------------------------------------------------------------


def test_the_case_page_lists_the_cases_merged_into_it(cw, category, login):
    target = report(cw, category)
    duplicate = walk(cw, report(cw, category), [])
    services.case_act(case=duplicate, action="merge", actor=cw.grid_worker, merge_into=target.tracking_number)
    page = login(cw.grid_worker).get(target.get_absolute_url())
    assert duplicate.tracking_number in page.text
