"""The grid forum (大家讲) on a phone, in a browser: a resident proposes a topic in their grid, the
neighbours support it (two on the page, the others through the service) until it crosses the
threshold, it lands on the agenda of the village's planned meeting, and the grid worker hides a reply.

Saves var/screenshots/gov-forum-*.png to be looked at.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.governance import services_forum
from civicgrid.governance.models import AgendaItem, ForumReply, ForumTopic, Meeting
from civicgrid.governance.tests.forum_helpers import residents
from tests.e2e.test_work_pages import sign_in, small_targets

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
THRESHOLD = 4


def _shot(page, screenshots, name: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of a full-page shot
    page.screenshot(path=str(screenshots / f"gov-forum-{name}.png"), full_page=True)
    wider = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wider <= 0, f"{name} scrolls sideways by {wider} px"
    small = small_targets(page)
    assert small == [], f"{name} has controls smaller than 44 px:\n" + "\n".join(small)


@pytest.fixture
def forum_world(e2e_world, settings):
    world = e2e_world
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = THRESHOLD
    village = world.village_a1
    world.meeting = Meeting.objects.create(
        place=village,
        village=village,
        town=village.parent,
        title="甲一村逢五说事会",
        starts_at=timezone.now() + timedelta(days=4),
        venue="村委会二楼会议室",
    )
    world.neighbours = residents(village, THRESHOLD, prefix="linju")
    # Other topics, so the list has company.
    for title, supporters in (("村口垃圾桶太少，经常满出来", 2), ("广场晚上跳舞音乐太响", 1)):
        topic = services_forum.topic_create(actor=world.grid_worker, grid=world.grid_a1a, title=title)
        for person in world.neighbours[:supporters]:
            services_forum.topic_support(actor=person, topic=topic)
    return world


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _support_on_the_page(
    browser, base: str, user, topic: ForumTopic, screenshots=None, name: str = ""
) -> None:
    context, page = _phone(browser)
    sign_in(page, base, user)
    page.goto(f"{base}/governance/forum/topics/{topic.pk}/")
    page.click("[data-testid=support]")
    page.wait_for_selector("[data-testid=unsupport]")
    if screenshots is not None:
        _shot(page, screenshots, name)
    context.close()


def test_a_topic_gains_support_lands_on_the_agenda_and_a_reply_is_hidden(
    browser, live_server, forum_world, screenshots
):
    world = forum_world
    base = live_server.url

    # The resident finds their grid's forum from their village and proposes a topic.
    context, page = _phone(browser)
    sign_in(page, base, world.resident)
    page.goto(f"{base}/governance/forum/")
    page.wait_for_url(f"{base}/governance/forum/places/{world.village_a1.code}/")
    _shot(page, screenshots, "village")
    page.click(f"a[href='/governance/forum/places/{world.grid_a1a.code}/']")
    page.wait_for_selector("[data-testid=propose]")
    _shot(page, screenshots, "grid")
    page.click("[data-testid=propose]")
    page.fill("#id_title", "学校后面的小路装路灯")
    page.fill("#id_body", "学校后面那条小路晚上没有灯，孩子放学和老人散步都不安全，希望装几盏路灯。")
    _shot(page, screenshots, "new")
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-testid=topic]")
    topic = ForumTopic.objects.get(title="学校后面的小路装路灯")
    assert topic.author == world.resident and topic.grid == world.grid_a1a
    assert page.text_content("[data-testid=support-count]").strip() == "0"
    _shot(page, screenshots, "topic-new")

    # Neighbours support it: one on the page, two through the service; one more on the page crosses.
    first, second, third, last = world.neighbours
    _support_on_the_page(browser, base, first, topic, screenshots, "supported")
    for person in (second, third):
        services_forum.topic_support(actor=person, topic=topic)
    assert ForumTopic.objects.get(pk=topic.pk).state == ForumTopic.State.OPEN
    assert not AgendaItem.objects.filter(topic=topic).exists()

    last_context, last_page = _phone(browser)
    sign_in(last_page, base, last)
    last_page.goto(f"{base}/governance/forum/topics/{topic.pk}/")
    assert last_page.text_content("[data-testid=support-count]").strip() == str(THRESHOLD - 1)
    last_page.click("[data-testid=support]")
    last_page.wait_for_selector("[data-testid=unsupport]")
    assert last_page.text_content("[data-testid=support-count]").strip() == str(THRESHOLD)
    assert world.meeting.title in last_page.text_content("main")
    _shot(last_page, screenshots, "on-agenda")

    fresh = ForumTopic.objects.get(pk=topic.pk)
    assert (fresh.state, fresh.support_count) == (ForumTopic.State.ON_AGENDA, THRESHOLD)
    item = AgendaItem.objects.get(topic=topic)
    assert (item.meeting, item.source) == (world.meeting, AgendaItem.Source.TOPIC)

    # A neighbour replies with a phone number in it; the grid worker hides that reply.
    last_page.fill("#id_body", "我家就在路口，晚上可以打我电话 13912345678 一起去看")
    last_page.click(".forum-reply-form button[type=submit]")
    last_page.wait_for_selector("[data-reply]")
    reply = ForumReply.objects.get(topic=topic)
    last_context.close()

    worker_context, worker_page = _phone(browser)
    sign_in(worker_page, base, world.grid_worker)
    worker_page.goto(f"{base}/governance/forum/topics/{topic.pk}/")
    row = worker_page.locator(f"#reply-{reply.pk}")
    row.locator("summary").click()
    row.locator("input[name=note]").fill("含个人电话，已隐藏")
    _shot(worker_page, screenshots, "moderating")
    row.locator("button[value=hide]").click()
    worker_page.wait_for_selector(f"#reply-{reply.pk}.forum-reply--hidden")
    _shot(worker_page, screenshots, "moderated")
    assert ForumReply.objects.get(pk=reply.pk).is_hidden
    worker_context.close()

    # The resident sees the topic on the agenda and the reply hidden, without its words.
    page.goto(f"{base}/governance/forum/topics/{topic.pk}/")
    text = page.text_content("main")
    assert "13912345678" not in text and world.meeting.title in text
    _shot(page, screenshots, "topic-resident")
    page.goto(f"{base}/governance/forum/places/{world.grid_a1a.code}/")
    titles = page.locator(".forum-card__title").all_text_contents()
    assert titles[0] == "学校后面的小路装路灯"
    _shot(page, screenshots, "grid-after")
    context.close()
