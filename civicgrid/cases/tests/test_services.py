"""Intake, the workflow's effects, deadlines, notifications and the sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicgrid.cases import access, deadlines, services
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Category, Holiday, Notification
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied

# Notifications go out after commit, so these tests commit for real.
committed = pytest.mark.django_db(transaction=True)


def test_it_files_a_report_with_a_readable_tracking_number_and_routes_it(cw, category):
    case = report(cw, category)
    assert case.tracking_number == f"{timezone.localdate():%Y%m%d}-0001"
    assert report(cw, category).tracking_number.endswith("-0002")
    assert (case.grid, case.village, case.town, case.district) == (
        cw.grid_a1a,
        cw.village_a1,
        cw.town_a,
        cw.district,
    )
    assert case.state == "reported" and case.routed
    assert case.step_due_at is not None
    event = case.events.get()
    assert (event.action, event.to_state, event.actor) == ("report", "reported", cw.resident)
    photo = case.photos.get()
    assert photo.width == 64 and photo.thumbnail.name


@committed
def test_it_keeps_a_report_outside_every_grid_in_the_nearest_regions_unrouted_queue(cw, category):
    case = report(cw, category, lon=120.725, lat=31.605)
    assert case.routed is False
    assert case.grid is None
    assert case.town == cw.town_a
    assert Notification.objects.filter(case=case).exists()
    # The town or village verifies it in the grid's place, or assigns it to a grid.
    case = services.case_act(case=case, action="assign_grid", actor=cw.town_operator, grid=cw.grid_a1b)
    assert (case.grid, case.routed, case.state) == (cw.grid_a1b, True, "reported")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "  "}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"photos": []}, "photos"),
        ({"idempotency_key": "short"}, "idempotency_key"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(cw, category, change, field):
    # A category that asks for words, so an empty description is refused too.
    category.description_required = True
    category.save()
    with pytest.raises(ApplicationError) as exc:
        report(cw, category, **change)
    assert field in exc.value.extra["fields"]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_it_refuses_a_major_class_and_a_photo_that_is_not_an_image(cw, category):
    with pytest.raises(ApplicationError):
        report(cw, category.parent)
    with pytest.raises(ApplicationError) as exc:
        report(cw, category, photos=[b"<html>not a photo</html>"])
    assert exc.value.code.startswith("photo_")
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_it_refuses_a_point_far_outside_the_service_area(cw, category):
    with pytest.raises(ApplicationError) as exc:
        report(cw, category, lon=116.404, lat=39.915)
    assert exc.value.code == "outside_service_area"
    assert Case.objects.count() == 0


def test_it_returns_the_first_case_for_a_retried_idempotency_key_per_reporter(cw, category):
    def submit(reporter, description="坑", source="resident"):
        return services.case_create(
            reporter=reporter,
            source=source,
            category=category,
            description=description,
            lon=120.705,
            lat=31.605,
            photos=[jpeg()],
            idempotency_key="retry-key-123",
        )

    first = submit(cw.resident)
    again = submit(cw.resident)
    assert (first.created, again.created) == (True, False)
    assert again.case.pk == first.case.pk
    with pytest.raises(ApplicationError) as reused:
        submit(cw.resident, description="坑（改过）")
    assert reused.value.code == "idempotency_key_reused" and reused.value.status == 422
    other = submit(cw.grid_worker, source="grid_patrol")
    assert other.created and other.case.pk != first.case.pk
    assert Case.objects.count() == 2


def test_it_keeps_staff_sources_to_staff(cw, category):
    with pytest.raises(PermissionDenied):
        report(cw, category, source="hotline", external_ref="A1")
    with pytest.raises(PermissionDenied):
        report(cw, category, source="mobile_grid_member")
    hotline = report(cw, category, reporter=cw.town_operator, source="hotline", external_ref="GD2026-1")
    same = report(cw, category, reporter=cw.town_operator, source="hotline", external_ref="GD2026-1")
    assert hotline.pk == same.pk


def test_it_makes_urgent_categories_urgent_with_short_deadlines(cw):
    collapse = Category.objects.get(code="E0501")
    case = report(cw, collapse, description="路面塌陷")
    assert case.priority == "urgent"
    assert case.step_due_at - case.created_at <= timedelta(hours=2, minutes=1)


def test_it_counts_working_days_over_weekends_holidays_and_make_up_days(db):
    tz = timezone.get_current_timezone()
    friday = datetime(2026, 9, 25, 10, 0, tzinfo=tz)
    assert deadlines.add_workdays(friday, 1).date() == date(2026, 9, 28)
    Holiday.objects.create(date=date(2026, 9, 28), name="假日")
    Holiday.objects.create(date=date(2026, 9, 27), is_workday=True, name="调休")
    assert deadlines.add_workdays(friday, 1).date() == date(2026, 9, 27)
    assert deadlines.add_workdays(friday, 2).date() == date(2026, 9, 29)
    assert deadlines.add_workdays(friday, 2).hour == 10


def test_it_dispatches_with_co_handlers_and_an_on_site_appointment(case_in, cw, later):
    case = case_in("town")
    case = services.case_act(
        case=case,
        action="dispatch",
        actor=cw.town_operator,
        agency=cw.agency,
        co_agencies=[cw.agency_b],
        appointment=services.AppointmentIn(
            starts_at=later(days=2), place="甲一村村委会", participants="水务局、供电公司、村民代表"
        ),
        note="海棠有约：现场会商",
    )
    assert case.state == "dispatched" and case.lead_agency == cw.agency
    assert list(case.co_agencies.all()) == [cw.agency_b]
    assert case.appointments.get().place == "甲一村村委会"
    assert case.response_due_at is not None and case.step_due_at == case.response_due_at
    # Both agencies see it; the co-handler may comment but not sign.
    assert access.scope_cases(cw.agency_b_staff).filter(pk=case.pk).exists()
    with pytest.raises(PermissionDenied):
        services.case_act(case=case, action="sign", actor=cw.agency_b_staff)
    services.case_comment(case=case, actor=cw.agency_b_staff, note="我方可配合")


@committed
def test_it_returns_a_wrong_dispatch_to_the_town_for_another_agency(case_in, cw):
    case = case_in("dispatched")
    case = services.case_act(
        case=case, action="return_dispatch", actor=cw.agency_staff, note="不属于本单位职责"
    )
    assert case.state == "town" and case.lead_agency is None
    assert Notification.objects.filter(user=cw.town_operator, kind="returned").exists()
    case = services.case_act(case=case, action="dispatch", actor=cw.town_operator, agency=cw.agency_b)
    assert case.lead_agency == cw.agency_b


def test_it_moves_the_deadline_when_an_extension_is_approved(case_in, cw, later):
    case = case_in("in_progress")
    until = later(days=20)
    case = services.case_act(
        case=case, action="request_extension", actor=cw.agency_staff, note="等材料", until=until
    )
    assert case.pending_request == "extension"
    with pytest.raises(ApplicationError):
        services.case_act(case=case, action="resolve", actor=cw.agency_staff, note="好了", photos=[jpeg()])
    case = services.case_act(case=case, action="approve_request", actor=cw.town_operator)
    assert case.pending_request == "" and case.resolution_due_at == until and case.step_due_at == until


def test_it_suspends_and_resumes(case_in, cw):
    case = case_in("suspended")
    assert case.step_due_at is None
    case = services.case_act(case=case, action="resume", actor=cw.town_operator)
    assert case.state == "in_progress" and case.step_due_at is not None


def test_it_sends_a_failed_check_back_to_whoever_handled_it(case_in, cw):
    case = case_in("checking")
    case = services.case_act(case=case, action="rework", actor=cw.grid_worker, note="井盖仍松动")
    assert case.state == "in_progress"
    village_case = walk(
        cw, case_in("village_handling"), [("resolve", "village_cadre", {"note": "修好", "photos": "jpeg"})]
    )
    village_case = services.case_act(case=village_case, action="rework", actor=cw.grid_worker, note="没修好")
    assert village_case.state == "village_handling"


@committed
def test_it_reopens_an_unsatisfied_case_once_then_closes(case_in, cw, settings):
    settings.CASE_MAX_REOPENS = 1
    case = case_in("resolved")
    case = services.case_act(
        case=case, action="rate", actor=cw.resident, solved=False, satisfaction="unsatisfied"
    )
    assert case.state == "in_progress" and case.reopen_count == 1
    case = walk(
        cw,
        case,
        [
            ("resolve", "agency_staff", {"note": "再次修复", "photos": "jpeg"}),
            ("pass_check", "grid_worker", {}),
        ],
    )
    case = services.case_act(
        case=case, action="rate", actor=cw.resident, solved=False, satisfaction="unsatisfied"
    )
    assert case.state == "closed" and case.satisfaction == "unsatisfied"
    assert Notification.objects.filter(user=cw.agency_staff, kind="rated").count() == 2


def test_it_records_a_phone_follow_up_by_the_town(case_in, cw):
    case = case_in("resolved")
    case = services.case_act(
        case=case,
        action="rate",
        actor=cw.town_operator,
        solved=True,
        satisfaction="basically_satisfied",
        note="电话回访",
    )
    assert case.state == "closed"
    assert case.events.last().actor_role == "follow_up"


@committed
def test_it_tells_the_reporter_which_case_theirs_was_merged_into(cw, category):
    first = report(cw, category)
    duplicate = report(cw, category, description="同一个坑")
    services.case_act(case=duplicate, action="merge", actor=cw.grid_worker, merge_into=first)
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.merged_into == first
    notice = Notification.objects.get(user=cw.resident, case=duplicate)
    assert first.tracking_number in notice.text


def test_it_refuses_merging_into_itself_or_a_closed_case(case_in, cw, category):
    case = report(cw, category)
    with pytest.raises(ApplicationError):
        services.case_act(case=case, action="merge", actor=cw.grid_worker, merge_into=case)
    with pytest.raises(ApplicationError):
        services.case_act(case=case, action="merge", actor=cw.grid_worker, merge_into=case_in("closed"))


def test_it_refuses_a_stale_copy_with_a_conflict(case_in, cw):
    case = case_in("reported")
    stale = Case.objects.get(pk=case.pk)
    services.case_act(case=case, action="comment", actor=cw.town_operator, note="已知悉")
    with pytest.raises(Conflict):
        services.case_act(case=stale, action="accept", actor=cw.grid_worker)


def test_it_never_edits_or_deletes_an_event(case_in):
    case = case_in("accepted")
    event = case.events.first()
    event.note = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).delete()


@committed
def test_it_notifies_the_queue_the_case_lands_in(case_in, cw):
    case = case_in("reported")
    assert Notification.objects.filter(user=cw.grid_worker, case=case, kind="new_work").exists()
    assert Notification.objects.filter(user=cw.grid_leader, case=case, kind="new_work").exists()
    case = walk(cw, case, PATHS["dispatched"][len(PATHS["reported"]) :])
    assert Notification.objects.filter(user=cw.agency_staff, case=case, kind="new_work").exists()
    assert not Notification.objects.filter(user=cw.outsider).exists()


@committed
def test_it_marks_notifications_read_per_user(case_in, cw):
    case_in("reported")
    assert services.notifications_mark_read(user=cw.grid_worker) == 1
    assert Notification.objects.filter(user=cw.grid_leader, read_at__isnull=True).count() == 1
    assert (
        services.notifications_mark_read(
            user=cw.outsider, ids=list(Notification.objects.values_list("pk", flat=True))
        )
        == 0
    )


@committed
def test_the_sweep_marks_overdue_steps_and_tells_the_level_above(case_in, cw):
    case = case_in("reported")
    result = services.cases_sweep(now=case.step_due_at + timedelta(minutes=1))
    assert result.overdue == 1
    case.refresh_from_db()
    assert case.is_overdue
    assert Notification.objects.filter(user=cw.village_cadre, case=case, kind="overdue").exists()
    assert case.events.filter(action="overdue").count() == 1
    # A second sweep does not repeat it.
    assert services.cases_sweep(now=case.step_due_at + timedelta(minutes=2)).overdue == 0


@committed
def test_the_sweep_warns_before_the_deadline_once(case_in, cw, settings):
    case = case_in("dispatched")
    now = case.step_due_at - timedelta(hours=settings.CASE_DUE_SOON_HOURS - 1)
    assert services.cases_sweep(now=now).due_soon == 1
    assert Notification.objects.filter(user=cw.agency_staff, kind="due_soon").count() == 1
    assert services.cases_sweep(now=now).due_soon == 0


def test_the_sweep_closes_cases_nobody_rated(case_in, settings):
    case = case_in("resolved")
    result = services.cases_sweep(now=case.step_due_at + timedelta(hours=1))
    assert result.auto_closed == 1
    case.refresh_from_db()
    assert case.state == "closed" and case.events.last().action == "auto_close"


def test_the_sweep_command_runs_once(case_in):
    case = case_in("reported")
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("sweep_cases", stdout=out)
    assert "1" in out.getvalue()
    case.refresh_from_db()
    assert case.is_overdue
