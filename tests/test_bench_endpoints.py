"""The benchmark's own endpoints answer as bench/bench_intake.py expects (it is not run by the suite)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection

from civicgrid.cases import counts
from civicgrid.cases.models import Case, CaseEvent, Notification

pytestmark = pytest.mark.urls("bench.intake_urls")


@pytest.fixture
def bench_row(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE bench_row (id bigserial PRIMARY KEY, payload text NOT NULL)")
        else:
            cursor.execute(
                "CREATE TABLE bench_row (id integer PRIMARY KEY AUTOINCREMENT, payload text NOT NULL)"
            )


def test_bare_insert(client, bench_row):
    response = client.post("/bench/insert", json.dumps({"description": "x"}), content_type="application/json")
    assert response.status_code == 201 and response.json()["id"]


def test_lean_intake_files_a_case_with_its_event_and_notifications(client, world):
    body = {"category": "E0104", "description": "噪声", "lon": 120.705, "lat": 31.605}
    key = uuid.uuid4().hex
    response = client.post(
        "/bench/lean-intake",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["routed"] is True
    case = Case.objects.get(tracking_number=data["tracking_number"])
    assert case.grid_id == world.grid_a1a.pk and case.idempotency_key == f"anon:{key}"
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    notice = Notification.objects.get(case=case, user=world.grid_worker)
    assert notice.params == {"number": case.tracking_number, "state": "reported"}
    # Like intake, the floor keeps the case's tallies (the suite's check after the test compares them).
    assert counts.total(places=[world.grid_a1a.pk], states=["reported"]) == 1
    again = client.post(
        "/bench/lean-intake",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert again.status_code == 200
