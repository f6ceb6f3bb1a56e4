"""Notifications are stored as a message and its values, and read in the reader's language."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicgrid.cases import notices, services
from civicgrid.cases.models import Case, Notification


def _made(case_in, django_capture_on_commit_callbacks, state="town"):
    with django_capture_on_commit_callbacks(execute=True):
        return case_in(state)


def test_a_step_notice_is_stored_as_a_message_with_codes_and_the_site_language_text(
    cw, case_in, django_capture_on_commit_callbacks
):
    case = _made(case_in, django_capture_on_commit_callbacks)
    notice = Notification.objects.filter(user=cw.town_operator, case=case).latest("id")
    assert notice.message == notices.STEP
    assert notice.params == {"number": case.tracking_number, "state": "town"}
    # Written while the test runs in English, the stored text is still in the site's language.
    with translation.override("zh-hans"):
        expected = f"{case.tracking_number}：{Case.State.TOWN.label}"
    assert notice.text == expected
    assert "command centre" not in notice.text


def test_each_reader_sees_it_in_their_language(cw, case_in, django_capture_on_commit_callbacks):
    case = _made(case_in, django_capture_on_commit_callbacks)
    notice = Notification.objects.filter(user=cw.town_operator, case=case).latest("id")
    with translation.override("en"):
        assert notices.text_of(notice) == f"{case.tracking_number}: At the town command centre"
    with translation.override("zh-hans"):
        chinese = notices.text_of(notice)
    assert (
        chinese.startswith(case.tracking_number)
        and "town" not in chinese
        and chinese != notices.text_of(notice)
    )

    english_client = Client(headers={"Accept-Language": "en"})
    english_client.force_login(cw.town_operator)
    page = english_client.get(reverse("cases:notifications")).text
    assert f"{case.tracking_number}: At the town command centre" in page
    api = english_client.get("/api/v1/cases/notifications").json()
    assert f"{case.tracking_number}: At the town command centre" in [i["text"] for i in api["items"]]

    chinese_client = Client(headers={"Accept-Language": "zh-hans"})
    chinese_client.force_login(cw.town_operator)
    assert chinese in chinese_client.get(reverse("cases:notifications")).text


def test_values_that_are_codes_become_labels(cw, case_in):
    case = case_in("in_progress")
    services.notify(
        user_ids=[cw.town_operator.pk],
        case=case,
        kind="rated",
        message=notices.RATED,
        params={"number": case.tracking_number, "satisfaction": "basically_satisfied"},
    )
    services.notify(
        user_ids=[cw.town_operator.pk],
        case=case,
        kind="request",
        message=notices.REQUESTED,
        params={"number": case.tracking_number, "request": "suspension"},
    )
    rated, requested = Notification.objects.filter(
        user=cw.town_operator, message__in=[notices.RATED, notices.REQUESTED]
    ).order_by("id")
    with translation.override("en"):
        assert notices.text_of(rated) == f"{case.tracking_number} was rated: Basically satisfied"
        assert notices.text_of(requested) == f"{case.tracking_number}: Long-term suspension requested"


def test_an_unknown_message_or_an_old_row_shows_the_stored_text(cw, case_in):
    case = case_in("reported")
    old = Notification.objects.create(user=cw.grid_worker, case=case, kind="update", text="旧通知")
    gone = Notification.objects.create(
        user=cw.grid_worker,
        case=case,
        kind="update",
        text="已删除的消息",
        message="No such message %(x)s",
        params={},
    )
    broken = Notification.objects.create(
        user=cw.grid_worker,
        case=case,
        kind="update",
        text="缺少值",
        message=notices.STEP,
        params={"number": "1"},
    )
    assert notices.text_of(old) == "旧通知"
    assert notices.text_of(gone) == "已删除的消息"
    assert notices.text_of(broken) == "缺少值"


def test_every_message_is_translated(cw):
    with translation.override("zh-hans"):
        for message in notices.MESSAGES:
            assert translation.gettext(message) != message, message
