"""Races on PostgreSQL: supports crossing the agenda threshold together, one person tapping support
ten times, and a meeting being planned while the support that crosses the threshold arrives."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from civicgrid.governance import services_forum as services
from civicgrid.governance.models import AgendaItem, ForumSupport, ForumTopic
from civicgrid.governance.tests.forum_helpers import meeting, residents, topic

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"
    ),
]


def run_together(functions):
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_twenty_supports_racing_past_the_threshold_put_the_topic_on_the_agenda_once(gw, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 10
    planned = meeting(gw.village_a1)
    t = topic(gw)
    people = residents(gw.village_a1, 20)
    results = run_together([lambda p=p: services.topic_support(actor=p, topic=t) for p in people])
    assert all(isinstance(r, ForumTopic) for r in results), results
    fresh = ForumTopic.objects.get(pk=t.pk)
    assert fresh.support_count == 20 == ForumSupport.objects.filter(topic=t).count()
    assert fresh.state == ForumTopic.State.ON_AGENDA
    assert list(AgendaItem.objects.values_list("meeting_id", "topic_id")) == [(planned.pk, t.pk)]


def test_one_person_tapping_support_ten_times_counts_once(gw):
    t = topic(gw)
    results = run_together([lambda: services.topic_support(actor=gw.resident, topic=t) for _ in range(10)])
    assert all(isinstance(r, ForumTopic) for r in results), results
    assert ForumTopic.objects.get(pk=t.pk).support_count == 1 == ForumSupport.objects.count()


def test_a_meeting_planned_while_supports_cross_the_threshold_gets_the_topic_once(gw, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 5
    t = topic(gw)
    people = residents(gw.village_a1, 9)
    for p in people[:4]:
        services.topic_support(actor=p, topic=t)
    grid_meeting = meeting(gw.grid_a1a, days=4)
    village_meeting = meeting(gw.village_a1, days=4)
    calls = [lambda p=p: services.topic_support(actor=p, topic=t) for p in people[4:]]
    calls += [
        lambda: services.topics_to_agenda(grid_meeting),
        lambda: services.topics_to_agenda(village_meeting),
    ]
    results = run_together(calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert list(AgendaItem.objects.values_list("meeting_id", "topic_id")) == [(grid_meeting.pk, t.pk)]
    fresh = ForumTopic.objects.get(pk=t.pk)
    assert (fresh.state, fresh.support_count) == (ForumTopic.State.ON_AGENDA, 9)


def test_two_meetings_planned_at_once_take_a_waiting_topic_once(gw, settings):
    settings.GOVERNANCE_FORUM_AGENDA_SUPPORT = 2
    t = topic(gw)
    for p in residents(gw.village_a1, 2):
        services.topic_support(actor=p, topic=t)
    first, second = meeting(gw.grid_a1a, days=2), meeting(gw.village_a1, days=3)
    results = run_together([lambda m=m: services.topics_to_agenda(m) for m in (first, second)] * 3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert AgendaItem.objects.filter(topic=t).count() == 1
