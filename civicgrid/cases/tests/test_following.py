"""Following a case instead of reporting it again: the service, the notifications, the API, the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseFollower, Notification
from civicgrid.cases.services.following import case_follow
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.core.errors import Conflict
from conftest import PASSWORD

SIMILAR = "/api/v1/cases/similar"
HERE = {"lon": 120.705, "lat": 31.605}


@pytest.fixture
def neighbour(cw):
    """A second resident of the village, who sees the same pothole."""
    user = user_create(username="neighbour", password=PASSWORD, display_name="陈邻居", phone="13800000011")
    role_assign(user=user, role="resident", place=cw.village_a1)
    return user


def client_for(user=None) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def follow_url(number: str) -> str:
    return f"/api/v1/cases/{number}/follow"


# ---------------------------------------------------------------------------------------------
# The service


def test_following_twice_is_one_follow(cw, category, neighbour):
    case = report(cw, category)
    first = case_follow(case=case, user=neighbour)
    again = case_follow(case=case, user=neighbour)
    assert first.created and not again.created
    assert again.follower.pk == first.follower.pk
    assert CaseFollower.objects.filter(case=case).count() == 1
    # Following writes nothing on the record.
    assert list(case.events.values_list("action", flat=True)) == ["report"]


@pytest.mark.parametrize("state", ["closed", "rejected"])
def test_a_case_no_longer_open_cannot_be_followed(cw, category, neighbour, state):
    case = walk(cw, report(cw, category), PATHS[state])
    with pytest.raises(Conflict) as refused:
        case_follow(case=case, user=neighbour)
    assert refused.value.code == "case_not_open"
    assert not CaseFollower.objects.exists()


def test_the_reporter_does_not_follow_their_own_report(cw, category):
    case = report(cw, category)
    with pytest.raises(Conflict):
        case_follow(case=case, user=cw.resident)
    assert not CaseFollower.objects.exists()


# ---------------------------------------------------------------------------------------------
# Notifications


def follower_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("id"))


def test_followers_are_told_when_the_case_is_resolved_and_closed(cw, category, neighbour):
    case = report(cw, category, address="甲一村路口")
    case_follow(case=case, user=neighbour)
    case = walk(cw, case, PATHS["in_progress"])
    assert follower_notices(neighbour) == []  # the handling steps are the staff's
    # The agency's answer is a reply to the reporter: followers read it too.
    case = walk(cw, case, PATHS["checking"][-1:])
    assert [n.text for n in follower_notices(neighbour)][-1].endswith("已修复")
    case = walk(cw, case, [("pass_check", "grid_worker", {})])
    told = follower_notices(neighbour)[1:]
    assert len(told) == 1
    assert told[0].kind == Notification.Kind.UPDATE and told[0].case_id == case.pk
    # What and where, in the site's language.
    assert case.tracking_number in told[0].text
    assert "道路破损坑洼" in told[0].text and "甲一村路口" in told[0].text
    walk(cw, case, PATHS["closed"][-1:])
    assert len(follower_notices(neighbour)) == 3
    # The reporter is told by the workflow's own rows, not twice as a follower.
    assert not Notification.objects.filter(
        user=cw.resident, message__startswith="A report you follow"
    ).exists()


def test_followers_are_told_of_a_rejection_and_a_reply(cw, category, neighbour):
    case = report(cw, category)
    case_follow(case=case, user=neighbour)
    services.case_comment(case=case, actor=cw.grid_worker, note="明天上午来修", reply=True)
    services.case_comment(case=case, actor=cw.grid_worker, note="内部备注")
    told = follower_notices(neighbour)
    assert len(told) == 1 and "明天上午来修" in told[0].text
    walk(cw, case, [("reject", "grid_worker", {"note": "不在本网格"})])
    assert len(follower_notices(neighbour)) == 2


def test_nobody_else_is_told(cw, category, neighbour):
    case = report(cw, category)
    walk(cw, case, PATHS["resolved"])
    assert follower_notices(neighbour) == []


# ---------------------------------------------------------------------------------------------
# The API


def test_similar_answers_public_summaries_only(cw, category, neighbour):
    case = report(cw, category, address="甲一村路口", reporter_phone="13912345678")
    response = client_for(neighbour).get(SIMILAR, {**HERE, "category": "C0201", "text": "路面有坑"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["radius_m"] == 150 and body["window_days"] == 7
    [item] = body["items"]
    assert item["tracking_number"] == case.tracking_number
    assert item["category"] == "Damaged road or pothole"
    assert item["same_category"] is True and item["distance_m"] < 1
    assert item["photo_url"].endswith("/thumb/")
    text = response.content.decode()
    assert "13912345678" not in text and "王居民" not in text and "resident" not in text


def test_similar_refuses_a_stranger_and_bad_input(cw, category, neighbour):
    assert client_for().get(SIMILAR, HERE).status_code == 401
    client = client_for(neighbour)
    assert client.get(SIMILAR, {"lat": 31.6}).status_code == 400
    bad = client.get(SIMILAR, {**HERE, "category": "NOPE"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert client.get(SIMILAR, {**HERE, "crs": "mars"}).status_code == 400


def test_similar_takes_the_map_s_coordinates(cw, category, neighbour):
    from civicgrid.lib.geo import wgs84_to_gcj02

    case = report(cw, category)
    lon, lat = wgs84_to_gcj02(HERE["lon"], HERE["lat"])
    body = (
        client_for(neighbour)
        .get(SIMILAR, {"lon": lon, "lat": lat, "crs": "gcj02", "category": "C0201"})
        .json()
    )
    assert [i["tracking_number"] for i in body["items"]] == [case.tracking_number]


def test_follow_endpoint(cw, category, neighbour):
    case = report(cw, category)
    client = client_for(neighbour)
    first = client.post(follow_url(case.tracking_number))
    assert first.status_code == 201 and first.json()["created"] is True
    again = client.post(follow_url(case.tracking_number))
    assert again.status_code == 200 and again.json()["created"] is False
    assert CaseFollower.objects.get().source == CaseFollower.Source.API


def test_follow_endpoint_refusals(cw, category, neighbour):
    case = report(cw, category)
    private = report(cw, category, is_public=False)
    closed = walk(cw, report(cw, category), PATHS["closed"])
    assert client_for().post(follow_url(case.tracking_number)).status_code == 401
    client = client_for(neighbour)
    assert client.post(follow_url("20990101-0001")).status_code == 404
    assert client.post(follow_url(private.tracking_number)).status_code == 404
    refused = client.post(follow_url(closed.tracking_number))
    assert refused.status_code == 409 and refused.json()["code"] == "case_not_open"
    assert client_for(cw.resident).post(follow_url(case.tracking_number)).status_code == 409
    csrf_client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    csrf_client.force_login(neighbour)
    assert csrf_client.post(follow_url(case.tracking_number)).status_code == 403
    assert not CaseFollower.objects.exists()


# ---------------------------------------------------------------------------------------------
# The pages


def test_the_report_page_offers_the_similar_step_to_a_signed_in_reporter(cw, neighbour):
    page = client_for(neighbour).get("/cases/report/")
    text = page.content.decode()
    assert 'data-similar-url="/api/v1/cases/similar"' in text
    assert "similar reports nearby — add yours to one of them?" in text
    assert "Add mine to this one" in text and "Report it separately" in text
    assert 'id="follow-form"' in text
    # Anonymous reporters cannot follow: no step, the report is sent as it is.
    assert "data-similar-url" not in client_for().get("/cases/report/").content.decode()


def test_add_mine_makes_a_follower_and_no_case(cw, category, neighbour):
    case = report(cw, category)
    cases_before = Case.objects.count()
    client = client_for(neighbour)
    response = client.post("/cases/report/", {"follow": case.tracking_number})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?followed={case.tracking_number}")
    assert Case.objects.count() == cases_before
    assert CaseFollower.objects.filter(case=case, user=neighbour, source="report_page").exists()
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert case.tracking_number in done.content.decode()
    assert "Added to the existing report" in done.content.decode()
    # Another session cannot open that page.
    assert client_for(cw.grid_worker).get(response["Location"]).status_code == 302


def test_add_mine_refused_for_a_closed_case_goes_back_with_the_reason(cw, category, neighbour):
    closed = walk(cw, report(cw, category), PATHS["closed"])
    response = client_for(neighbour).post("/cases/report/", {"follow": closed.tracking_number}, follow=True)
    assert "no longer open" in response.content.decode()
    assert not CaseFollower.objects.exists()


def test_the_verifier_sees_the_followers_masked_and_the_reporter_does_not(cw, category, neighbour):
    case = report(cw, category)
    case_follow(case=case, user=neighbour)
    url = f"/cases/{case.tracking_number}/"
    staff = client_for(cw.grid_worker).get(url).content.decode()
    assert "1 person reported the same problem and follows this case" in staff
    assert "陈**" in staff and "陈邻居" not in staff
    reporter = client_for(cw.resident).get(url).content.decode()
    assert "follows this case" not in reporter and "陈**" not in reporter
    public = client_for().get(f"/cases/status/{case.tracking_number}/").content.decode()
    assert "陈" not in public


def test_a_follower_reads_the_notice_in_their_language_and_opens_the_public_status(cw, category, neighbour):
    case = report(cw, category, address="甲一村路口")
    case_follow(case=case, user=neighbour)
    walk(cw, case, PATHS["resolved"])
    notice = follower_notices(neighbour)[-1]
    client = client_for(neighbour)
    page = client.get("/cases/notifications/").content.decode()
    assert f"A report you follow, {case.tracking_number}" in page  # rendered in English for this reader
    opened = client.get("/cases/notifications/", {"read": notice.pk})
    # Not their report to open as staff or reporter: its public status page.
    assert opened.status_code == 302 and opened["Location"] == f"/cases/status/{case.tracking_number}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
