"""The demo meetings: what they promise every village, on the test region, and a clean delete."""

from __future__ import annotations

from io import StringIO

import pytest
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.governance import demo_meetings
from civicgrid.governance.models import Decision, Meeting, MeetingSeries
from civicgrid.governance.tests.meetings_helpers import village_case
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_village_gets_its_series_held_meetings_and_decisions(gw):
    cadre_b = user_create(username="cadreb", password=PASSWORD, display_name="周乙村干", phone="13800000021")
    role_assign(user=cadre_b, role="village_cadre", place=gw.village_b1)
    case = village_case(gw)
    out = StringIO()
    demo_meetings.load(stdout=out, district_code=gw.district.code)
    assert "2 series, 6 meetings held" in out.getvalue()
    today = timezone.localdate()
    for village in (gw.village_a1, gw.village_b1):
        assert MeetingSeries.objects.filter(
            place=village, name="逢五说事", params={"days": [5, 15, 25]}
        ).exists()
        held = Meeting.objects.filter(village=village, state=Meeting.State.HELD)
        assert held.count() == 3 and all(m.is_published and m.minutes for m in held)
        assert all(m.starts_at < timezone.now() for m in held)
        assert Meeting.objects.filter(
            village=village, state=Meeting.State.PLANNED, starts_at__gte=timezone.now()
        ).exists()
    decisions = Decision.objects.all()
    overdue = [d for d in decisions if d.state == "open" and d.due_on < today]
    done = [d for d in decisions if d.state == "done"]
    assert len(overdue) == 1
    assert done and all(timezone.localdate(d.done_at) <= d.due_on for d in done)
    linked = Decision.objects.get(case=case)
    assert linked.case_action == "handle_in_village"
    assert Case.objects.get(pk=case.pk).state == Case.State.VILLAGE_HANDLING
    assert CaseEvent.objects.filter(case=case, action="handle_in_village").exists()
    meetings = Meeting.objects.count()
    assert demo_meetings.delete(district_code=gw.district.code) == meetings
    assert (
        not Meeting.objects.exists() and not MeetingSeries.objects.exists() and not Decision.objects.exists()
    )
