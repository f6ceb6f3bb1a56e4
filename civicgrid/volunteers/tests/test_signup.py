"""Sign-up, the waiting list and the cancellation rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid.core.errors import Conflict, PermissionDenied
from civicgrid.volunteers import selectors, services
from civicgrid.volunteers.models import Signup
from civicgrid.volunteers.tests.conftest import NOW


def sign(vw, volunteer, now=NOW):
    return services.signup_create(activity=vw.activity, volunteer=volunteer, actor=volunteer.user, now=now)


def test_it_confirms_up_to_capacity_then_queues(vw):
    a, b, c, d = vw.members
    assert sign(vw, a).state == "confirmed"
    assert sign(vw, b).state == "confirmed"
    third, fourth = sign(vw, c), sign(vw, d)
    assert third.state == fourth.state == "waiting"
    assert selectors.waiting_position(third) == 1
    assert selectors.waiting_position(fourth) == 2
    assert vw.activity.signups.filter(state="confirmed").count() == 2


def test_it_moves_the_first_in_line_up_when_a_place_is_cancelled(vw):
    a, b, c, d = vw.members
    for v in (a, b, c, d):
        sign(vw, v)
    services.signup_cancel(activity=vw.activity, volunteer=a, actor=a.user, now=NOW)
    states = dict(vw.activity.signups.values_list("volunteer_id", "state"))
    assert states == {a.pk: "cancelled", b.pk: "confirmed", c.pk: "confirmed", d.pk: "waiting"}
    assert selectors.waiting_position(Signup.objects.get(volunteer=d)) == 1


def test_it_refuses_signing_up_twice(vw):
    sign(vw, vw.members[0])
    with pytest.raises(Conflict) as exc:
        sign(vw, vw.members[0])
    assert exc.value.code == "already_signed_up"


def test_a_cancelled_volunteer_signs_up_again_at_the_end_of_the_line(vw):
    a, b, c, _d = vw.members
    for v in (a, b, c):
        sign(vw, v)
    services.signup_cancel(activity=vw.activity, volunteer=a, actor=a.user, now=NOW)
    again = sign(vw, a, NOW + timedelta(minutes=1))
    assert again.state == "waiting"


def test_it_refuses_cancelling_within_the_cutoff_but_the_leader_may(vw):
    a = vw.members[0]
    sign(vw, a)
    late = vw.activity.starts_at - timedelta(hours=23)
    with pytest.raises(Conflict) as exc:
        services.signup_cancel(activity=vw.activity, volunteer=a, actor=a.user, now=late)
    assert exc.value.code == "cancel_too_late"
    assert Signup.objects.get(volunteer=a).state == "confirmed"
    services.signup_cancel(activity=vw.activity, volunteer=a, actor=vw.leader, now=late)
    assert Signup.objects.get(volunteer=a).state == "cancelled"


def test_a_waiting_volunteer_may_leave_the_line_any_time_before_the_start(vw):
    a, b, c, _ = vw.members
    for v in (a, b, c):
        sign(vw, v)
    late = vw.activity.starts_at - timedelta(hours=1)
    assert (
        services.signup_cancel(activity=vw.activity, volunteer=c, actor=c.user, now=late).state == "cancelled"
    )


def test_it_refuses_sign_up_after_it_closes_and_for_someone_else(vw):
    with pytest.raises(Conflict):
        sign(vw, vw.members[0], vw.activity.starts_at)
    with pytest.raises(PermissionDenied):
        services.signup_create(activity=vw.activity, volunteer=vw.members[0], actor=vw.leader, now=NOW)
    assert not Signup.objects.exists()


def test_it_refuses_a_capacity_below_the_places_taken(vw):
    a, b, *_ = vw.members
    sign(vw, a)
    sign(vw, b)
    values = {f: getattr(vw.activity, f) for f in services.ACTIVITY_FIELDS}
    values["capacity"] = 1
    with pytest.raises(Exception) as exc:
        services.activity_update(actor=vw.leader, activity=vw.activity, **values)
    assert "capacity" in exc.value.extra["fields"]


def test_raising_the_capacity_moves_the_line_up(vw):
    a, b, c, d = vw.members
    for v in (a, b, c, d):
        sign(vw, v)
    values = {f: getattr(vw.activity, f) for f in services.ACTIVITY_FIELDS}
    values["capacity"] = 3
    services.activity_update(actor=vw.leader, activity=vw.activity, **values)
    assert Signup.objects.get(volunteer=c).state == "confirmed"
    assert Signup.objects.get(volunteer=d).state == "waiting"
