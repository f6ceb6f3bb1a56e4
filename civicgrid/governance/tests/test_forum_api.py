"""/api/v1/governance/forum: topics, support, replies and moderation through the API, with the same
rules as the pages (masked names, hidden topics, outsiders and the anonymous refused)."""

from __future__ import annotations

import pytest

from civicgrid.governance import services_forum as services
from civicgrid.governance.models import ForumReply, ForumSupport, ForumTopic
from civicgrid.governance.tests.forum_helpers import meeting, residents, topic

BASE = "/api/v1/governance/forum"


@pytest.fixture(autouse=True)
def _no_topic_limit(settings):
    settings.GOVERNANCE_FORUM_TOPICS_PER_DAY = 0


def topics_url(grid) -> str:
    return f"{BASE}/grids/{grid.code}/topics"


def test_a_resident_lists_and_raises_topics(gw, login):
    client = login(gw.resident)
    created = client.post(
        topics_url(gw.grid_a1a), {"title": "小区门口增设快递柜", "body": "快递堆在门口"}, "application/json"
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "open" and data["is_mine"] and data["threshold"] == 10
    listed = client.get(topics_url(gw.grid_a1a)).json()
    assert [t["title"] for t in listed["items"]] == ["小区门口增设快递柜"] and listed["next_cursor"] == ""
    refused = client.post(topics_url(gw.grid_a1a), {"title": ""}, "application/json")
    assert refused.status_code == 400 and "title" in refused.json()["extra"]["fields"]


def test_support_unsupport_and_the_agenda_through_the_api(gw, login, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 2
    planned = meeting(gw.village_a1)
    t = topic(gw)
    client = login(gw.resident)
    url = f"{BASE}/topics/{t.pk}/support"
    assert client.post(url).json()["support_count"] == 1
    assert client.post(url).json()["support_count"] == 1
    back = client.delete(url).json()
    assert (back["support_count"], back["supported"]) == (0, False)
    client.post(url)
    other = residents(gw.village_a1, 1)[0]
    data = login(other).post(url).json()
    assert data["state"] == "on_agenda" and data["agenda"]["meeting_id"] == planned.pk
    assert ForumTopic.objects.get(pk=t.pk).support_count == 2


def test_replies_and_moderation_through_the_api(gw, login):
    t = topic(gw)
    reply = login(gw.resident).post(f"{BASE}/topics/{t.pk}/replies", {"body": "赞成"}, "application/json")
    assert reply.status_code == 201
    reply_id = reply.json()["id"]
    worker = login(gw.grid_worker)
    no_note = worker.post(f"{BASE}/replies/{reply_id}/moderate", {"action": "hide"}, "application/json")
    assert no_note.status_code == 400 and "note" in no_note.json()["extra"]["fields"]
    hidden = worker.post(
        f"{BASE}/replies/{reply_id}/moderate", {"action": "hide", "note": "无关"}, "application/json"
    )
    assert hidden.json()["is_hidden"] and hidden.json()["body"] == "赞成"
    as_resident = login(gw.resident).get(f"{BASE}/topics/{t.pk}/replies").json()["items"]
    assert as_resident[0]["is_hidden"] and as_resident[0]["body"] == ""
    closed = login(gw.grid_worker).post(
        f"{BASE}/topics/{t.pk}/moderate", {"action": "close"}, "application/json"
    )
    assert closed.json()["state"] == "closed"
    again = login(gw.resident).post(f"{BASE}/topics/{t.pk}/support")
    assert again.status_code == 409 and again.json()["code"] == "topic_closed"
    by_resident = login(gw.resident).post(
        f"{BASE}/topics/{t.pk}/moderate", {"action": "hide", "note": "x"}, "application/json"
    )
    assert by_resident.status_code == 403


def test_hidden_topics_and_names_in_the_api(gw, login):
    neighbour = residents(gw.village_a1, 1)[0]
    shown = topic(gw, author=neighbour, title="公开")
    hidden = topic(gw, title="隐藏")
    services.topic_moderate(actor=gw.grid_worker, topic=hidden, action="hide", note="重复")
    as_resident = login(gw.resident).get(topics_url(gw.grid_a1a)).json()["items"]
    assert [(t["title"], t["author"]) for t in as_resident] == [("公开", "张**")]
    assert login(gw.resident).get(f"{BASE}/topics/{hidden.pk}").status_code == 404
    assert login(gw.resident).get(topics_url(gw.grid_a1a), {"state": "hidden"}).json()["items"] == []
    as_operator = login(gw.town_operator).get(topics_url(gw.grid_a1a)).json()["items"]
    assert {t["title"] for t in as_operator} == {"公开", "隐藏"}
    assert {t["author"] for t in as_operator} == {"张0号", "王居民"}
    detail = login(gw.town_operator).get(f"{BASE}/topics/{hidden.pk}").json()
    assert detail["moderation_note"] == "重复" and not detail["can_support"]
    assert login(gw.resident).get(f"{BASE}/topics/{shown.pk}").json()["moderation_note"] == ""


@pytest.mark.parametrize("who", ["outsider", "resident_b"])
def test_outsiders_are_refused_in_the_api(gw, login, who):
    t = topic(gw)
    reply = services.reply_create(actor=gw.resident, topic=t, body="赞成")
    client = login(getattr(gw, who))
    assert client.get(topics_url(gw.grid_a1a)).status_code == 403
    assert client.post(topics_url(gw.grid_a1a), {"title": "外人"}, "application/json").status_code == 403
    assert client.get(f"{BASE}/topics/{t.pk}").status_code == 404
    assert client.post(f"{BASE}/topics/{t.pk}/support").status_code == 404
    assert client.get(f"{BASE}/topics/{t.pk}/replies").status_code == 404
    assert client.post(f"{BASE}/topics/{t.pk}/replies", {"body": "x"}, "application/json").status_code == 404
    moderate = client.post(
        f"{BASE}/replies/{reply.pk}/moderate", {"action": "hide", "note": "x"}, "application/json"
    )
    assert moderate.status_code == 404
    assert ForumTopic.objects.count() == 1 and not ForumSupport.objects.exists()
    assert ForumReply.objects.count() == 1 and not ForumReply.objects.get().is_hidden


def test_the_anonymous_get_401(gw, client):
    t = topic(gw)
    assert client.get(topics_url(gw.grid_a1a)).status_code == 401
    assert client.post(topics_url(gw.grid_a1a), {"title": "匿名"}, "application/json").status_code == 401
    assert client.post(f"{BASE}/topics/{t.pk}/support").status_code == 401
    assert ForumTopic.objects.count() == 1


def test_a_bad_cursor_or_sort_is_a_field_error(gw, login):
    client = login(gw.resident)
    bad = client.get(topics_url(gw.grid_a1a), {"after": "nonsense"})
    assert bad.status_code == 400 and "after" in bad.json()["extra"]["fields"]
    assert client.get(topics_url(gw.grid_a1a), {"sort": "random"}).status_code == 400
    assert client.get(f"{BASE}/grids/000/topics").status_code == 404


def test_the_openapi_document_builds_with_the_forum_schemas(gw, client):
    schema = client.get("/api/v1/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {"GovForumTopicOut", "GovForumTopicDetailOut", "GovForumReplyOut"} <= names
