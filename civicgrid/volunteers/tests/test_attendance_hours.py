"""QR tokens, the distance rule, hours from attendance, missing check-outs, corrections, approval."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.volunteers import checkin, selectors, services
from civicgrid.volunteers.models import Activity, HoursRecord, Signup
from civicgrid.volunteers.signals import hours_approved
from civicgrid.volunteers.tests.conftest import NOW, make_activity


def signed_up(vw, n=2):
    for v in vw.members[:n]:
        services.signup_create(activity=vw.activity, volunteer=v, actor=v.user, now=NOW)
    return vw.members[:n]


def scan(vw, volunteer, at, **kw):
    token = kw.pop("token", None) or checkin.token_for(vw.activity.pk, at)
    return services.attendance_scan(activity=vw.activity, user=volunteer.user, token=token, now=at, **kw)


# --- Tokens ---------------------------------------------------------------------------------------


def test_a_token_is_accepted_in_its_window_and_the_next_and_refused_after():
    t0 = NOW
    token = checkin.token_for(7, t0)
    assert checkin.token_valid(7, token, t0)
    assert checkin.token_valid(7, token, t0 + timedelta(seconds=30))
    assert not checkin.token_valid(7, token, t0 + timedelta(seconds=60))
    assert not checkin.token_valid(8, token, t0)  # another activity's
    assert not checkin.token_valid(7, token.replace(token[-1], "0" if token[-1] != "0" else "1"), t0)
    assert not checkin.token_valid(7, "garbage", t0)


def test_an_old_code_is_refused_and_writes_nothing(vw):
    (a, _b) = signed_up(vw)
    start = vw.activity.starts_at
    old = checkin.token_for(vw.activity.pk, start - timedelta(minutes=5))
    with pytest.raises(ApplicationError) as exc:
        scan(vw, a, start, token=old)
    assert exc.value.code == "code_expired"
    assert Signup.objects.get(volunteer=a).checked_in_at is None


def test_a_scan_checks_in_then_out(vw):
    (a, _b) = signed_up(vw)
    start = vw.activity.starts_at
    assert scan(vw, a, start - timedelta(minutes=10)).action == "in"
    result = scan(vw, a, start + timedelta(hours=1))
    assert result.action == "out"
    assert result.signup.checked_out_at == start + timedelta(hours=1)


def test_a_scan_is_refused_without_a_confirmed_place(vw):
    signed_up(vw)
    waiting = vw.members[2]
    services.signup_create(activity=vw.activity, volunteer=waiting, actor=waiting.user, now=NOW)
    with pytest.raises(PermissionDenied):
        scan(vw, waiting, vw.activity.starts_at)


def test_the_distance_rule_refuses_far_or_missing_positions(vw):
    values = {f: getattr(vw.activity, f) for f in services.ACTIVITY_FIELDS} | {"checkin_radius_m": 200}
    services.activity_update(actor=vw.leader, activity=vw.activity, **values)
    (a, _b) = signed_up(vw)
    start = vw.activity.starts_at
    with pytest.raises(ApplicationError) as exc:
        scan(vw, a, start)
    assert exc.value.code == "position_required"
    with pytest.raises(ApplicationError) as exc:
        scan(vw, a, start, lon=120.705, lat=31.615)  # about 1.1 km north
    assert exc.value.code == "too_far"
    assert Signup.objects.get(volunteer=a).checked_in_at is None
    assert scan(vw, a, start, lon=120.7051, lat=31.6051).action == "in"


# --- Hours ----------------------------------------------------------------------------------------


def close(vw, at=None):
    return services.activity_close(activity=vw.activity, now=at or vw.activity.ends_at + timedelta(minutes=1))


def test_hours_are_capped_by_the_start_and_the_end(vw):
    (a, b) = signed_up(vw)
    start, end = vw.activity.starts_at, vw.activity.ends_at
    scan(vw, a, start - timedelta(minutes=20))
    scan(vw, a, end + timedelta(minutes=40))
    scan(vw, b, start + timedelta(minutes=30))
    scan(vw, b, start + timedelta(minutes=75))
    records = {r.volunteer_id: r for r in close(vw)}
    assert records[a.pk].minutes == 120
    assert records[b.pk].minutes == 45
    assert all(r.status == "pending" and not r.missing_checkout for r in records.values())
    assert Activity.objects.get(pk=vw.activity.pk).status == "closed"


@pytest.mark.parametrize(("rule", "minutes"), [("scheduled", 90), ("none", 0)])
def test_a_missing_check_out_is_flagged_and_credited_by_the_setting(vw, rule, minutes):
    (a, _b) = signed_up(vw)
    scan(vw, a, vw.activity.starts_at + timedelta(minutes=30))
    with override_settings(VOLUNTEER_MISSING_CHECKOUT=rule):
        (record,) = close(vw)
    assert record.missing_checkout
    assert record.minutes == minutes


def test_the_command_closes_ended_activities_once(vw):
    (a, _b) = signed_up(vw)
    scan(vw, a, vw.activity.starts_at)
    later = make_activity(vw.team, vw.leader, starts_at=NOW + timedelta(days=30))
    with pytest.raises(Conflict):
        services.activity_close(activity=later, now=NOW)
    closed, written = services.activities_close_ended(now=vw.activity.ends_at + timedelta(hours=3))
    assert (closed, written) == (1, 1)
    assert services.activities_close_ended(now=vw.activity.ends_at + timedelta(hours=4)) == (0, 0)
    assert HoursRecord.objects.count() == 1
    call_command("volunteer_close_activities", stdout=__import__("io").StringIO())


def test_hours_records_refuse_edits_and_deletes(vw):
    (a, _b) = signed_up(vw)
    scan(vw, a, vw.activity.starts_at)
    (record,) = close(vw)
    record = HoursRecord.objects.get(pk=record.pk)
    record.minutes = 999
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        HoursRecord.objects.all().delete()
    with pytest.raises(TypeError):
        HoursRecord.objects.filter(pk=record.pk).update(minutes=1)
    assert HoursRecord.objects.get(pk=record.pk).minutes == 120


@pytest.fixture
def announced():
    got = []

    def receiver(sender, record, **kwargs):
        got.append(record)

    hours_approved.connect(receiver)
    yield got
    hours_approved.disconnect(receiver)


def attended(vw):
    (a, _b) = signed_up(vw)
    scan(vw, a, vw.activity.starts_at)
    scan(vw, a, vw.activity.ends_at)
    (record,) = close(vw)
    return a, record


def test_approval_announces_once_after_commit(vw, django_capture_on_commit_callbacks, announced):
    a, record = attended(vw)
    with django_capture_on_commit_callbacks(execute=True):
        services.hours_decide(record=record, actor=vw.leader, approve=True)
    assert len(announced) == 1
    message = announced[0]
    assert (message.record_id, message.minutes, message.kind, message.user_id) == (
        record.pk,
        120,
        "attendance",
        a.user_id,
    )
    assert message.community_id == vw.world.village_a1.pk and message.service_field == "environment"
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        services.hours_decide(record=record, actor=vw.leader, approve=True)
    assert len(announced) == 1


def test_nothing_is_announced_when_the_approval_rolls_back(vw, django_capture_on_commit_callbacks, announced):
    from django.db import transaction

    _a, record = attended(vw)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.hours_decide(record=record, actor=vw.leader, approve=True)
        raise RuntimeError("rolled back")
    assert callbacks == [] and announced == []
    assert HoursRecord.objects.get(pk=record.pk).status == "pending"


def test_declining_needs_a_reason_and_sends_nothing(vw, django_capture_on_commit_callbacks, announced):
    _a, record = attended(vw)
    with pytest.raises(ApplicationError):
        services.hours_decide(record=record, actor=vw.leader, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.hours_decide(record=record, actor=vw.leader, approve=False, reason="未到场")
    assert HoursRecord.objects.get(pk=record.pk).status == "declined"
    assert announced == []


def test_corrections_are_new_records_and_the_record_is_their_sum(
    vw, django_capture_on_commit_callbacks, announced
):
    a, record = attended(vw)
    with django_capture_on_commit_callbacks(execute=True):
        services.hours_decide(record=record, actor=vw.leader, approve=True)
    correction = services.hours_correct(original=record, minutes=-30, reason="提前离开", actor=vw.leader)
    assert correction.status == "pending" and correction.corrects_id == record.pk
    with pytest.raises(ApplicationError):
        services.hours_correct(original=record, minutes=-100, reason="太多", actor=vw.leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.hours_decide(record=correction, actor=vw.world.village_cadre, approve=True)
    assert HoursRecord.objects.get(pk=record.pk).minutes == 120
    assert selectors.hours_totals(a).approved == 90
    assert [m.minutes for m in announced] == [120, -30]
    assert announced[1].kind == "correction" and announced[1].corrects_id == record.pk
    assert sum(line["minutes"] for line in selectors.record_lines(volunteer=a)) == 90


def test_a_leader_does_not_approve_their_own_hours(vw):
    record = services.hours_record_manual(
        actor=vw.world.village_cadre,
        team=vw.team,
        volunteer=vw.leader_volunteer,
        minutes=60,
        day=date(2026, 5, 1),
        content="入户走访",
        reason="活动外的服务",
    )
    with pytest.raises(PermissionDenied):
        services.hours_decide(record=record, actor=vw.leader, approve=True)
    assert (
        services.hours_decide(record=record, actor=vw.world.village_cadre, approve=True).status == "approved"
    )


# --- Certificates -----------------------------------------------------------------------------------


def test_certificates_are_numbered_per_community_and_year(vw):
    a, record = attended(vw)
    services.hours_decide(record=record, actor=vw.leader, approve=True)
    first = services.certificate_issue(
        actor=vw.world.village_cadre,
        volunteer=a,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        now=NOW,
    )
    second = services.certificate_issue(
        actor=vw.world.village_cadre,
        volunteer=a,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        now=NOW,
    )
    next_year = services.certificate_issue(
        actor=vw.world.village_cadre,
        volunteer=a,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        now=NOW + timedelta(days=365),
    )
    assert [first.number, second.number, next_year.number] == ["2026-0001", "2026-0002", "2027-0001"]
    assert first.total_minutes == 120 and len(first.lines) == 1
    with pytest.raises(PermissionDenied):
        services.certificate_issue(
            actor=vw.leader, volunteer=a, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
    with pytest.raises(ApplicationError) as exc:
        services.certificate_issue(
            actor=vw.world.village_cadre,
            volunteer=a,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
        )
    assert exc.value.code == "nothing_to_certify"


def test_volunteer_numbers_follow_the_community_code(vw):
    numbers = [v.number for v in [vw.leader_volunteer, *vw.members]]
    assert numbers == [f"329981001001-{i:04d}" for i in range(1, 6)]
