"""The case page, acting on it from the page, its photos and the notifications page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import services
from civicgrid.cases.models import Appointment, Case, CaseEvent, CasePhoto, Notification
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.tracking_number])


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.tracking_number, action])


def photo_url(photo: CasePhoto, size: str = "full") -> str:
    return reverse("cases:photo", args=[photo.case.tracking_number, photo.pk, size])


def offered(response) -> list[str]:
    """Return the actions the page offers, in order."""
    return re.findall(r'<details class="action-panel[^"]*" data-action="([a-z_]+)"', response.text)


def post_action(client, case: Case, action: str, **fields):
    data = {f"{action}-version": str(fields.pop("version", case.version))}
    files = fields.pop("photos", None)
    for name, value in fields.items():
        data[f"{action}-{name}"] = value
    if files is not None:
        data[f"{action}-photos"] = files
    return client.post(act_url(case, action), data)


def upload(name: str = "done.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg((20, 160, 20)), content_type="image/jpeg")


# --- Who sees the case page ------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, case_in):
    response = client.get(detail_url(case_in("reported")))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_it_denies_outsider(login, cw, category, case_in):
    public = case_in("checking")
    private = walk(cw, report(cw, category, is_public=False), PATHS["checking"])
    client = login(cw.outsider)
    for case in (public, private):
        assert client.get(detail_url(case)).status_code == 404
        response = post_action(client, case, "comment", note="看看")
        assert response.status_code == 404
        assert not CaseEvent.objects.filter(case=case, action="comment").exists()
        for photo in CasePhoto.objects.filter(case=case):
            assert client.get(photo_url(photo)).status_code == 404
    # Of a private case not even the thumbnails (a public case's are on its public status page).
    for photo in CasePhoto.objects.filter(case=private):
        assert client.get(photo_url(photo, "thumb")).status_code == 404
    assert client.get(reverse("cases:mine")).text.count('data-case="') == 0


@pytest.mark.parametrize(
    ("persona", "actions"),
    [
        ("grid_worker", ["accept", "reject", "merge", "comment"]),
        ("grid_leader", ["accept", "reject", "merge", "comment"]),
        ("village_cadre", ["assign_grid", "comment"]),
        ("town_operator", ["assign_grid", "comment"]),
        ("city_admin", ["comment"]),
        ("resident", ["comment"]),
        ("superuser", ["comment"]),
    ],
)
def test_it_offers_each_persona_only_the_actions_it_may_take(login, cw, case_in, persona, actions):
    case = case_in("reported")
    response = login(getattr(cw, persona)).get(detail_url(case))
    assert response.status_code == 200
    assert offered(response) == actions
    for action in actions:
        assert f'action="{act_url(case, action)}"' in response.text


def test_the_agency_sees_the_case_with_a_masked_reporter_and_may_sign_or_return(login, cw, category):
    case = walk(cw, report(cw, category, reporter_phone="13912345678"), PATHS["dispatched"])
    response = login(cw.agency_staff).get(detail_url(case))
    assert response.status_code == 200
    assert offered(response) == ["sign", "return_dispatch", "comment"]
    assert "13912345678" not in response.text
    assert "139****5678" in response.text
    assert "王**" in response.text


def test_the_grid_worker_sees_the_reporters_phone_as_a_link(login, cw, category):
    case = report(cw, category, reporter_phone="13912345678")
    response = login(cw.grid_worker).get(detail_url(case))
    assert 'href="tel:13912345678"' in response.text
    assert cw.resident.display_name in response.text


def test_the_reporter_sees_roles_but_not_names_on_the_record(login, cw, case_in):
    case = case_in("town")
    response = login(cw.resident).get(detail_url(case))
    assert response.status_code == 200
    assert "Escalate to the village" in response.text
    assert cw.grid_worker.display_name not in response.text
    assert cw.village_cadre.display_name not in response.text
    staff_view = login(cw.town_operator).get(detail_url(case))
    assert cw.grid_worker.display_name in staff_view.text
    assert "需村里协调" in staff_view.text


def test_the_case_page_shows_photos_map_and_deadline(login, cw, case_in):
    case = case_in("reported")
    response = login(cw.grid_worker).get(detail_url(case))
    text = response.text
    photo = CasePhoto.objects.get(case=case)
    assert photo_url(photo, "thumb") in text and photo_url(photo) in text
    assert 'id="case-geo"' in text and '"outline"' in text and "120.705" in text
    assert "This step is due" in text
    assert "state-reported" in text


def test_an_overdue_case_is_highlighted(login, cw, case_in):
    case = case_in("reported")
    Case.objects.filter(pk=case.pk).update(is_overdue=True, step_due_at=timezone.now() - timedelta(hours=1))
    response = login(cw.grid_worker).get(detail_url(case))
    assert "case-head--overdue" in response.text
    assert "This step was due" in response.text


def test_an_unknown_case_is_not_found(login, cw):
    assert login(cw.grid_worker).get(reverse("cases:detail", args=["20990101-0001"])).status_code == 404


def test_the_case_page_reads_the_same_number_of_queries_for_3_and_12_events(login, cw, case_in):
    case = case_in("accepted")
    client = login(cw.grid_worker)

    def queries(events: int) -> int:
        while CaseEvent.objects.filter(case=case).count() < events:
            services.case_comment(case=case, actor=cw.grid_worker, note="现场已看")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(detail_url(case))
        assert response.text.count('class="timeline__item') == events
        return len(captured)

    three, twelve = queries(3), queries(12)
    assert three == twelve
    assert twelve <= 25


# --- Acting from the page --------------------------------------------------------------------------


def test_the_grid_worker_accepts_from_the_page(login, cw, case_in):
    case = case_in("reported")
    client = login(cw.grid_worker)
    response = post_action(client, case, "accept", note="现场核实属实", photos=[upload()])
    assert response.status_code == 302
    assert response.url == detail_url(case)
    case.refresh_from_db()
    assert case.state == Case.State.ACCEPTED
    assert CasePhoto.objects.filter(case=case).count() == 2
    page = client.get(detail_url(case))
    assert "Accept (verified on site): done." in page.text
    assert offered(page) == ["handle_in_grid", "escalate_to_village", "comment"]


def test_a_missing_reason_is_shown_next_to_the_field_and_nothing_is_written(login, cw, case_in):
    case = case_in("reported")
    response = post_action(login(cw.grid_worker), case, "reject", note="")
    assert response.status_code == 400
    assert re.search(r'<details class="action-panel[^"]*" data-action="reject" open>', response.text)
    assert 'id="id_reject-note_error"' in response.text
    case.refresh_from_db()
    assert case.state == Case.State.REPORTED
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_stale_version_gets_the_conflict_message(login, cw, case_in):
    case = case_in("reported")
    stale_version = case.version
    services.case_act(case=case, action="accept", actor=cw.grid_leader)
    response = post_action(login(cw.grid_worker), case, "reject", note="不属实", version=stale_version)
    assert response.status_code == 409
    assert "Someone else acted on this case first" in response.text
    assert 'data-state="accepted"' in response.text
    case.refresh_from_db()
    assert case.state == Case.State.ACCEPTED
    assert not CaseEvent.objects.filter(case=case, action="reject").exists()


def test_an_action_not_possible_now_is_refused_as_a_conflict(login, cw, case_in):
    case = case_in("reported")
    response = post_action(login(cw.agency_staff), case, "sign")
    # The agency does not see a case that was never dispatched to it.
    assert response.status_code == 404
    response = post_action(login(cw.grid_worker), case, "sign")
    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).state == Case.State.REPORTED


def test_a_person_who_may_not_act_is_refused(login, cw, case_in):
    case = case_in("reported")
    response = post_action(login(cw.resident), case, "accept")
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == Case.State.REPORTED


def test_the_town_dispatches_with_a_co_handler_and_an_appointment(login, cw, case_in):
    case = case_in("town")
    client = login(cw.town_operator)
    page = client.get(detail_url(case))
    assert offered(page) == ["dispatch", "comment"]
    assert 'name="dispatch-co_agencies"' in page.text
    assert 'type="datetime-local" name="dispatch-appointment_at"' in page.text
    starts = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_action(
        client,
        case,
        "dispatch",
        agency=str(cw.agency.pk),
        co_agencies=[str(cw.agency_b.pk)],
        appointment_at=starts,
        appointment_place="甲一村村委会",
        appointment_participants="水务、供电、网格员",
        note="请会同处理",
    )
    assert response.status_code == 302, response.content[:3000]
    case.refresh_from_db()
    assert case.state == Case.State.DISPATCHED
    assert case.lead_agency == cw.agency
    assert list(case.co_agencies.all()) == [cw.agency_b]
    appointment = Appointment.objects.get(case=case)
    assert appointment.place == "甲一村村委会"
    shown = client.get(detail_url(case)).text
    assert "甲一村村委会" in shown
    assert "供电公司" in shown


def test_an_appointment_without_a_place_is_refused(login, cw, case_in):
    case = case_in("town")
    starts = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_action(
        login(cw.town_operator), case, "dispatch", agency=str(cw.agency.pk), appointment_at=starts
    )
    assert response.status_code == 400
    assert "Say where the on-site appointment is." in response.text
    assert Case.objects.get(pk=case.pk).state == Case.State.TOWN


def test_the_agency_resolves_with_a_photo_and_needs_one(login, cw, case_in):
    case = case_in("in_progress")
    client = login(cw.agency_staff)
    refused = post_action(client, case, "resolve", note="已修复")
    assert refused.status_code == 400
    assert 'id="id_resolve-photos_error"' in refused.text
    done = post_action(client, case, "resolve", note="已修复", photos=[upload()])
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).state == Case.State.CHECKING
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1


def test_an_actions_photos_take_the_report_pages_camera_control(login, cw, case_in, settings):
    settings.CASE_PHOTO_MAX_COUNT = 4
    case = case_in("in_progress")
    text = login(cw.agency_staff).get(detail_url(case)).text
    picker = text[text.index('data-action="resolve"') :]
    picker = picker[picker.index("data-photo-picker") : picker.index("</form>")]
    # A camera button and a gallery button, both posting the action's photos; the limit the service keeps.
    assert 'id="id_resolve-photos_camera" name="resolve-photos" accept="image/*" capture="environment"' in picker
    assert 'id="id_resolve-photos" name="resolve-photos"' in picker and "data-photo-store" in picker
    assert 'data-photo-max="4"' in picker
    assert "Take a photo" in picker and "Choose photos" in picker
    assert "(required)" in picker  # a resolution needs its photo


def test_the_agency_asks_for_an_extension_until_a_date(login, cw, case_in):
    case = case_in("in_progress")
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = post_action(login(cw.agency_staff), case, "request_extension", note="材料未到", until=until)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.pending_request == Case.Request.EXTENSION
    assert timezone.localtime(case.pending_until).date().isoformat() == until


def test_the_grid_worker_merges_a_duplicate_by_tracking_number(login, cw, category):
    first = report(cw, category)
    second = report(cw, category)
    client = login(cw.grid_worker)
    unknown = post_action(client, second, "merge", merge_into="20990101-0001")
    assert unknown.status_code == 400
    assert "No case with the tracking number “20990101-0001” in your area." in unknown.text
    response = post_action(client, second, "merge", merge_into=first.tracking_number)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.merged_into == first
    assert first.tracking_number in client.get(detail_url(second)).text


def test_the_reporter_of_a_duplicate_is_led_to_the_status_of_the_case_it_joined(login, cw, category):
    first = report(cw, category, reporter=cw.village_cadre)
    duplicate = walk(cw, report(cw, category), [])
    services.case_act(case=duplicate, action="merge", actor=cw.grid_worker, merge_into=first)
    page = login(cw.resident).get(detail_url(duplicate))
    assert page.status_code == 200
    assert reverse("cases:public_status_number", args=[first.tracking_number]) in page.text
    assert detail_url(first) not in page.text
    assert detail_url(first) in login(cw.grid_worker).get(detail_url(duplicate)).text


def test_the_village_assigns_an_unrouted_case_to_a_grid(login, cw, category):
    case = report(cw, category, lon=120.725, lat=31.605)  # just east of the grids
    assert case.grid_id is None
    client = login(cw.village_cadre)
    page = client.get(detail_url(case))
    assert "assign_grid" in offered(page)
    assert f'value="{cw.grid_a1b.pk}"' in page.text
    assert f'value="{cw.grid_b1a.pk}"' not in page.text
    response = post_action(client, case, "assign_grid", grid=str(cw.grid_a1b.pk))
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).grid == cw.grid_a1b


def test_the_resident_rates_and_the_case_closes(login, cw, case_in):
    case = case_in("resolved")
    client = login(cw.resident)
    page = client.get(detail_url(case))
    assert offered(page) == ["rate", "comment"]
    missing = post_action(client, case, "rate", solved="yes")
    assert missing.status_code == 400
    response = post_action(client, case, "rate", solved="yes", satisfaction="satisfied", note="很及时")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    assert case.satisfaction == "satisfied" and case.solved is True
    assert "This case is finished." in client.get(detail_url(case)).text


def test_danger_actions_are_styled_and_confirmed(login, cw, case_in):
    response = login(cw.grid_worker).get(detail_url(case_in("reported")))
    assert re.search(r'data-action="reject">\s*<summary class="[^"]*btn-danger', response.text)
    assert "data-confirm=" in response.text


# --- Photos ------------------------------------------------------------------------------------------


def test_staff_get_the_photo_privately_with_its_stored_type(login, cw, case_in):
    case = case_in("reported")
    photo = CasePhoto.objects.get(case=case)
    client = login(cw.grid_worker)
    full = client.get(photo_url(photo))
    assert full.status_code == 200
    assert full["Content-Type"] == photo.content_type
    assert full["Cache-Control"].startswith("private")
    assert b"".join(full.streaming_content)[:2] == b"\xff\xd8"
    thumb = client.get(photo_url(photo, "thumb"))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert (
        client.get(reverse("cases:photo", args=[case.tracking_number, photo.pk, "huge"])).status_code == 404
    )


def test_a_photo_is_not_served_under_another_cases_number(login, cw, category):
    first, second = report(cw, category), report(cw, category)
    photo = CasePhoto.objects.get(case=first)
    url = reverse("cases:photo", args=[second.tracking_number, photo.pk, "full"])
    assert login(cw.grid_worker).get(url).status_code == 404


def test_the_public_sees_thumbnails_of_report_and_result_photos_of_a_public_case_only(client, cw, category):
    public = walk(cw, report(cw, category), PATHS["resolved"])
    kinds = {p.kind: p for p in CasePhoto.objects.filter(case=public)}
    assert client.get(photo_url(kinds["report"], "thumb")).status_code == 200
    assert client.get(photo_url(kinds["result"], "thumb")).status_code == 200
    # Full size needs someone who may see the case.
    assert client.get(photo_url(kinds["report"])).status_code == 404
    private = report(cw, category, is_public=False)
    assert client.get(photo_url(CasePhoto.objects.get(case=private), "thumb")).status_code == 404


def test_check_photos_stay_internal(client, login, cw, case_in):
    case = case_in("checking")
    services.case_act(case=case, action="rework", actor=cw.grid_worker, note="未修好", photos=[jpeg()])
    photo = CasePhoto.objects.get(case=case, kind="check")
    assert client.get(photo_url(photo, "thumb")).status_code == 404
    assert login(cw.grid_worker).get(photo_url(photo)).status_code == 200


# --- Notifications -----------------------------------------------------------------------------------


@pytest.fixture
def notified(case_in, django_capture_on_commit_callbacks):
    """Make cases with their notifications (sent after commit, which tests otherwise never reach)."""

    def make(state: str) -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            return case_in(state)

    return make


def test_notifications_list_the_users_own_newest_first_with_unread_highlighted(login, cw, notified):
    first = notified("reported")
    second = notified("reported")
    Notification.objects.create(user=cw.outsider, case=first, kind="new_work", text="not yours")
    client = login(cw.grid_worker)
    response = client.get(reverse("cases:notifications"))
    assert response.status_code == 200
    text = response.text
    assert "not yours" not in text
    assert text.index(second.tracking_number) < text.index(first.tracking_number)
    assert text.count("notice is-unread") == 2


def test_opening_a_notification_marks_it_read_and_leads_to_the_case(login, cw, notified):
    case = notified("reported")
    notice = Notification.objects.get(user=cw.grid_worker, case=case)
    client = login(cw.grid_worker)
    response = client.get(reverse("cases:notifications"), {"read": notice.pk})
    assert response.status_code == 302
    assert response.url == detail_url(case)
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notification_of_someone_else_cannot_be_opened(login, cw, notified):
    case = notified("reported")
    notice = Notification.objects.get(user=cw.grid_worker, case=case)
    response = login(cw.outsider).get(reverse("cases:notifications"), {"read": notice.pk})
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read(login, cw, notified):
    notified("reported")
    notified("reported")
    client = login(cw.grid_worker)
    response = client.post(reverse("cases:notifications"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=cw.grid_worker, read_at__isnull=True).exists()
    assert "Everything is read." in client.get(reverse("cases:notifications")).text


def test_notifications_need_a_sign_in(client, world):
    assert client.get(reverse("cases:notifications")).status_code == 302
