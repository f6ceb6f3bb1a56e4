"""The notifications page: what and where (category, place, step, deadline), grouped per case, "to do"
apart from "for your information", keyset paging and "mark all read" as before, no query per case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import notices, services
from civicgrid.cases.models import Case, Notification
from civicgrid.cases.tests.conftest import PATHS, report, walk

URL = reverse("cases:notifications")


def notice(user, case, kind, *, minutes_ago: int, message=notices.STEP, **params) -> Notification:
    params = {"number": case.tracking_number, "state": case.state, **params}
    n = Notification.objects.create(
        user=user, case=case, kind=kind, text="stored", message=message, params=params
    )
    Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return n


def blocks(html: str) -> list[tuple[str, list[str]]]:
    """Return the page's case groups in order: each case's number and its notifications' ids."""
    found = re.findall(r'data-case="([^"]+)"(.*?)</article>', html, re.S)
    return [(number, re.findall(r'data-notification="(\d+)"', body)) for number, body in found]


def section(html: str, title: str) -> str:
    match = re.search(rf"<h2[^>]*>{title}</h2>(.*?)</section>", html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def page_cases(cw, category):
    Notification.objects.all().delete()
    first = report(cw, category)
    second = report(cw, category, lon=120.715)  # grid A1b
    due = timezone.now() + timedelta(hours=3)
    Case.objects.filter(pk=first.pk).update(step_due_at=due)
    first.refresh_from_db()
    return first, second


def test_each_case_says_what_and_where_with_its_step_and_deadline(cw, page_cases, login):
    first, _second = page_cases
    notice(cw.village_cadre, first, Notification.Kind.NEW_WORK, minutes_ago=5)
    html = login(cw.village_cadre).get(URL).text
    group = re.search(rf'<article[^>]*data-case="{first.tracking_number}".*?</article>', html, re.S).group(0)
    assert first.category.name_en and first.category.name_en in group
    assert "Village A1" in group and "甲一村第1网格" in group
    assert "Reported, to verify" in group
    local = timezone.localtime(first.step_due_at)
    assert f'datetime="{local.isoformat()}"' in group
    assert "is-soon" in group  # due within CASE_DUE_SOON_HOURS


def test_notices_are_grouped_per_case_newest_case_first(cw, page_cases, login):
    first, second = page_cases
    a_old = notice(cw.village_cadre, first, Notification.Kind.NEW_WORK, minutes_ago=30)
    b = notice(cw.village_cadre, second, Notification.Kind.OVERDUE, minutes_ago=20, message=notices.OVERDUE)
    a_new = notice(cw.village_cadre, first, Notification.Kind.DUE_SOON, minutes_ago=10)
    html = login(cw.village_cadre).get(URL).text
    assert blocks(html) == [
        (first.tracking_number, [str(a_new.pk), str(a_old.pk)]),
        (second.tracking_number, [str(b.pk)]),
    ]


def test_only_what_asks_the_reader_to_act_is_to_do(cw, page_cases, login):
    first, second = page_cases
    closed = report(cw, first.category, lon=120.706)
    notice(cw.village_cadre, closed, Notification.Kind.NEW_WORK, minutes_ago=1)
    closed = walk(cw, closed, PATHS["rejected"])
    notice(cw.village_cadre, first, Notification.Kind.RETURNED, minutes_ago=3, message=notices.STEP)
    notice(
        cw.village_cadre,
        second,
        Notification.Kind.RATED,
        minutes_ago=2,
        message=notices.RATED,
        satisfaction="satisfied",
    )
    html = login(cw.village_cadre).get(URL).text
    todo, info = section(html, "To do"), section(html, "For your information")
    assert first.tracking_number in todo
    assert second.tracking_number in info and second.tracking_number not in todo
    # New work on a case that was turned down since asks nothing any more.
    assert closed.tracking_number in info and closed.tracking_number not in todo
    assert "was rated: Satisfied" in info


def test_paging_and_mark_all_read_still_work(cw, page_cases, login):
    first, second = page_cases
    for i in range(20):
        notice(cw.village_cadre, first, Notification.Kind.NEW_WORK, minutes_ago=100 + i)
        notice(cw.village_cadre, second, Notification.Kind.NEW_WORK, minutes_ago=200 + i)
    client = login(cw.village_cadre)
    page = client.get(URL)
    assert len(page.context["items"]) == 30
    cursor = page.context["pager"]["next_cursor"]
    assert cursor and 'rel="next"' in page.text
    rest = client.get(URL, {"cursor": cursor})
    assert len(rest.context["items"]) == 10
    seen = [n.pk for n in page.context["items"]] + [n.pk for n in rest.context["items"]]
    expected = list(
        Notification.objects.filter(user=cw.village_cadre)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert seen == expected
    # The second page holds only the second case's older notices, in one group.
    assert [number for number, _ids in blocks(rest.text)] == [second.tracking_number]
    assert client.get(URL, {"cursor": "garbage"}).status_code == 200
    assert client.post(URL).status_code == 302
    assert "Everything is read." in client.get(URL).text


def test_no_query_per_case(cw, page_cases, login, category):
    first, _second = page_cases
    notice(cw.village_cadre, first, Notification.Kind.NEW_WORK, minutes_ago=5)
    client = login(cw.village_cadre)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(6):
        case = report(cw, category, lon=120.701 + i * 0.001)
        notice(cw.village_cadre, case, Notification.Kind.NEW_WORK, minutes_ago=i)
    with CaptureQueriesContext(connection) as many:
        html = client.get(URL).text
    assert len(blocks(html)) == 7
    assert len(many) == len(few)


def test_each_case_reads_its_category_and_first_words_and_its_address(cw, category, login):
    Notification.objects.all().delete()
    case = report(
        cw,
        category,
        description="井盖缺失，晚上路过的人很容易掉进去，请尽快处理，谢谢。" * 3,
        address="幸福路12号",
    )
    notice(cw.village_cadre, case, Notification.Kind.NEW_WORK, minutes_ago=1)
    html = login(cw.village_cadre).get(URL).text
    group = re.search(rf'<article[^>]*data-case="{case.tracking_number}".*?</article>', html, re.S).group(0)
    summary = re.search(r'notice-group__summary">([^<]*)<', group).group(1)
    assert summary.startswith("井盖缺失，晚上路过的人") and summary.endswith("…")
    assert len(summary) <= notices.SUMMARY_CHARS
    assert "Village A1 · 甲一村第1网格 · 幸福路12号" in group


def test_work_that_moved_on_to_others_is_no_longer_to_do(
    cw, category, login, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case = report(cw, category)
    client = login(cw.grid_worker)
    assert case.tracking_number in section(client.get(URL).text, "To do")
    with django_capture_on_commit_callbacks(execute=True):
        walk(cw, case, PATHS["village"])
    html = client.get(URL).text
    # The grid worker's "new work" of the report stays, as information: the village holds it now.
    assert case.tracking_number not in section(html, "To do")
    assert case.tracking_number in section(html, "For your information")
    assert case.tracking_number in section(login(cw.village_cadre).get(URL).text, "To do")


def test_a_request_is_to_do_only_while_it_waits(cw, case_in, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_in("in_progress")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case = walk(cw, case, [("request_suspension", "agency_staff", {"note": "需列入明年计划"})])
    assert Notification.objects.filter(user=cw.town_operator, kind=Notification.Kind.REQUEST).exists()
    client = login(cw.town_operator)
    assert case.tracking_number in section(client.get(URL).text, "To do")
    with django_capture_on_commit_callbacks(execute=True):
        walk(cw, case, [("approve_request", "town_operator", {})])
    assert case.tracking_number not in section(client.get(URL).text, "To do")


def test_a_digest_on_the_page_costs_no_query_more(cw, page_cases, login, category):
    first, _second = page_cases
    notice(cw.village_cadre, first, Notification.Kind.NEW_WORK, minutes_ago=5)
    client = login(cw.village_cadre)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    Notification.objects.create(
        user=cw.village_cadre,
        case=None,
        kind=Notification.Kind.DIGEST,
        text="stored",
        message=notices.DIGEST,
        params={"cases": 3, "due": 1},
    )
    services.notice_preference_set(user=cw.village_cadre, digest=True, digest_hour=8)
    with CaptureQueriesContext(connection) as many:
        html = client.get(URL).text
    # The new work to do first, the digest for information.
    assert [number for number, _ids in blocks(html)] == [first.tracking_number, "digest"]
    assert len(many) == len(few)


def test_the_first_words_of_a_report_go_to_its_reporter_but_not_to_a_follower_of_a_private_one(
    cw, category, login
):
    Notification.objects.all().delete()
    private = report(cw, category, is_public=False, description="我家楼下井盖缺失")
    for reader in (cw.resident, cw.outsider):
        notice(reader, private, Notification.Kind.UPDATE, minutes_ago=1)
    assert "我家楼下井盖缺失" in login(cw.resident).get(URL).text
    other = login(cw.outsider).get(URL).text
    assert private.tracking_number in other and "我家楼下井盖缺失" not in other
