"""The daily digest: the choice on the notifications page, the bell with it on and off, the hourly
command (once a day, in-app and by email), and the digest notification, which is about no single case."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import notices, selectors, services
from civicgrid.cases.models import Case, NoticePreference, Notification
from civicgrid.cases.services import digest as digest_service
from civicgrid.cases.tests.conftest import report
from civicgrid.cases.tests.test_notification_page import notice
from civicgrid.core.errors import ApplicationError

PAGE = reverse("cases:notifications")
SETTINGS = reverse("cases:notice_preference")
API = "/api/v1/cases/notifications"


@pytest.fixture
def told(cw, category):
    """The village cadre, told of two cases: new work due in 3 hours on one (to do), the other's
    rating and an update on it (for information)."""
    Notification.objects.all().delete()
    work = report(cw, category, address="幸福路12号")
    Case.objects.filter(pk=work.pk).update(step_due_at=timezone.now() + timedelta(hours=3))
    work.refresh_from_db()
    rated = report(cw, category, lon=120.715, description="路灯不亮，晚上很黑")
    reader = cw.village_cadre
    notice(reader, work, Notification.Kind.NEW_WORK, minutes_ago=30)
    notice(
        reader,
        rated,
        Notification.Kind.RATED,
        minutes_ago=20,
        message=notices.RATED,
        satisfaction="satisfied",
    )
    notice(
        reader, rated, Notification.Kind.UPDATE, minutes_ago=10, message=notices.DECIDED, decision="accept"
    )
    return work, rated


def digest_on(user, *, hour: int = 0, language: str = "en") -> NoticePreference:
    return services.notice_preference_set(user=user, digest=True, digest_hour=hour, language=language)


def run_command(capture) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("notices_digest", stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The bell


def test_the_bell_counts_every_unread_notice_without_the_digest(cw, told):
    assert selectors.unread_count(cw.village_cadre) == 3
    services.notice_preference_set(user=cw.village_cadre, digest=False, digest_hour=8)
    assert selectors.unread_count(cw.village_cadre) == 3


def test_with_the_digest_on_the_bell_counts_only_what_is_to_do(cw, told):
    digest_on(cw.village_cadre)
    assert selectors.unread_count(cw.village_cadre) == 1
    # Someone else's choice changes nothing for this reader.
    digest_on(cw.town_operator)
    services.notice_preference_set(user=cw.village_cadre, digest=False, digest_hour=8)
    assert selectors.unread_count(cw.village_cadre) == 3


def test_the_digest_itself_counts_on_the_bell_until_read(cw, told, django_capture_on_commit_callbacks):
    digest_on(cw.village_cadre)
    run_command(django_capture_on_commit_callbacks)
    assert selectors.unread_count(cw.village_cadre) == 2
    digest = Notification.objects.get(kind=Notification.Kind.DIGEST)
    services.notifications_mark_read(user=cw.village_cadre, ids=[digest.pk])
    assert selectors.unread_count(cw.village_cadre) == 1


def test_the_bell_is_still_one_query(cw, told, django_assert_num_queries):
    digest_on(cw.village_cadre)
    with django_assert_num_queries(1):
        selectors.unread_count(cw.village_cadre)


# ---------------------------------------------------------------------------------------------
# The hourly command


@override_settings(EMAIL_HOST="smtp.example.org")
def test_the_command_writes_one_digest_and_mails_it(cw, told, django_capture_on_commit_callbacks):
    _work, rated = told
    reader = cw.village_cadre
    type(reader).objects.filter(pk=reader.pk).update(email="cadre@example.org")
    digest_on(reader)
    out = run_command(django_capture_on_commit_callbacks)
    assert "1 people due, 1 digests written, 1 emails sent" in out
    digest = Notification.objects.get(user=reader, kind=Notification.Kind.DIGEST)
    assert digest.case is None
    # One case with news (rated and updated), one to-do due within a day (the new work).
    assert digest.params == {"cases": 1, "due": 1}
    assert notices.text_of(digest) == (
        "Daily digest: news on 1 case(s); 1 to-do(s) overdue or due within a day."
    )
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["cadre@example.org"]
    assert sent.subject == notices.text_of(digest)
    body = sent.body
    # Per case: what, where, what happened; the to-do with its deadline.
    assert rated.category.name_en in body and "路灯不亮" in body
    assert "Village A1 · 甲一村第2网格" in body
    assert f"{rated.tracking_number} was rated: Satisfied" in body
    assert "幸福路12号" in body and "due by" in body
    assert "http://localhost:8000/cases/notifications/" in body
    # Only the reader's own: the grid worker's notices of the same reports are not in it.
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 1


@override_settings(EMAIL_HOST="smtp.example.org")
def test_running_twice_in_a_day_sends_once(cw, told, django_capture_on_commit_callbacks):
    reader = cw.village_cadre
    type(reader).objects.filter(pk=reader.pk).update(email="cadre@example.org")
    digest_on(reader)
    run_command(django_capture_on_commit_callbacks)
    again = run_command(django_capture_on_commit_callbacks)
    assert "0 people due" in again
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 1
    assert len(mail.outbox) == 1
    preference = NoticePreference.objects.get(user=reader)
    assert preference.last_digest_on == timezone.localdate()


def test_a_second_run_that_read_the_preference_before_the_first_claimed_it_sends_nothing(cw, told):
    """Two runs at once: both read the person as due; the compare-and-set lets one through."""
    preference = digest_on(cw.village_cadre)
    now = timezone.now()
    today = timezone.localtime(now).date()
    stale = NoticePreference.objects.select_related("user").get(pk=preference.pk)
    first = digest_service.notice_digest_send(preference=preference, now=now, today=today)
    second = digest_service.notice_digest_send(preference=stale, now=now, today=today)
    assert first is not None and first.notified
    assert second is None
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 1


def test_no_email_without_a_mail_server_or_an_address(cw, told, django_capture_on_commit_callbacks):
    reader = cw.village_cadre
    digest_on(reader)
    digest_on(cw.grid_worker)
    type(reader).objects.filter(pk=reader.pk).update(email="cadre@example.org")
    run_command(django_capture_on_commit_callbacks)  # EMAIL_HOST is not set
    assert Notification.objects.filter(user=reader, kind=Notification.Kind.DIGEST).count() == 1
    assert mail.outbox == []


@override_settings(EMAIL_HOST="smtp.example.org")
def test_the_email_is_written_in_the_language_the_reader_chose(cw, told, django_capture_on_commit_callbacks):
    reader = cw.village_cadre
    type(reader).objects.filter(pk=reader.pk).update(email="cadre@example.org")
    digest_on(reader, language="zh-hans")
    run_command(django_capture_on_commit_callbacks)
    # The stored text is the site's language; the email the reader's (both Chinese here), and the
    # case's place reads its Chinese name rather than the English one.
    assert "甲一村 · 甲一村第2网格" in mail.outbox[0].body


def local(hour: int, minute: int = 0) -> datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime(today.year, today.month, today.day, hour, minute))


def test_nothing_goes_out_before_the_chosen_hour(cw, told):
    digest_on(cw.village_cadre, hour=8)
    assert services.notices_digest(now=local(7, 59)).people == 0
    assert not Notification.objects.filter(kind=Notification.Kind.DIGEST).exists()
    assert services.notices_digest(now=local(8, 5)).people == 1
    # A run missed at 8 is made good at 9, once.
    assert services.notices_digest(now=local(9, 5)).people == 0


def test_people_without_the_digest_or_inactive_get_none(cw, told):
    services.notice_preference_set(user=cw.village_cadre, digest=False, digest_hour=0)
    digest_on(cw.grid_worker)
    type(cw.grid_worker).objects.filter(pk=cw.grid_worker.pk).update(is_active=False)
    run = services.notices_digest()
    assert run.people == 0
    assert not Notification.objects.filter(kind=Notification.Kind.DIGEST).exists()


def test_with_nothing_to_say_the_day_is_claimed_without_a_notice(cw, told):
    digest_on(cw.agency_staff)
    run = services.notices_digest()
    assert (run.people, run.notified) == (1, 0)
    assert not Notification.objects.filter(kind=Notification.Kind.DIGEST).exists()
    assert NoticePreference.objects.get(user=cw.agency_staff).last_digest_on == timezone.localdate()


def test_the_next_digest_starts_where_the_last_one_ended(cw, told, category):
    reader = cw.village_cadre
    digest_on(reader)
    services.notices_digest()
    later = timezone.now() + timedelta(days=1)
    fresh = report(cw, category, lon=120.716)
    notice(
        reader, fresh, Notification.Kind.RATED, minutes_ago=0, message=notices.RATED, satisfaction="satisfied"
    )
    services.notices_digest(now=later)
    latest = Notification.objects.filter(kind=Notification.Kind.DIGEST).order_by("-id").first()
    # Only the case rated since the first digest (the earlier ones were in it).
    assert latest.params["cases"] == 1
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST).count() == 2


# ---------------------------------------------------------------------------------------------
# The digest on the page and in the API


def test_the_digest_shows_on_the_page_and_opens_the_page(cw, told, login):
    digest_on(cw.village_cadre)
    services.notices_digest()
    digest = Notification.objects.get(kind=Notification.Kind.DIGEST)
    client = login(cw.village_cadre)
    html = client.get(PAGE).text
    assert 'data-case="digest"' in html
    assert "Daily digest: news on 1 case(s)" in html
    opened = client.get(PAGE, {"read": digest.pk})
    assert opened.status_code == 302 and opened.url == PAGE
    digest.refresh_from_db()
    assert digest.read_at is not None


def test_the_api_lists_the_digest_without_a_case(cw, told, login):
    digest_on(cw.village_cadre)
    services.notices_digest()
    body = login(cw.village_cadre).get(API).json()
    first = body["items"][0]
    assert first["kind"] == "digest" and first["case"] is None
    assert all(item["case"] for item in body["items"][1:])


def test_a_notification_without_a_case_must_be_a_digest(cw, told):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=cw.village_cadre, case=None, kind=Notification.Kind.UPDATE, text="x")


# ---------------------------------------------------------------------------------------------
# The choice on the notifications page


def test_the_page_offers_the_choice(cw, login):
    html = login(cw.grid_worker).get(PAGE).text
    assert f'action="{SETTINGS}"' in html
    assert "Each notice as it comes" in html and 'value="each"' in html and "checked" in html


def test_choosing_the_digest_stores_it_for_oneself(cw, login):
    client = login(cw.grid_worker)
    response = client.post(SETTINGS, {"how": "daily", "digest_hour": "19"})
    assert response.status_code == 302 and response.url == PAGE
    preference = NoticePreference.objects.get(user=cw.grid_worker)
    assert (preference.digest, preference.digest_hour, preference.language) == (True, 19, "en")
    assert "A daily digest at 19:00" in client.get(PAGE).text
    client.post(SETTINGS, {"how": "each", "digest_hour": "19"})
    assert NoticePreference.objects.get(user=cw.grid_worker).digest is False
    assert NoticePreference.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"how": "weekly", "digest_hour": "8"}, "Choose how you want to be told"),
        ({"how": "daily", "digest_hour": "24"}, "Choose an hour of the day, from 00:00 to 23:00."),
        ({"how": "daily", "digest_hour": "eight"}, "Choose an hour of the day, from 00:00 to 23:00."),
        ({}, "Choose how you want to be told"),
    ],
)
def test_bad_input_is_refused_with_the_error_by_the_field(cw, login, data, error):
    response = login(cw.grid_worker).post(SETTINGS, data)
    assert response.status_code == 400
    assert error in response.text
    assert "errorlist" in response.text and "notice-settings" in response.text and " open>" in response.text
    assert not NoticePreference.objects.exists()


def test_the_service_refuses_an_hour_out_of_the_day(cw):
    with pytest.raises(ApplicationError) as refused:
        services.notice_preference_set(user=cw.grid_worker, digest=True, digest_hour=24)
    assert refused.value.extra["fields"] == {"digest_hour": "Choose an hour of the day, from 00:00 to 23:00."}


def test_anonymous_is_refused(cw, client):
    response = client.post(SETTINGS, {"how": "daily", "digest_hour": "8"})
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert client.get(SETTINGS).status_code in (302, 405)
    assert not NoticePreference.objects.exists()


def test_it_denies_outsider_changing_another_persons_choice(cw, login):
    services.notice_preference_set(user=cw.grid_worker, digest=False, digest_hour=8)
    client = login(cw.outsider)
    client.post(SETTINGS, {"how": "daily", "digest_hour": "6", "user": cw.grid_worker.pk})
    theirs = NoticePreference.objects.get(user=cw.grid_worker)
    assert (theirs.digest, theirs.digest_hour) == (False, 8)
    # What the outsider sent changed their own choice only.
    assert NoticePreference.objects.get(user=cw.outsider).digest is True


def test_only_post_changes_the_choice(cw, login):
    assert login(cw.grid_worker).get(SETTINGS).status_code == 405


@override_settings(EMAIL_HOST="smtp.example.org")
def test_a_mail_server_that_refuses_costs_the_email_only(
    cw, told, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(digest_service, "send_mail", refuse)
    reader = cw.village_cadre
    type(reader).objects.filter(pk=reader.pk).update(email="cadre@example.org")
    digest_on(reader)
    run_command(django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=reader, kind=Notification.Kind.DIGEST).count() == 1
    assert NoticePreference.objects.get(user=reader).last_digest_on == timezone.localdate()
