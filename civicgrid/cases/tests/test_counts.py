"""Kept counts of cases (civicgrid.cases.counts): every write path moves them, reads sum them.

The root conftest also compares the tallies with a recount after every test that used the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from civicgrid.cases import counts, figures, services
from civicgrid.cases.models import Case, CaseTally
from civicgrid.cases.tests.conftest import PATHS, backdate, report, walk
from civicgrid.cases.workflow import OPEN_STATES

EVERYWHERE = counts.EVERYWHERE
# A point between the two towns: filed unrouted, under village A1 (the nearest grid's village).
BETWEEN = {"lon": 120.7205, "lat": 31.605}


def tallies() -> dict[tuple[int, str], int]:
    """Return the kept counts per (place, state), every day together, rows at 0 left out."""
    result: dict[tuple[int, str], int] = {}
    for (place, state, _day), n in counts.kept().items():
        result[(place, state)] = result.get((place, state), 0) + n
    return result


def test_intake_counts_a_case_under_each_of_its_places_and_everywhere(cw, category):
    case = report(cw, category)
    today = timezone.localdate()
    assert counts.kept() == {
        (place, "reported", today): 1
        for place in (EVERYWHERE, cw.grid_a1a.pk, cw.village_a1.pk, cw.town_a.pk, cw.district.pk)
    }
    assert counts.where(case).places == (
        EVERYWHERE,
        cw.grid_a1a.pk,
        cw.village_a1.pk,
        cw.town_a.pk,
        cw.district.pk,
    )


@pytest.mark.parametrize("state", sorted(PATHS))
def test_every_workflow_path_leaves_the_case_counted_in_its_state_only(cw, category, state):
    case = walk(cw, report(cw, category), PATHS[state])
    assert case.state == state
    for place in (EVERYWHERE, cw.grid_a1a.pk, cw.town_a.pk):
        assert counts.total(places=[place]) == 1
        assert counts.total(places=[place], states=[state]) == 1
    assert counts.by_state(places=[cw.district.pk]) == {state: 1}


def test_a_comment_moves_no_tally(cw, category, django_assert_num_queries):
    case = report(cw, category)
    before = counts.kept()
    services.case_comment(case=case, actor=cw.grid_worker, note="已电话联系")
    assert counts.kept() == before


def test_assigning_a_grid_to_an_unrouted_case_counts_it_under_the_grid(cw, category):
    case = report(cw, category, **BETWEEN)
    assert case.grid_id is None
    assert counts.total(places=[cw.grid_a1b.pk]) == 0
    assert counts.total(places=[cw.village_a1.pk]) == 1
    services.case_act(case=case, action="assign_grid", actor=cw.village_cadre, grid=cw.grid_a1b)
    assert counts.total(places=[cw.grid_a1b.pk], states=["reported"]) == 1
    assert counts.total(places=[cw.village_a1.pk]) == 1
    assert counts.total() == 1


def test_a_merge_moves_the_merged_case_and_leaves_the_target(cw, category):
    target = report(cw, category)
    duplicate = report(cw, category, description="同一个坑")
    services.case_act(case=duplicate, action="merge", actor=cw.grid_worker, merge_into=target.tracking_number)
    assert tallies()[(cw.grid_a1a.pk, "reported")] == 1
    assert tallies()[(cw.grid_a1a.pk, "merged")] == 1


def test_the_sweeps_auto_close_moves_the_case_to_closed(cw, category):
    case = walk(cw, report(cw, category), PATHS["resolved"])
    result = services.cases_sweep(now=case.step_due_at + timedelta(minutes=1))
    assert result.auto_closed == 1
    assert counts.by_state(places=[cw.town_a.pk]) == {"closed": 1}


def test_a_refused_action_moves_no_tally(cw, category):
    case = report(cw, category)
    stale = Case.objects.get(pk=case.pk)
    services.case_act(case=case, action="accept", actor=cw.grid_worker)
    with pytest.raises(Exception):  # noqa: B017 - a conflict, whichever kind
        services.case_act(case=stale, action="reject", actor=cw.grid_worker, note="重复")
    assert counts.by_state(places=[cw.grid_a1a.pk]) == {"accepted": 1}


def test_a_case_is_counted_on_its_local_day(cw, category):
    case = report(cw, category)
    # 00:30 in TIME_ZONE (Asia/Shanghai) is still the previous day in UTC.
    local_midnight = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    case = backdate(case, seconds=(case.created_at - local_midnight).total_seconds() - 30 * 60)
    assert timezone.localtime(case.created_at).hour == 0
    assert case.created_at.astimezone(UTC).date() < timezone.localdate()
    assert counts.total(day_from=timezone.localdate(), day_to=timezone.localdate()) == 1
    assert counts.recount() == counts.kept()


def test_total_sums_places_states_and_days(cw, category):
    today = timezone.localdate()
    report(cw, category)
    report(cw, category, lon=120.715, lat=31.605)  # grid A1b
    old = backdate(report(cw, category), days=3)
    walk(cw, old, PATHS["accepted"])
    report(cw, category, lon=120.805, lat=31.605)  # town B
    assert counts.total() == 4
    assert counts.total(places=[cw.town_a.pk]) == 3
    assert counts.total(places=[cw.grid_a1a.pk, cw.grid_a1b.pk]) == 3
    assert counts.total(places=[cw.town_a.pk], states=OPEN_STATES, day_from=today) == 2
    assert counts.total(places=[cw.town_a.pk], day_to=today - timedelta(days=1)) == 1
    assert counts.total(places=[cw.town_a.pk], states=["closed"]) == 0
    assert counts.by_place(places=[cw.grid_a1a.pk, cw.grid_a1b.pk, cw.grid_b1a.pk]) == {
        cw.grid_a1a.pk: 2,
        cw.grid_a1b.pk: 1,
        cw.grid_b1a.pk: 1,
    }
    assert counts.by_state(places=[cw.village_a1.pk]) == {"reported": 2, "accepted": 1}


def test_scope_places_gives_each_users_regions_once(cw):
    assert counts.scope_places(cw.superuser) == (EVERYWHERE,)
    assert counts.scope_places(cw.town_operator) == (cw.town_a.pk,)
    assert counts.scope_places(cw.grid_worker) == (cw.grid_a1a.pk,)
    assert counts.scope_places(cw.city_admin) == (cw.district.pk,)
    # Agency staff work the agency's cases, which no set of places adds up to; residents their own.
    assert counts.scope_places(cw.agency_staff) is None
    assert counts.scope_places(cw.resident) is None


def test_scope_places_leaves_out_places_within_another_and_narrows_to_an_area(cw):
    from civicgrid.accounts.services import role_assign
    from civicgrid.core import scopes

    role_assign(user=cw.town_operator, role="grid_worker", place=cw.grid_a1a)
    role_assign(user=cw.town_operator, role="grid_worker", place=cw.grid_b1a)
    scopes.forget(cw.town_operator)
    assert counts.scope_places(cw.town_operator) == (cw.town_a.pk, cw.grid_b1a.pk)
    assert counts.scope_places(cw.town_operator, cw.village_a1) == (cw.village_a1.pk,)
    assert counts.scope_places(cw.town_operator, cw.town_b) == (cw.grid_b1a.pk,)
    assert counts.scope_places(cw.town_operator, cw.district) == (cw.town_a.pk, cw.grid_b1a.pk)
    assert counts.scope_places(cw.grid_worker, cw.town_b) == ()
    # A city is not a level cases are filed under: no case matches it as an area.
    assert counts.scope_places(cw.superuser, cw.city) == ()
    assert counts.scope_places(cw.superuser, cw.town_b) == (cw.town_b.pk,)


def test_a_city_administrators_places_are_the_citys_districts(cw):
    from civicgrid.accounts.services import role_assign, user_create

    mayor = user_create(username="mayor", password="Grid-Pass-2026", display_name="市长")
    role_assign(user=mayor, role="city_admin", place=cw.city)
    assert counts.scope_places(mayor) == (cw.district.pk,)


def test_case_counts_check_passes_then_fails_on_a_wrong_tally_and_repair_mends_it(cw, category):
    report(cw, category)
    walk(cw, report(cw, category), PATHS["town"])
    out = StringIO()
    call_command("case_counts", "--check", stdout=out)
    assert "agree" in out.getvalue()

    CaseTally.objects.filter(place_id=cw.town_a.pk, state="town").update(n=5)
    CaseTally.objects.filter(place_id=cw.grid_a1a.pk, state="reported").delete()
    out = StringIO()
    with pytest.raises(CommandError, match="2 case counts differ"):
        call_command("case_counts", "--check", stdout=out)
    assert f"place {cw.town_a.pk}, town, " in out.getvalue()
    assert "kept 5, counted 1" in out.getvalue()
    assert "kept 0, counted 1" in out.getvalue()

    out = StringIO()
    call_command("case_counts", "--repair", stdout=out)
    assert "Rebuilt the case counts: 10 rows" in out.getvalue()  # 2 states × 5 places
    assert counts.differences() == []
    assert counts.total(places=[cw.town_a.pk]) == 2


def test_rebuild_counts_unrouted_cases_and_cases_with_no_place(cw, category, settings):
    report(cw, category, **BETWEEN)
    report(cw, category)
    CaseTally.objects.all().delete()
    counts.rebuild()
    assert counts.recount() == counts.kept()
    assert counts.total() == 2
    assert counts.total(places=[cw.grid_a1a.pk]) == 1
    assert counts.total(places=[cw.village_a1.pk]) == 2


def test_remove_takes_cases_out_before_they_are_deleted(cw, category):
    report(cw, category)
    walk(cw, report(cw, category), PATHS["accepted"])
    counts.remove(Case.objects.filter(state="accepted"))
    assert counts.by_state(places=[EVERYWHERE]) == {"reported": 1}
    counts.add(Case.objects.filter(state="accepted"))
    assert counts.by_state(places=[EVERYWHERE]) == {"reported": 1, "accepted": 1}


def test_a_workflow_action_writes_its_tallies_in_one_statement(cw, category):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = report(cw, category)
    with CaptureQueriesContext(connection) as queries:
        services.case_act(case=case, action="accept", actor=cw.grid_worker)
    tally = [q["sql"] for q in queries if "cases_casetally" in q["sql"]]
    assert len(tally) == 1
    assert tally[0].startswith('INSERT INTO "cases_casetally"')


def test_total_for_counts_a_users_cases_by_area_step_and_day(cw, category):
    walk(cw, report(cw, category), PATHS["accepted"])
    report(cw, category, lon=120.715, lat=31.605)  # grid A1b
    report(cw, category, lon=120.805, lat=31.605)  # town B
    assert counts.total_for(cw.town_operator) == 2
    assert counts.total_for(cw.town_operator, states=["reported"]) == 1
    assert counts.total_for(cw.town_operator, region=cw.grid_a1b.code) == 1
    assert counts.total_for(cw.town_operator, region=cw.town_b.code) == 0
    assert counts.total_for(cw.town_operator, region="329981999") == 0
    assert counts.total_for(cw.superuser) == 3
    assert counts.total_for(cw.grid_worker, day_from=timezone.localdate() + timedelta(days=1)) == 0
    assert counts.total_for(cw.agency_staff) is None


def test_offset_periods_find_each_change_of_a_time_zone_to_the_second():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    lo = datetime(2026, 1, 1, tzinfo=UTC)
    hi = datetime(2026, 12, 31, tzinfo=UTC)
    assert counts.offset_periods(berlin, lo, hi) == [
        (None, 3600),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600),
    ]
    assert counts.offset_periods(ZoneInfo("Asia/Shanghai"), lo, hi) == [(None, 28800)]


def test_the_recount_puts_cases_on_their_local_day_across_a_summer_time_change(cw, category):
    from zoneinfo import ZoneInfo

    from django.test.utils import override_settings

    # Around the spring change of 2026 in Berlin (01:00 UTC on 29 March), and a late evening in winter.
    moments = [
        datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # 23:59:59 local, the 28th
        datetime(2026, 3, 28, 23, 0, 0, tzinfo=UTC),  # 00:00 local, the 29th
        datetime(2026, 3, 29, 21, 59, 59, 500000, tzinfo=UTC),  # 23:59:59.5 summer time, the 29th
        datetime(2026, 3, 29, 22, 0, 0, tzinfo=UTC),  # 00:00 summer time, the 30th
        datetime(2026, 1, 10, 22, 30, tzinfo=UTC),  # 23:30 local, the 10th
    ]
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override(ZoneInfo("Europe/Berlin")):
        for moment in moments:
            case = report(cw, category)
            backdate(case, seconds=(case.created_at - moment).total_seconds())
        days = sorted(d for (p, _s, d) in counts.kept() if p == EVERYWHERE)
        assert [str(d) for d in days] == ["2026-01-10", "2026-03-28", "2026-03-29", "2026-03-30"]
        assert counts.recount() == counts.kept()
        counts.rebuild()
        assert counts.recount() == counts.kept()
        assert counts.total(day_from=date(2026, 3, 29), day_to=date(2026, 3, 29)) == 2
    # Days are local: a deployment that changes TIME_ZONE rebuilds its counts (case_counts --repair)
    # and its figures (case_figures --repair); the reports' figures were kept on Berlin's days.
    assert counts.recount() != counts.kept()
    counts.rebuild()
    figures.rebuild()
