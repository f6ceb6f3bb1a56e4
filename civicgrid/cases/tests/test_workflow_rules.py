"""Each rule of an action's inputs holds the same through every door: the case page, batch dispatch and
the API; and the workflow's tables are whole (every state has its facts, every declared effect and
message exists)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.services import agency_create
from civicgrid.cases import notices, services, workflow
from civicgrid.cases.models import Case, CaseEvent, Notification
from civicgrid.cases.services import notifying
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.cases.workflow import EFFECTS, STATES, TRANSITIONS
from civicgrid.core.errors import ApplicationError
from civicgrid.places.services import place_create

BATCH = reverse("cases:batch_dispatch")


def api(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def api_act(user, case: Case, action: str, **body):
    return api(user).post(
        f"/api/v1/cases/{case.tracking_number}/actions/{action}", body, content_type="application/json"
    )


def page_act(user, case: Case, action: str, **fields):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    data = {f"{action}-version": str(case.version), **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(reverse("cases:act", args=[case.tracking_number, action]), data)


@pytest.fixture
def far_agency(cw):
    """An agency of another district: it may not take cases of town A."""
    other = place_create(code="329982", name="乙区", name_en="District B", level="district", parent=cw.city)
    return agency_create(code="far-water", name="乙区水务局", name_en="Far Water", region=other)


@pytest.fixture
def at_town(cw, category):
    return walk(cw, report(cw, category), PATHS["town"])


# ---------------------------------------------------------------------------------------------
# Dispatch: one selector of the agencies a case may go to


def test_the_api_refuses_a_dispatch_to_another_districts_agency(cw, at_town, far_agency):
    answer = api_act(cw.town_operator, at_town, "dispatch", agency=far_agency.code)
    assert answer.status_code == 400
    assert answer.json()["extra"]["fields"]["agency"] == "This agency does not take cases from this region."
    at_town.refresh_from_db()
    assert at_town.state == "town" and at_town.lead_agency_id is None
    assert not CaseEvent.objects.filter(case=at_town, action="dispatch").exists()


def test_the_api_refuses_another_districts_agency_as_co_handler(cw, at_town, far_agency):
    answer = api_act(
        cw.town_operator, at_town, "dispatch", agency=cw.agency.code, co_agencies=[far_agency.code]
    )
    assert answer.status_code == 400
    assert "co_agencies" in answer.json()["extra"]["fields"]
    at_town.refresh_from_db()
    assert at_town.state == "town"


def test_the_case_page_neither_offers_nor_takes_another_districts_agency(cw, at_town, far_agency):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(cw.town_operator)
    page = client.get(at_town.get_absolute_url())
    assert cw.agency.name in page.text and far_agency.name not in page.text
    answer = page_act(cw.town_operator, at_town, "dispatch", agency=far_agency.pk)
    assert answer.status_code == 400
    at_town.refresh_from_db()
    assert at_town.state == "town"


def test_batch_dispatch_offers_only_agencies_serving_the_operators_region(cw, at_town, far_agency):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(cw.town_operator)
    centre = client.get(reverse("cases:centre") + "?queue=dispatch")
    assert cw.agency.name_en in centre.text and far_agency.name_en not in centre.text
    answer = client.post(BATCH, {"case": [at_town.tracking_number], "agency": far_agency.pk})
    assert answer.status_code == 400
    at_town.refresh_from_db()
    assert at_town.state == "town"


def test_the_service_itself_refuses_the_far_agency(cw, at_town, far_agency):
    with pytest.raises(ApplicationError) as refused:
        services.case_act(case=at_town, action="dispatch", actor=cw.town_operator, agency=far_agency)
    assert "agency" in refused.value.extra["fields"]


def test_the_lead_cannot_co_handle_through_any_door(cw, at_town):
    answer = api_act(
        cw.town_operator, at_town, "dispatch", agency=cw.agency.code, co_agencies=[cw.agency.code]
    )
    assert answer.json()["extra"]["fields"]["co_agencies"] == "The lead agency cannot also co-handle."
    page = page_act(cw.town_operator, at_town, "dispatch", agency=cw.agency.pk, co_agencies=cw.agency.pk)
    assert page.status_code == 400 and "The lead agency cannot also co-handle." in page.text


def test_an_appointment_without_a_place_is_refused_through_every_door(cw, at_town, later):
    when = (later(days=1)).strftime("%Y-%m-%dT%H:%M")
    answer = api_act(
        cw.town_operator,
        at_town,
        "dispatch",
        agency=cw.agency.code,
        appointment={"starts_at": when, "place": " "},
    )
    assert answer.json()["extra"]["fields"]["appointment"] == "Say where the on-site appointment is."
    page = page_act(cw.town_operator, at_town, "dispatch", agency=cw.agency.pk, appointment_at=when)
    assert page.status_code == 400 and "Say where the on-site appointment is." in page.text
    at_town.refresh_from_db()
    assert at_town.state == "town" and not at_town.appointments.exists()


# ---------------------------------------------------------------------------------------------
# Extension: a day means the end of that working day, at every door


@pytest.fixture
def in_progress(cw, category):
    return walk(cw, report(cw, category), PATHS["in_progress"])


def _local_end(case: Case):
    return timezone.localtime(case.pending_until)


def test_an_extension_to_a_day_runs_to_the_end_of_that_day_through_the_api(cw, in_progress):
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    answer = api_act(cw.agency_staff, in_progress, "request_extension", note="材料未到", until=day)
    assert answer.status_code == 200, answer.content
    in_progress.refresh_from_db()
    end = _local_end(in_progress)
    assert (end.date().isoformat(), end.hour, end.minute) == (day, 18, 0)


def test_an_extension_to_a_day_runs_to_the_end_of_that_day_on_the_page(cw, in_progress):
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    answer = page_act(cw.agency_staff, in_progress, "request_extension", note="材料未到", until=day)
    assert answer.status_code == 302
    in_progress.refresh_from_db()
    end = _local_end(in_progress)
    assert (end.date().isoformat(), end.hour, end.minute) == (day, 18, 0)


def test_the_end_of_the_working_day_is_a_setting(cw, in_progress, settings):
    settings.CASE_WORKDAY_END = "17:30"
    day = timezone.localdate() + timedelta(days=3)
    case = services.case_act(
        case=in_progress, action="request_extension", actor=cw.agency_staff, note="等待配件", until=day
    )
    assert (_local_end(case).hour, _local_end(case).minute) == (17, 30)


def test_an_extension_to_a_time_keeps_the_time(cw, in_progress):
    until = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=15, second=0, microsecond=0)
    answer = api_act(
        cw.agency_staff, in_progress, "request_extension", note="材料未到", until=until.isoformat()
    )
    assert answer.status_code == 200
    in_progress.refresh_from_db()
    assert _local_end(in_progress) == until


# ---------------------------------------------------------------------------------------------
# Merge: the target is looked up once, in the actor's scope


def test_the_merge_target_is_looked_up_the_same_way_by_page_and_api(cw, category):
    first, second = report(cw, category), report(cw, category)
    message = "No case with the tracking number “20990101-0001” in your area."
    by_api = api_act(cw.grid_worker, second, "merge", merge_into="20990101-0001")
    assert by_api.json()["extra"]["fields"]["merge_into"] == message
    by_page = page_act(cw.grid_worker, second, "merge", merge_into="20990101-0001")
    assert by_page.status_code == 400 and message in by_page.text
    itself = api_act(cw.grid_worker, second, "merge", merge_into=second.tracking_number)
    assert itself.json()["extra"]["fields"]["merge_into"] == "A case cannot be merged into itself."
    merged = api_act(cw.grid_worker, second, "merge", merge_into=first.tracking_number)
    assert merged.status_code == 200 and merged.json()["merged_into"] == first.tracking_number


def test_a_case_outside_the_actors_scope_cannot_be_a_merge_target(cw, category, world):
    theirs = report(cw, category, lon=120.805, lat=31.605)  # town B
    ours = report(cw, category)
    answer = api_act(cw.grid_worker, ours, "merge", merge_into=theirs.tracking_number)
    assert answer.status_code == 400
    ours.refresh_from_db()
    assert ours.state == "reported" and ours.merged_into_id is None


# ---------------------------------------------------------------------------------------------
# Replies and internal notes


def test_a_staff_comment_is_internal_unless_marked_as_a_reply(cw, category):
    case = report(cw, category)
    services.case_comment(case=case, actor=cw.grid_worker, note="内部：需联系城管")
    services.case_comment(case=case, actor=cw.grid_worker, note="您好，我们明天上午到现场", reply=True)
    internal, reply = CaseEvent.objects.filter(case=case, action="comment").order_by("id")
    assert (internal.is_public, internal.note_is_reply) == (False, False)
    assert (reply.is_public, reply.note_is_reply) == (True, True)


def test_the_reporter_cannot_mark_a_reply(cw, category):
    case = report(cw, category)
    with pytest.raises(ApplicationError) as refused:
        services.case_comment(case=case, actor=cw.resident, note="我是上报人", reply=True)
    assert "reply" in refused.value.extra["fields"]
    own = services.case_comment(case=case, actor=cw.resident, note="坑越来越大了")
    event = own.events.get(action="comment")
    assert event.is_public and not event.note_is_reply


def test_a_rejections_reason_and_a_resolution_answer_are_replies(cw, case_in):
    rejected = case_in("rejected")
    assert rejected.events.get(action="reject").note_is_reply
    checking = case_in("checking")
    assert checking.events.get(action="resolve").note_is_reply
    assert not checking.events.get(action="escalate_to_village").note_is_reply


# ---------------------------------------------------------------------------------------------
# The sweep: every warning is on the record


def test_the_due_soon_warning_leaves_an_internal_event_and_tells_the_holder_once(cw, category):
    case = report(cw, category)
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() + timedelta(hours=1))
    first = services.cases_sweep()
    second = services.cases_sweep()
    assert (first.due_soon, second.due_soon) == (1, 0)
    event = CaseEvent.objects.get(case=case, action="due_soon")
    assert not event.is_public and event.actor is None
    told = set(Notification.objects.filter(case=case, kind="due_soon").values_list("user_id", flat=True))
    assert told == {cw.grid_worker.pk, cw.grid_leader.pk}


def test_a_failing_notification_rolls_the_warning_back(cw, category, monkeypatch):
    case = report(cw, category)
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() + timedelta(hours=1))

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("civicgrid.cases.services.sweeping.notify", broken)
    with pytest.raises(RuntimeError):
        services.cases_sweep()
    case.refresh_from_db()
    assert not case.due_notice_sent
    assert not CaseEvent.objects.filter(case=case, action="due_soon").exists()


def test_the_overdue_mark_tells_the_holder_and_the_level_above(cw, category):
    case = report(cw, category)
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() - timedelta(minutes=5))
    assert services.cases_sweep().overdue == 1
    told = set(Notification.objects.filter(case=case, kind="overdue").values_list("user_id", flat=True))
    assert told == {cw.grid_worker.pk, cw.grid_leader.pk, cw.village_cadre.pk}
    assert CaseEvent.objects.filter(case=case, action="overdue", is_public=False).count() == 1


# ---------------------------------------------------------------------------------------------
# The tables are whole


def test_every_state_has_its_facts():
    assert set(STATES) == set(Case.State.values)
    for state, facts in STATES.items():
        if facts.terminal:
            assert (facts.holder, facts.deadline, facts.overdue) == ("", "", False), state
        else:
            assert facts.holder in {"grid", "village", "town", "agency", "reporter"}, state
            assert facts.queue, state
            assert str(facts.public_label), state


def test_every_row_declares_only_what_exists():
    for (state, action), t in TRANSITIONS.items():
        assert state in STATES and (t.target is None or t.target in STATES), (state, action)
        assert all(name in EFFECTS for name in t.effects), (state, action)
        for audience, message in t.notify:
            assert message in notifying.MESSAGES, (state, action)
            assert audience in {"town", "agency", "reporter", "handler"}, (state, action)
        assert t.photo_kind in {"report", "result", "check"}
        assert t.requires <= set(services.acting.MISSING) | {"rating"}


def test_every_declared_message_is_a_notice_text():
    assert {message for _kind, message, _values in notifying.MESSAGES.values()} <= notices.MESSAGES


def test_the_workflow_offers_only_what_the_table_allows(cw, case_in):
    case = case_in("dispatched")
    offered = {t.action for t in workflow.allowed_actions(case=case, user=cw.agency_staff)}
    assert offered == {"sign", "return_dispatch", "comment"}
    assert {t.action for t in workflow.allowed_actions(case=case, user=cw.agency_b_staff)} == set()
