"""The demo seed: quick, and every state shows."""

from __future__ import annotations

import time

from civicgrid.volunteers import demo
from civicgrid.volunteers.models import Activity, HoursRecord, Signup, Team
from civicgrid.volunteers.signals import hours_approved


def test_the_demo_seed_writes_teams_activities_and_hours_in_every_state(
    world, django_capture_on_commit_callbacks
):
    got = []

    def receiver(sender, record, **kwargs):
        got.append(record)

    hours_approved.connect(receiver)
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            counts = demo.seed(
                [world.village_a1, world.village_b1],
                {"volunteer": world.resident, "village_cadre": world.village_cadre},
            )
        elapsed = time.monotonic() - started
    finally:
        hours_approved.disconnect(receiver)
    assert elapsed < 5
    assert counts["teams"] == 18
    assert Team.objects.filter(community=world.village_a1).count() == 16
    assert set(Activity.objects.values_list("status", flat=True)) == {"closed", "published"}
    assert Signup.objects.filter(state="waiting").exists()
    assert Signup.objects.filter(checked_in_at__isnull=False, activity__status="published").exists()
    statuses = set(HoursRecord.objects.values_list("status", flat=True))
    assert statuses == {"approved", "pending", "declined"}
    assert HoursRecord.objects.filter(kind="correction").count() == 2
    assert HoursRecord.objects.filter(missing_checkout=True).exists()
    assert len(got) == HoursRecord.objects.filter(status="approved").count()
    assert world.resident.volunteer.memberships.get(team__name="巾帼扶贫助残服务队").role == "leader"
