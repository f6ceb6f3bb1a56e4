"""A flood of reports from one address or one person is refused; staff intake and retries are not."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.conftest import report
from civicgrid.core.errors import ApplicationError
from civicgrid.lib import ratelimit


@pytest.fixture
def limits(settings):
    cache.clear()
    settings.CASE_INTAKE_ANONYMOUS_PER_HOUR = 3
    settings.CASE_INTAKE_USER_PER_HOUR = 4
    yield settings
    cache.clear()


def post(client, n: int, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/cases/",
        json.dumps({"category": "E0104", "description": f"噪声 {n}", "lon": 120.705, "lat": 31.605}),
        content_type="application/json",
        **headers,
    )


def test_it_refuses_the_fourth_anonymous_report_from_one_address_within_the_hour(client, world, limits):
    assert [post(client, n).status_code for n in range(3)] == [201, 201, 201]
    refused = post(client, 4)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert Case.objects.count() == 3


def test_it_does_not_count_a_retry_of_an_accepted_report(client, world, limits):
    for _ in range(5):
        assert post(client, 0, key="same-report-key").status_code in (200, 201)
    assert Case.objects.count() == 1
    assert post(client, 1).status_code == 201


def test_it_limits_a_signed_in_reporter_by_account(world, limits):
    category = Category.objects.get(code="C0201")
    for _ in range(4):
        report(world, category, client="10.0.0.1")
    with pytest.raises(ApplicationError) as exc:
        report(world, category, client="10.0.0.2")
    assert exc.value.status == 429


def test_it_never_limits_staff_recording_hotline_orders(world, limits):
    category = Category.objects.get(code="E0104")
    for n in range(6):
        report(
            world,
            category,
            reporter=world.town_operator,
            source="hotline",
            external_ref=f"GD-{n}",
            client="x",
        )
    assert Case.objects.filter(source="hotline").count() == 6


def test_no_limit_means_no_limit(db):
    assert all(ratelimit.allow("k", limit=0, window=60) for _ in range(100))
