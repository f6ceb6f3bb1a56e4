"""Phone-first reporting and the phone's outbox (issue 13): the report page's JSON door, used by its
script and by the outbox when a queued report goes out; a description optional where the category
allows; steps sent again with their key recorded once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicgrid.cases import categories, services
from civicgrid.cases.models import Case, CaseEvent, CasePhoto, Category, QuickIcon
from civicgrid.cases.tests.conftest import jpeg, report
from civicgrid.core.errors import ApplicationError

REPORT = reverse("cases:report")
JSON = {"HTTP_ACCEPT": "application/json"}


def queued_report(**overrides) -> dict:
    """What the outbox sends: the report form's fields as they were when the phone had no signal."""
    data = {
        "lon": "120.705",
        "lat": "31.605",
        "crs": "wgs84",
        "category": "C0201",
        "description": "",
        "is_public": "on",
        "idempotency_key": "0b5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e",
        "photos": [SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")],
    }
    data.update(overrides)
    return data


def test_the_same_queued_report_sent_three_times_makes_one_case(client, world):
    client.force_login(world.resident)
    answers = [client.post(REPORT, queued_report(), **JSON) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    numbers = {a.json()["tracking_number"] for a in answers}
    assert len(numbers) == 1
    assert [a.json()["created"] for a in answers] == [True, False, False]
    assert Case.objects.count() == 1
    assert CasePhoto.objects.count() == 1
    case = Case.objects.get()
    assert case.reporter == world.resident and case.description == ""
    # The "received" page of that number opens for the session that sent it.
    done = client.get(answers[0].json()["url"])
    assert done.status_code == 200 and case.tracking_number in done.text


def test_an_anonymous_queued_report_is_filed_once_too(client, world):
    first = client.post(REPORT, queued_report(), **JSON)
    again = client.post(REPORT, queued_report(), **JSON)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_number"] == again.json()["tracking_number"]
    assert Case.objects.count() == 1 and Case.objects.get().reporter is None


def test_a_refused_report_comes_back_as_fields_and_writes_nothing(client, world):
    answer = client.post(
        REPORT, queued_report(category="E0601", description="", lon="", lat="", photos=[]), **JSON
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid" and body["message"]
    assert set(body["fields"]) == {"lon", "description"}
    assert not Case.objects.exists()


def test_a_service_refusal_names_its_field(client, world):
    answer = client.post(REPORT, queued_report(reporter_phone="12345"), **JSON)
    assert answer.status_code == 400
    assert "reporter_phone" in answer.json()["fields"]
    assert not Case.objects.exists()


def test_the_key_sent_with_another_report_is_refused_as_json(client, world):
    assert client.post(REPORT, queued_report(), **JSON).status_code == 201
    other = client.post(REPORT, queued_report(address="另一处"), **JSON)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_a_description_is_optional_only_where_the_category_allows(world):
    pothole = Category.objects.get(code="C0201")
    dispute = Category.objects.get(code="E0601")
    assert (pothole.description_required, dispute.description_required) == (False, True)
    case = report(world, pothole, description="")
    assert case.description == ""
    with pytest.raises(ApplicationError) as refused:
        report(world, dispute, description=" ", photos=[])
    assert "description" in refused.value.extra["fields"]
    # An administrator can ask for words again: every door follows.
    pothole.description_required = True
    pothole.save()
    with pytest.raises(ApplicationError):
        report(world, categories.eligible("C0201"), description="")


def test_the_categories_endpoint_tells_clients_the_icons_phrases_and_description_rule(client, world):
    body = client.get("/api/v1/cases/categories").json()
    minors = {m["code"]: m for major in body for m in major["children"]}
    assert minors["C0102"]["quick_icon"] == "lamp"
    assert minors["C0102"]["description_required"] is False
    assert minors["C0102"]["phrases"][0] == "The whole street is dark"
    assert minors["E0601"]["quick_icon"] == "" and minors["E0601"]["description_required"] is True


def test_every_icon_a_category_may_have_is_drawn(settings):
    sprite = (settings.BASE_DIR / "static" / "icons" / "quick.svg").read_text()
    for icon in [*QuickIcon.values, "more"]:
        assert f'<symbol id="{icon}"' in sprite, icon


# --- Steps sent through the outbox ---------------------------------------------------------------


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.tracking_number, action])


def test_a_step_sent_three_times_with_its_key_is_recorded_once(client, cw, category):
    case = report(cw, category)
    client.force_login(cw.grid_worker)
    data = {"accept-version": str(case.version), "accept-key": "k-3f2a9c0d1e", "accept-note": ""}
    answers = [client.post(act_url(case, "accept"), data, **JSON) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["url"] == case.get_absolute_url()
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    case.refresh_from_db()
    assert case.state == "accepted"
    # The page door answers a resent step the same way, without a "stale" refusal.
    page = client.post(act_url(case, "accept"), data)
    assert page.status_code == 302


def test_a_stale_step_without_its_key_is_a_conflict_in_json(client, cw, category):
    case = report(cw, category)
    client.force_login(cw.grid_worker)
    answer = client.post(act_url(case, "accept"), {"accept-version": "99"}, **JSON)
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"
    assert not CaseEvent.objects.filter(case=case, action="accept").exists()


def test_another_persons_key_does_not_count_as_their_step(cw, category):
    case = report(cw, category)
    services.case_act(case=case, action="accept", actor=cw.grid_worker, idempotency_key="shared-key-1")
    assert services.action_recorded(case=case, actor=cw.grid_worker, key="shared-key-1")
    assert not services.action_recorded(case=case, actor=cw.grid_leader, key="shared-key-1")


def test_the_outbox_page_opens_for_anyone(client, world):
    page = client.get(reverse("cases:outbox"))
    assert page.status_code == 200
    assert "data-outbox-list" in page.text
