"""Many volunteers signing up for the last places at once: capacity is never exceeded (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from civicgrid.volunteers import services
from civicgrid.volunteers.models import Signup
from civicgrid.volunteers.tests.conftest import NOW, make_activity, make_volunteer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency"),
]


def test_many_threads_signing_up_for_the_last_places_never_exceed_capacity(world):
    from civicgrid.volunteers.models import Team

    team = services.team_create(
        actor=world.village_cadre, community=world.village_a1, name="队", service_field="other"
    )
    activity = make_activity(team, world.village_cadre, capacity=3)
    volunteers = [make_volunteer(world, f"c{i}", f"并发{i}", f"1370000{i:04d}") for i in range(12)]
    barrier = threading.Barrier(len(volunteers))
    results: list = [None] * len(volunteers)

    def worker(i, volunteer):
        try:
            barrier.wait()
            results[i] = services.signup_create(
                activity=activity, volunteer=volunteer, actor=volunteer.user, now=NOW
            )
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, v)) for i, v in enumerate(volunteers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, Signup) for r in results), results
    assert Signup.objects.filter(activity=activity, state="confirmed").count() == 3
    assert Signup.objects.filter(activity=activity, state="waiting").count() == 9
    assert Team.objects.count() == 1
