"""The grid forum's services: topics, support once with kept counts, the agenda threshold, the meeting
a topic goes to, moderation, rate limits, and who may write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.governance import services_forum as services
from civicgrid.governance.models import AgendaItem, ForumReply, ForumSupport, ForumTopic, Meeting
from civicgrid.governance.tests.forum_helpers import low_threshold, meeting, residents, topic

__all__ = ["low_threshold"]

State = ForumTopic.State


def _reload(t: ForumTopic) -> ForumTopic:
    return ForumTopic.objects.get(pk=t.pk)


# --- Topics ---------------------------------------------------------------------------------------


def test_a_resident_raises_a_topic_in_a_grid_of_their_village(gw):
    t = topic(gw)
    assert (t.grid, t.village, t.town, t.author) == (gw.grid_a1a, gw.village_a1, gw.town_a, gw.resident)
    assert t.state == State.OPEN and t.support_count == 0 and t.reply_count == 0


def test_a_topic_needs_a_title_of_at_most_80_characters(gw):
    with pytest.raises(ApplicationError) as empty:
        topic(gw, title="   ")
    with pytest.raises(ApplicationError) as long:
        topic(gw, title="长" * 81)
    assert "title" in empty.value.extra["fields"] and "title" in long.value.extra["fields"]
    assert ForumTopic.objects.count() == 0


def test_topics_are_raised_in_a_grid_only(gw):
    with pytest.raises(ApplicationError) as refused:
        topic(gw, grid=gw.village_a1)
    assert refused.value.code == "not_a_grid"


@pytest.mark.parametrize("who", ["outsider", "resident_b", "agency_staff", "town_operator"])
def test_people_of_another_place_and_staff_without_a_home_there_may_not_raise_a_topic_in_grid_a1a(gw, who):
    with pytest.raises(PermissionDenied):
        topic(gw, author=getattr(gw, who))
    assert ForumTopic.objects.count() == 0


def test_the_anonymous_may_not_raise_a_topic(gw):
    with pytest.raises(PermissionDenied):
        topic(gw, author=AnonymousUser())


def test_a_resident_raises_at_most_the_days_limit_of_topics(gw, settings):
    settings.GOVERNANCE_FORUM_TOPICS_PER_DAY = 2
    topic(gw, title="一")
    topic(gw, title="二")
    with pytest.raises(ApplicationError) as refused:
        topic(gw, title="三")
    assert refused.value.code == "rate_limited" and refused.value.status == 429
    # A refused title is not counted; the grid's worker is not limited.
    topic(gw, author=gw.grid_worker, title="网格员的议题")
    assert ForumTopic.objects.count() == 3


# --- Support ------------------------------------------------------------------------------------


def test_a_person_supports_a_topic_once_and_the_count_is_kept(gw):
    t = topic(gw)
    services.topic_support(actor=gw.resident, topic=t)
    again = services.topic_support(actor=gw.resident, topic=t)
    services.topic_support(actor=gw.grid_worker, topic=t)
    assert again.support_count == 1
    assert ForumSupport.objects.filter(topic=t).count() == 2
    assert _reload(t).support_count == 2


def test_taking_support_back_lowers_the_count_once(gw):
    t = topic(gw)
    services.topic_support(actor=gw.resident, topic=t)
    services.topic_unsupport(actor=gw.resident, topic=t)
    services.topic_unsupport(actor=gw.resident, topic=t)
    services.topic_unsupport(actor=gw.village_cadre, topic=t)  # never supported: nothing happens
    assert _reload(t).support_count == 0
    assert not ForumSupport.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "resident_b"])
def test_people_of_another_place_may_not_support_in_grid_a1a(gw, who):
    t = topic(gw)
    with pytest.raises(NotFound):
        services.topic_support(actor=getattr(gw, who), topic=t)
    assert _reload(t).support_count == 0 and not ForumSupport.objects.exists()


def test_a_closed_topic_takes_no_support_or_replies(gw):
    t = topic(gw)
    services.topic_moderate(actor=gw.grid_worker, topic=t, action="close")
    with pytest.raises(Conflict) as refused:
        services.topic_support(actor=gw.resident, topic=t)
    with pytest.raises(Conflict):
        services.reply_create(actor=gw.resident, topic=t, body="我也同意")
    assert refused.value.code == "topic_closed"
    assert _reload(t).support_count == 0 and not ForumReply.objects.exists()


# --- The agenda threshold ---------------------------------------------------------------------


def test_the_support_that_reaches_the_threshold_puts_the_topic_on_the_next_meeting_once(gw, low_threshold):
    later = meeting(gw.village_a1, days=10)
    first = meeting(gw.village_a1, days=2)
    meeting(gw.village_a1, days=-1)  # started already
    meeting(gw.village_a1, days=1, state=Meeting.State.CANCELLED)
    meeting(gw.grid_a1b, days=1)  # another grid's
    t = topic(gw)
    people = residents(gw.village_a1, 4)
    for person in people[:2]:
        services.topic_support(actor=person, topic=t)
    assert _reload(t).state == State.OPEN and not AgendaItem.objects.exists()
    crossed = services.topic_support(actor=people[2], topic=t)
    assert crossed.state == State.ON_AGENDA
    services.topic_support(actor=people[3], topic=t)  # past the threshold: nothing more
    item = AgendaItem.objects.get()
    assert (item.meeting, item.topic, item.source, item.title) == (first, t, "topic", t.title)
    assert item.added_by is None
    assert not later.agenda.exists()
    assert _reload(t).support_count == 4


def test_the_grids_own_meeting_wins_a_tie_and_an_earlier_village_meeting_wins_otherwise(gw, low_threshold):
    grid_meeting = meeting(gw.grid_a1a, days=3)
    village_meeting = meeting(gw.village_a1, days=3)
    t = topic(gw)
    Meeting.objects.filter(pk=village_meeting.pk).update(starts_at=grid_meeting.starts_at)
    assert services.next_meeting(t) == grid_meeting
    Meeting.objects.filter(pk=village_meeting.pk).update(
        starts_at=grid_meeting.starts_at - timedelta(hours=1)
    )
    assert services.next_meeting(t) == village_meeting


def test_a_topic_with_enough_support_waits_for_a_meeting_and_goes_on_when_one_is_planned(gw, low_threshold):
    t = topic(gw)
    other = topic(gw, grid=gw.grid_a1b, title="A1b 的议题")
    few = topic(gw, title="支持不够的议题")
    for person in residents(gw.village_a1, 3):
        services.topic_support(actor=person, topic=t)
        services.topic_support(actor=person, topic=other)
    services.topic_support(actor=gw.resident, topic=few)
    assert _reload(t).state == State.OPEN and not AgendaItem.objects.exists()

    grid_meeting = meeting(gw.grid_a1a, days=5)
    added = services.topics_to_agenda(grid_meeting)
    assert [i.topic for i in added] == [t]
    assert _reload(t).state == State.ON_AGENDA and _reload(other).state == State.OPEN

    village_meeting = meeting(gw.village_a1, days=6)
    added = services.topics_to_agenda(village_meeting)
    assert [(i.meeting, i.topic) for i in added] == [(village_meeting, other)]
    assert services.topics_to_agenda(village_meeting) == []  # again: nothing twice
    assert AgendaItem.objects.count() == 2
    assert _reload(few).state == State.OPEN


def test_a_moderator_puts_an_open_topic_on_the_next_agenda_by_hand(gw):
    t = topic(gw)
    with pytest.raises(ApplicationError) as no_meeting:
        services.topic_to_agenda(actor=gw.grid_worker, topic=t)
    assert no_meeting.value.code == "no_meeting"
    planned = meeting(gw.village_a1)
    with pytest.raises(PermissionDenied):
        services.topic_to_agenda(actor=gw.resident, topic=t)
    item = services.topic_to_agenda(actor=gw.grid_worker, topic=t, note="村民反映多次")
    assert (item.meeting, item.added_by) == (planned, gw.grid_worker)
    assert _reload(t).state == State.ON_AGENDA
    with pytest.raises(Conflict):
        services.topic_to_agenda(actor=gw.grid_worker, topic=t)
    assert AuditEntry.objects.filter(action="governance.forum_topic_agenda", target_id=str(t.pk)).count() == 1


# --- Replies and moderation ---------------------------------------------------------------------


def test_replies_keep_the_topics_count(gw):
    t = topic(gw)
    services.reply_create(actor=gw.resident, topic=t, body="同意")
    services.reply_create(actor=gw.grid_worker, topic=t, body="已记录")
    with pytest.raises(ApplicationError):
        services.reply_create(actor=gw.resident, topic=t, body="  ")
    with pytest.raises(NotFound):  # another place's forum: its topics do not exist for them
        services.reply_create(actor=gw.resident_b, topic=t, body="我不是这里的")
    assert _reload(t).reply_count == 2 == ForumReply.objects.count()


def test_a_moderator_hides_a_topic_with_a_note_and_shows_it_again(gw, low_threshold):
    t = topic(gw)
    with pytest.raises(ApplicationError) as no_note:
        services.topic_moderate(actor=gw.grid_worker, topic=t, action="hide")
    assert "note" in no_note.value.extra["fields"]
    with pytest.raises(PermissionDenied):
        services.topic_moderate(actor=gw.resident, topic=t, action="hide", note="x")
    with pytest.raises(NotFound):
        services.topic_moderate(actor=gw.outsider, topic=t, action="hide", note="x")
    hidden = services.topic_moderate(actor=gw.village_cadre, topic=t, action="hide", note="含个人信息")
    assert (hidden.state, hidden.moderated_by, hidden.moderation_note) == (
        State.HIDDEN,
        gw.village_cadre,
        "含个人信息",
    )
    # Hidden: gone for residents, no support.
    with pytest.raises(NotFound):
        services.topic_support(actor=gw.resident, topic=t)
    with pytest.raises(Conflict):
        services.topic_support(actor=gw.grid_worker, topic=t)
    shown = services.topic_moderate(actor=gw.grid_leader, topic=t, action="unhide")
    assert shown.state == State.OPEN
    actions = list(
        AuditEntry.objects.filter(target_type="governance.forumtopic", target_id=str(t.pk)).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["governance.forum_topic_hide", "governance.forum_topic_unhide"]


def test_a_topic_hidden_on_the_agenda_comes_back_on_it(gw, low_threshold):
    meeting(gw.village_a1)
    t = topic(gw)
    services.topic_to_agenda(actor=gw.grid_worker, topic=t)
    services.topic_moderate(actor=gw.grid_worker, topic=t, action="hide", note="先隐藏")
    assert services.topic_moderate(actor=gw.grid_worker, topic=t, action="unhide").state == State.ON_AGENDA
    assert AgendaItem.objects.count() == 1


def test_a_moderator_closes_a_topic(gw):
    t = topic(gw)
    closed = services.topic_moderate(actor=gw.grid_worker, topic=t, action="close", note="已解决")
    assert closed.state == State.CLOSED
    with pytest.raises(Conflict):
        services.topic_moderate(actor=gw.grid_worker, topic=t, action="close")
    with pytest.raises(ApplicationError):
        services.topic_moderate(actor=gw.grid_worker, topic=t, action="delete")


def test_a_moderator_hides_a_reply_with_a_note_on_the_audit_log(gw):
    t = topic(gw)
    reply = services.reply_create(actor=gw.resident, topic=t, body="王五家电话 13912345678")
    with pytest.raises(PermissionDenied):
        services.reply_moderate(actor=gw.resident, reply=reply, hide=True, note="x")
    with pytest.raises(ApplicationError):
        services.reply_moderate(actor=gw.grid_worker, reply=reply, hide=True, note="")
    services.reply_moderate(actor=gw.grid_worker, reply=reply, hide=True, note="含电话号码")
    assert ForumReply.objects.get(pk=reply.pk).is_hidden
    with pytest.raises(Conflict):
        services.reply_moderate(actor=gw.grid_worker, reply=reply, hide=True, note="again")
    entry = AuditEntry.objects.get(action="governance.forum_reply_hide")
    assert entry.changes["moderation_note"] == "含电话号码" and entry.place_code == gw.grid_a1a.code
    services.reply_moderate(actor=gw.grid_worker, reply=reply, hide=False)
    assert not ForumReply.objects.get(pk=reply.pk).is_hidden
    assert _reload(t).reply_count == 1


def test_a_grid_worker_of_another_grid_does_not_moderate_a1a(gw):
    t = topic(gw)
    with pytest.raises(NotFound):
        services.topic_moderate(actor=gw.outsider, topic=t, action="close")
    assert _reload(t).state == State.OPEN
