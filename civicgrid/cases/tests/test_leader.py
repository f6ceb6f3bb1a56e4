"""The grid leader's page: each grid worker's open, overdue and due-soon work, who may open it, its cost."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import PATHS, report, walk
from civicgrid.site.navigation import nav_items
from conftest import PASSWORD

URL = reverse("cases:leader")


def counts_of(html: str, worker_id: int) -> dict[str, int]:
    """Return the numbers in the row of one worker."""
    row = re.search(rf'data-worker="{worker_id}".*?</li>', html, re.S)
    assert row, f"no row for worker {worker_id}"
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', row.group(0))}


def person(username: str, phone: str, role: str, place):
    user = user_create(username=username, password=PASSWORD, display_name=username, phone=phone)
    role_assign(user=user, role=role, place=place)
    return user


@pytest.fixture
def example(cw, category):
    """Grid A1a: one case due in 10 h, one overdue, one due in 2 h, one gone up to the town (not the
    grid's step any more). Grid A1b (outside the leader's grid): one overdue case and its own worker."""
    now = timezone.now()
    a1a = [walk(cw, report(cw, category), PATHS["accepted"]) for _ in range(3)]
    for case, hours in zip(a1a, (10, -1, 2), strict=True):
        Case.objects.filter(pk=case.pk).update(step_due_at=now + timedelta(hours=hours))
    walk(cw, report(cw, category), PATHS["town"])
    cw.worker_b = person("workerb", "13800000021", "grid_worker", cw.grid_a1b)
    b = report(cw, category, lon=120.715)
    assert b.grid_id == cw.grid_a1b.pk
    Case.objects.filter(pk=b.pk).update(step_due_at=now - timedelta(hours=3))
    return cw


def test_it_shows_each_worker_their_grids_open_overdue_and_due_soon_counts(example, login):
    second = person("worker2", "13800000022", "grid_worker", example.grid_a1a)
    response = login(example.grid_leader).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert counts_of(html, example.grid_worker.pk) == {"open": 3, "overdue": 1, "due_soon": 1}
    # Cases belong to the grid: its second worker has the same open work, and no action of theirs yet.
    assert counts_of(html, second.pk) == {"open": 3, "overdue": 1, "due_soon": 1}
    row = re.search(rf'data-worker="{second.pk}".*?</li>', html, re.S).group(0)
    assert "No action yet" in row
    first_row = re.search(rf'data-worker="{example.grid_worker.pk}".*?</li>', html, re.S).group(0)
    assert "Last action" in first_row
    # Another grid's worker is not this leader's.
    assert f'data-worker="{example.worker_b.pk}"' not in html
    assert f'data-worker="{example.outsider.pk}"' not in html
    # A grid leader has no command centre: the numbers lead to the queue.
    assert f'href="{reverse("cases:queue")}"' in html


def test_the_village_above_may_open_it_for_a_grid_of_theirs(example, login):
    client = login(example.village_cadre)
    response = client.get(URL)
    html = response.content.decode()
    assert counts_of(html, example.grid_worker.pk) == {"open": 3, "overdue": 1, "due_soon": 1}
    assert counts_of(html, example.worker_b.pk) == {"open": 1, "overdue": 1, "due_soon": 0}
    narrowed = client.get(URL, {"grid": example.grid_a1b.code}).content.decode()
    assert f'data-worker="{example.grid_worker.pk}"' not in narrowed
    # The numbers lead to the command centre's list of that grid.
    assert f"region={example.grid_a1b.code}&amp;overdue=on" in narrowed


def test_another_grids_leader_and_a_resident_are_refused(example, client):
    other_leader = person("leaderb", "13800000023", "grid_leader", example.grid_b1a)
    client.force_login(other_leader)
    assert client.get(URL, {"grid": example.grid_a1a.code}).status_code == 403
    own = client.get(URL).content.decode()
    assert f'data-worker="{example.outsider.pk}"' in own
    assert f'data-worker="{example.grid_worker.pk}"' not in own
    client.force_login(example.resident)
    assert client.get(URL).status_code == 403
    client.force_login(example.grid_worker)
    assert client.get(URL).status_code == 403


def test_the_query_count_does_not_grow_with_workers_or_cases(example, login, category):
    client = login(example.village_cadre)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for n in range(5):
        person(f"more{n}", f"1380000010{n}", "grid_worker", example.grid_a1b)
        walk(example, report(example, category), PATHS["accepted"])
    with CaptureQueriesContext(connection) as many:
        html = client.get(URL).content.decode()
    assert len(many) == len(few)
    assert len(many) <= 12
    assert counts_of(html, example.grid_worker.pk)["open"] == 8


def test_the_navigation_offers_it_to_grid_leaders_only(example):
    assert "leader" in [i.key for i in nav_items(example.grid_leader)]
    assert "leader" not in [i.key for i in nav_items(example.grid_worker)]
