"""The page forms refuse text the database cannot store as a field error, as the API does."""

from __future__ import annotations

from django.urls import reverse

from civicgrid.cases.models import Case, CaseEvent
from tests.api.test_body_limits import noisy_jpeg


def test_the_report_page_refuses_a_nul_in_the_description(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("a.jpg", noisy_jpeg(40), content_type="image/jpeg")
    response = client.post(
        reverse("cases:report"),
        {
            "lon": "120.705",
            "lat": "31.605",
            "category": "C0201",
            "description": "路面\x00有坑",
            "idempotency_key": "9f1c2b7e4a5d4c3b8e6f0a1b2c3d4e5f",
            "photos": [photo],
        },
    )
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.text
    assert Case.objects.count() == 0


def test_an_action_form_refuses_a_nul_in_the_note(login, world, cases):
    case = cases["reported"]
    events = CaseEvent.objects.filter(case=case).count()
    response = login(world.grid_worker).post(
        reverse("cases:act", args=[case.tracking_number, "reject"]),
        {"reject-version": str(case.version), "reject-note": "不在\x00本网格"},
    )
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.text
    assert CaseEvent.objects.filter(case=case).count() == events
