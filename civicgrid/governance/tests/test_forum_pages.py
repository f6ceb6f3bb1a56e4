"""The grid forum's pages: a grid's topics, a topic, the new-topic form, support, replies, moderation,
the forums a person may open; masked names, hidden topics, outsiders and the anonymous."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.governance import services_forum as services
from civicgrid.governance.models import ForumReply, ForumSupport, ForumTopic
from civicgrid.governance.tests.forum_helpers import meeting, residents, topic
from civicgrid.lib.privacy import mask_phone


@pytest.fixture(autouse=True)
def _no_topic_limit(settings):
    settings.GOVERNANCE_FORUM_TOPICS_PER_DAY = 0


def forum_url(place) -> str:
    return reverse("governance:forum_place", args=[place.code])


def topic_url(t) -> str:
    return reverse("governance:forum_topic", args=[t.pk])


def test_a_resident_opens_the_grid_forum_with_its_topics_and_the_propose_button(gw, login):
    t = topic(gw)
    response = login(gw.resident).get(forum_url(gw.grid_a1a))
    assert response.status_code == 200
    body = response.content.decode()
    assert t.title in body and "I have a proposal" in body
    assert reverse("governance:forum_new", args=[gw.grid_a1a.code]) in body


def test_the_forum_home_takes_a_resident_to_their_village_and_its_grids(gw, login):
    topic(gw)
    client = login(gw.resident)
    response = client.get(reverse("governance:forum_home"))
    assert response.status_code == 302 and response["Location"] == forum_url(gw.village_a1)
    page = client.get(forum_url(gw.village_a1)).content.decode()
    assert forum_url(gw.grid_a1a) in page and forum_url(gw.grid_a1b) in page
    assert "1 open topic" in page and forum_url(gw.grid_b1a) not in page


def test_a_grid_worker_finds_their_grid_from_the_village(gw, login):
    client = login(gw.grid_worker)
    assert client.get(reverse("governance:forum_home"))["Location"] == forum_url(gw.grid_a1a)
    page = client.get(forum_url(gw.village_a1)).content.decode()
    assert forum_url(gw.grid_a1a) in page and forum_url(gw.grid_a1b) not in page


@pytest.mark.parametrize("who", ["outsider", "resident_b"])
def test_outsiders_are_refused_the_forum_of_a1a_and_see_none_of_its_topics(gw, login, who):
    t = topic(gw)
    client = login(getattr(gw, who))
    assert client.get(forum_url(gw.grid_a1a)).status_code == 403
    assert client.get(forum_url(gw.village_a1)).status_code == 403
    assert client.get(topic_url(t)).status_code == 404
    assert client.get(reverse("governance:forum_new", args=[gw.grid_a1a.code])).status_code == 403
    response = client.post(reverse("governance:forum_new", args=[gw.grid_a1a.code]), {"title": "外人提议"})
    assert response.status_code == 403
    assert client.post(reverse("governance:forum_support", args=[t.pk])).status_code == 404
    assert client.post(reverse("governance:forum_reply", args=[t.pk]), {"body": "x"}).status_code == 404
    assert ForumTopic.objects.count() == 1 and not ForumSupport.objects.exists()
    assert not ForumReply.objects.exists()


def test_the_anonymous_are_sent_to_sign_in_and_cannot_post(gw, client):
    t = topic(gw)
    for url in (forum_url(gw.grid_a1a), topic_url(t), reverse("governance:forum_home")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.post(reverse("governance:forum_new", args=[gw.grid_a1a.code]), {"title": "匿名提议"})
    client.post(reverse("governance:forum_support", args=[t.pk]))
    assert ForumTopic.objects.count() == 1 and not ForumSupport.objects.exists()


def test_hidden_topics_are_listed_to_moderators_and_region_staff_only(gw, login):
    shown = topic(gw, title="公开的议题")
    hidden = topic(gw, title="被隐藏的议题")
    services.topic_moderate(actor=gw.grid_worker, topic=hidden, action="hide", note="广告")
    resident_page = login(gw.resident).get(forum_url(gw.grid_a1a)).content.decode()
    assert shown.title in resident_page and hidden.title not in resident_page
    assert login(gw.resident).get(topic_url(hidden)).status_code == 404
    assert (
        login(gw.resident)
        .get(forum_url(gw.grid_a1a) + "?state=hidden")
        .content.decode()
        .count("被隐藏的议题")
        == 0
    )
    for who in ("grid_worker", "village_cadre", "town_operator", "city_admin"):
        page = login(getattr(gw, who)).get(forum_url(gw.grid_a1a)).content.decode()
        assert hidden.title in page, who
        detail = login(getattr(gw, who)).get(topic_url(hidden))
        assert detail.status_code == 200 and "广告" in detail.content.decode(), who


def test_names_are_masked_for_residents_and_whole_for_moderators_never_a_phone(gw, login):
    neighbour = residents(gw.village_a1, 1)[0]  # 张0号
    t = topic(gw, author=neighbour)
    services.reply_create(actor=neighbour, topic=t, body="大家支持一下")
    as_resident = login(gw.resident).get(topic_url(t)).content.decode()
    assert "张**" in as_resident and "张0号" not in as_resident
    as_worker = login(gw.grid_worker).get(topic_url(t)).content.decode()
    assert "张0号" in as_worker
    for page in (as_resident, as_worker, login(gw.resident).get(forum_url(gw.grid_a1a)).content.decode()):
        assert neighbour.phone not in page and mask_phone(neighbour.phone) not in page
    assert "(me)" in login(neighbour).get(topic_url(t)).content.decode()


def test_a_resident_proposes_a_topic_on_the_form(gw, login):
    client = login(gw.resident)
    url = reverse("governance:forum_new", args=[gw.grid_a1a.code])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"title": "", "body": "没有标题"})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    response = client.post(url, {"title": "菜市场门口加装减速带", "body": "车开得太快"})
    t = ForumTopic.objects.get()
    assert response.status_code == 302 and response["Location"] == topic_url(t)
    assert (t.author, t.grid) == (gw.resident, gw.grid_a1a)


def test_the_daily_limit_shows_on_the_form(gw, login, settings):
    settings.GOVERNANCE_FORUM_TOPICS_PER_DAY = 1
    client = login(gw.resident)
    url = reverse("governance:forum_new", args=[gw.grid_a1a.code])
    client.post(url, {"title": "第一个"})
    response = client.post(url, {"title": "第二个"})
    assert response.status_code == 200 and "Please try again tomorrow" in response.content.decode()
    assert ForumTopic.objects.count() == 1


def test_support_on_the_page_once_and_back(gw, login):
    t = topic(gw)
    client = login(gw.resident)
    url = reverse("governance:forum_support", args=[t.pk])
    assert client.get(url).status_code == 405
    client.post(url)
    client.post(url)
    assert ForumTopic.objects.get(pk=t.pk).support_count == 1
    page = client.get(topic_url(t)).content.decode()
    assert "You support this topic." in page and "Take my support back" in page
    client.post(url, {"undo": "1"})
    assert ForumTopic.objects.get(pk=t.pk).support_count == 0


def test_the_support_that_crosses_the_threshold_on_the_page_says_where_it_went(gw, login, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 1
    planned = meeting(gw.village_a1, title="甲一村逢五说事")
    t = topic(gw)
    response = login(gw.resident).post(reverse("governance:forum_support", args=[t.pk]), follow=True)
    body = response.content.decode()
    assert "on the next meeting&#x27;s agenda" in body and planned.title in body
    assert ForumTopic.objects.get(pk=t.pk).state == "on_agenda"


def test_a_topic_with_enough_support_and_no_meeting_says_it_waits(gw, login, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 1
    t = topic(gw)
    services.topic_support(actor=gw.resident, topic=t)
    page = login(gw.resident).get(topic_url(t)).content.decode()
    assert "as soon as the next meeting of the grid or village is planned" in page


def test_replies_on_the_page_and_a_moderator_hides_one(gw, login):
    t = topic(gw)
    client = login(gw.resident)
    url = reverse("governance:forum_reply", args=[t.pk])
    assert client.post(url, {"body": ""}).status_code == 400
    client.post(url, {"body": "请联系我 13912345678"})
    reply = ForumReply.objects.get()
    worker = login(gw.grid_worker)
    refused = worker.post(
        reverse("governance:forum_reply_moderate", args=[reply.pk]), {"action": "hide"}, follow=True
    )
    assert "This field is required." in refused.content.decode()
    worker.post(
        reverse("governance:forum_reply_moderate", args=[reply.pk]), {"action": "hide", "note": "含电话"}
    )
    assert ForumReply.objects.get().is_hidden
    as_resident = login(gw.resident).get(topic_url(t)).content.decode()
    assert "13912345678" not in as_resident and "This reply was hidden by the moderator." in as_resident
    assert "13912345678" in login(gw.grid_worker).get(topic_url(t)).content.decode()
    # Residents may not moderate.
    response = login(gw.resident).post(
        reverse("governance:forum_reply_moderate", args=[reply.pk]), {"action": "unhide"}
    )
    assert response.status_code == 403 and ForumReply.objects.get().is_hidden


def test_moderator_tools_show_to_moderators_only_and_close_a_topic(gw, login):
    t = topic(gw)
    assert "Moderator tools" not in login(gw.resident).get(topic_url(t)).content.decode()
    assert "Moderator tools" in login(gw.grid_leader).get(topic_url(t)).content.decode()
    assert (
        login(gw.resident)
        .post(reverse("governance:forum_moderate", args=[t.pk]), {"action": "close"})
        .status_code
        == 403
    )
    login(gw.grid_leader).post(
        reverse("governance:forum_moderate", args=[t.pk]), {"action": "close", "note": "已办"}
    )
    assert ForumTopic.objects.get(pk=t.pk).state == "closed"


def test_a_moderator_puts_a_topic_on_the_agenda_from_the_page(gw, login):
    planned = meeting(gw.grid_a1a, title="第1网格议事会")
    t = topic(gw)
    response = login(gw.grid_worker).post(
        reverse("governance:forum_moderate", args=[t.pk]), {"action": "agenda"}, follow=True
    )
    assert planned.title in response.content.decode()
    assert planned.agenda.get().topic == t


def test_the_list_is_keyset_paged_hot_and_new(gw, login):
    topics = [topic(gw, author=gw.grid_worker, title=f"议题{i:02d}") for i in range(25)]
    services.topic_support(actor=gw.resident, topic=topics[3])
    client = login(gw.resident)
    first = client.get(forum_url(gw.grid_a1a)).context
    assert [t.title for t in first["topics"]][:2] == ["议题03", "议题24"]
    assert len(first["topics"]) == 20 and first["next_cursor"]
    more = client.get(forum_url(gw.grid_a1a), {"after": first["next_cursor"]}, headers={"HX-Request": "true"})
    assert [t.title for t in more.context["topics"]] == [f"议题{i:02d}" for i in (5, 4, 2, 1, 0)]
    assert "<html" not in more.content.decode()
    seen = [t.id for t in first["topics"]] + [t.id for t in more.context["topics"]]
    assert sorted(seen) == sorted(t.pk for t in topics)
    newest = client.get(forum_url(gw.grid_a1a), {"sort": "new"}).context["topics"]
    assert newest[0].title == "议题24"
    assert client.get(forum_url(gw.grid_a1a), {"after": "zz.1.2"}).status_code == 404


def test_the_topic_list_runs_a_fixed_number_of_queries(gw, login, django_assert_num_queries):
    authors = residents(gw.village_a1, 6)
    for i, author in enumerate(authors):
        t = topic(gw, author=author, title=f"议题{i}")
        services.topic_support(actor=gw.resident, topic=t)
    client = login(gw.resident)
    client.get(forum_url(gw.grid_a1a))  # warm the session
    # Session, user, the grid, scopes; one query per state shown (3); the supports of the page; and
    # the navigation's two (volunteer, unread notices).
    with django_assert_num_queries(10):
        response = client.get(forum_url(gw.grid_a1a))
    assert len(response.context["topics"]) == 6
    for i, author in enumerate(residents(gw.village_a1, 10, prefix="more")):
        topic(gw, author=author, title=f"更多{i}")
    with django_assert_num_queries(10):
        response = client.get(forum_url(gw.grid_a1a))
    assert len(response.context["topics"]) == 16
    worker = Client(headers={"Accept-Language": "en"})
    worker.force_login(gw.grid_worker)
    worker.get(forum_url(gw.grid_a1a))
    # A moderator: the hidden topics too, and the staff navigation's count of work to do.
    with django_assert_num_queries(12):
        worker.get(forum_url(gw.grid_a1a))


def test_the_pages_answer_in_chinese_by_default(gw):
    t = topic(gw)
    client = Client()
    client.force_login(gw.resident)
    assert client.get(topic_url(t)).status_code == 200
    assert client.get(forum_url(gw.grid_a1a)).status_code == 200


def test_everyone_reads_why_a_topic_was_closed_but_not_why_one_was_hidden(gw, login):
    closed = topic(gw, title="已关闭的议题")
    services.topic_moderate(actor=gw.grid_worker, topic=closed, action="close", note="已在说事会上落实")
    page = login(gw.resident).get(topic_url(closed)).content.decode()
    assert "已在说事会上落实" in page and "Topic closed" in page
    hidden = topic(gw, title="先隐藏再恢复")
    services.topic_moderate(actor=gw.grid_worker, topic=hidden, action="hide", note="核实中")
    services.topic_moderate(actor=gw.grid_worker, topic=hidden, action="unhide")
    assert "核实中" not in login(gw.resident).get(topic_url(hidden)).content.decode()
