"""The daily `governance_schedule` command."""

from __future__ import annotations

from datetime import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicgrid.governance import services_meetings as services
from civicgrid.governance.models import Meeting
from civicgrid.governance.tests.meetings_helpers import meetings_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def mw(gw):
    return meetings_world(gw)


def test_it_plans_every_active_series_once(mw):
    active = services.series_create(
        actor=mw.village_cadre,
        place=mw.village_a1,
        name="逢五说事",
        rule="days",
        params={"days": [5, 15, 25]},
        time=time(9),
    )
    paused = services.series_create(
        actor=mw.grid_worker,
        place=mw.grid_a1a,
        name="网格夜谈",
        rule="weekly",
        params={"weekday": 2},
        time=time(19),
        is_active=False,
    )
    out = StringIO()
    call_command("governance_schedule", "--date", "2030-03-01", "--days", "31", stdout=out)
    assert "Planned 3 meetings of 1 series." in out.getvalue()
    days = sorted(
        timezone.localtime(m.starts_at).day
        for m in Meeting.objects.filter(series=active, starts_at__year=2030)
    )
    assert days == [5, 15, 25]
    assert not Meeting.objects.filter(series=paused).exists()
    out = StringIO()
    call_command("governance_schedule", "--date", "2030-03-01", "--days", "31", stdout=out)
    assert "Planned 0 meetings of 1 series." in out.getvalue()


def test_it_refuses_a_bad_date_or_window(mw):
    with pytest.raises(CommandError):
        call_command("governance_schedule", "--date", "1 March", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("governance_schedule", "--days", "0", stdout=StringIO())
