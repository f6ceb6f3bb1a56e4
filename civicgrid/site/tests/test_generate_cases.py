"""`manage.py generate_cases`: bulk scale data that follows the workflow's rules (both databases)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.utils import timezone
from shapely.geometry import shape

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.cases import services
from civicgrid.cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Notification,
    TrackingCounter,
)
from civicgrid.cases.workflow import STATES, TRANSITIONS
from civicgrid.core.roles import Role
from civicgrid.places.models import Boundary, Place
from civicgrid.site import generate

COUNT = 300


def run(count: int = COUNT, days: int = 60, **kwargs) -> str:
    out = StringIO()
    call_command("generate_cases", count=count, days=days, no_progress=True, stdout=out, **kwargs)
    return out.getvalue()


DEMO_LAST = {"id": 0}


def index_names() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        tables = [m._meta.db_table for m in generate.BULK_TABLES]
        return {
            name
            for table in tables
            for name, info in connection.introspection.get_constraints(cursor, table).items()
            if info["index"]
        }


pytestmark = [pytest.mark.django_db]


@pytest.fixture(scope="module")
def generated(demo_county) -> str:
    """The demo county with COUNT generated cases, written once for the module (rolled back after it)."""
    DEMO_LAST["id"] = Case.objects.order_by("pk").last().pk
    return run(batch=70)


def generated_cases():
    return Case.objects.filter(pk__gt=DEMO_LAST["id"])


def test_it_writes_the_cases_with_their_record_and_says_what_comes_after(generated):
    assert str(COUNT) in generated.splitlines()[0]
    assert "counts" in generated.rstrip().splitlines()[-1]  # the time of each step, the counts' too
    cases = list(generated_cases().order_by("pk"))
    assert len(cases) == COUNT
    assert {c.state for c in cases} >= {Case.State.CLOSED, Case.State.REPORTED, Case.State.IN_PROGRESS}
    assert sum(c.state not in TERMINAL_STATES for c in cases) >= 10
    # ids grow with time; no idempotency keys; tracking numbers readable and of their day.
    assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(cases))
    assert all(c.idempotency_key is None for c in cases)
    for case in cases:
        assert case.tracking_number.startswith(timezone.localdate(case.created_at).strftime("%Y%m%d-"))
    assert len({c.tracking_number for c in cases}) == COUNT


def test_every_hotline_case_has_its_work_order_answered_as_the_workflow_would(generated):
    from civicgrid.cases import hotline_replies
    from civicgrid.cases.models import HotlineCategoryMap, HotlineOrder

    hotline = generated_cases().filter(source=Case.Source.HOTLINE)
    assert hotline.count() >= 10
    orders = {o.case_id: o for o in HotlineOrder.objects.filter(case__in=hotline)}
    assert set(orders) == set(hotline.values_list("pk", flat=True))
    assert not HotlineOrder.objects.filter(case__in=generated_cases().exclude(source=Case.Source.HOTLINE))
    paths = set(HotlineCategoryMap.objects.values_list("path", flat=True))
    for case in hotline:
        order = orders[case.pk]
        assert order.order_number == case.external_ref and order.received_at == case.created_at
        assert order.due_at == case.resolution_due_at and order.address_text == case.address
        assert order.kind in HotlineOrder.Kind.values and (
            order.category_path in paths or not order.category_path
        )
        expected = hotline_replies.answered_at(case, case.updated_at)
        assert order.answered_at == expected, (case.tracking_number, case.state)
    assert any(o.answered_at for o in orders.values()) and any(not o.answered_at for o in orders.values())
    assert any(o.category_path for o in orders.values())
    # They are on the town's reply list.
    town = RoleAssignment.objects.filter(role=Role.TOWN_OPERATOR, place__code="329881001").first().user
    listed = hotline_replies.reply_orders(user=town, filters=hotline_replies.ReplyFilters())
    assert listed.filter(case__in=hotline).exists()


def test_states_deadlines_and_fields_follow_the_workflow(generated):
    now = timezone.now()
    cases = {c.pk: c for c in generated_cases()}
    for case in cases.values():
        facts = STATES[case.state]
        if facts.terminal:
            assert case.step_due_at is None and not case.is_overdue
        else:
            assert (case.step_due_at is None) == (facts.deadline == ""), case.state
            assert case.is_overdue == (facts.overdue and case.step_due_at < now), case.tracking_number
        if case.state == Case.State.CLOSED:
            assert case.closed_at is not None and case.resolved_at is not None
        if case.state == Case.State.MERGED:
            assert case.merged_into_id is not None and case.merged_into_id < case.pk
            # Merged into a case that was still open then.
            merged_at = CaseEvent.objects.get(case=case, action="merge").at
            ended = CaseEvent.objects.filter(
                case_id=case.merged_into_id, to_state__in=TERMINAL_STATES
            ).first()
            assert ended is None or ended.at > merged_at
        else:
            assert case.merged_into_id is None
        if case.state in (Case.State.DISPATCHED, Case.State.IN_PROGRESS, Case.State.SUSPENDED):
            assert case.lead_agency_id is not None and case.handler == "agency"
            assert case.lead_agency.is_active
        if case.satisfaction:
            assert case.rated_at is not None and case.solved is not None
        if case.pending_request:
            assert case.state == Case.State.IN_PROGRESS


def test_events_are_ordered_and_each_step_is_a_transition(generated):
    cases = {c.pk: c for c in generated_cases()}
    events = defaultdict(list)
    for e in CaseEvent.objects.filter(case_id__in=list(cases)).order_by("case_id", "id"):
        events[e.case_id].append(e)
    assert sum(len(v) for v in events.values()) >= COUNT * 3
    for case_id, record in events.items():
        case = cases[case_id]
        assert record[0].action == "report" and record[0].at == case.created_at
        assert record[0].to_state == Case.State.REPORTED
        state = Case.State.REPORTED
        for before, event in itertools.pairwise(record):
            assert before.at <= event.at <= timezone.now(), case.tracking_number
            assert event.from_state == state, (case.tracking_number, event.action)
            if event.action != "overdue":
                assert (state, event.action) in TRANSITIONS, (case.tracking_number, event.action)
            state = event.to_state
        assert state == case.state, case.tracking_number
        assert case.version == sum(e.action not in ("report", "overdue") for e in record)
        assert case.updated_at >= record[-1].at or record[-1].action == "overdue"
    # Every resolution has its result photo; photo rows point at the placeholder.
    resolves = CaseEvent.objects.filter(case_id__in=list(cases), action="resolve")
    assert set(resolves.values_list("pk", flat=True)) <= set(
        CasePhoto.objects.filter(kind="result").values_list("event_id", flat=True)
    )
    assert set(CasePhoto.objects.filter(case_id__in=list(cases)).values_list("image", flat=True)) == {
        generate.PLACEHOLDER_IMAGE
    }


def test_every_case_lies_in_its_grid_with_the_grids_scope_ids(generated):
    places = {p.pk: p for p in Place.objects.all()}
    shapes = {b.place_id: shape(b.geometry) for b in Boundary.objects.filter(valid_to__isnull=True)}
    for case in generated_cases():
        grid = places[case.grid_id]
        assert grid.level == "grid" and case.routed
        assert case.village_id == grid.parent_id
        assert case.town_id == places[case.village_id].parent_id
        assert case.district_id == places[case.town_id].parent_id
        assert shapely.covers(shapes[grid.pk], shapely.Point(case.lon, case.lat)), case.tracking_number


def test_notifications_go_only_to_the_staff_of_the_place_its_agencies_and_its_reporter(generated):
    cases = {c.pk: c for c in generated_cases()}
    roles = defaultdict(set)
    agency_staff = defaultdict(set)
    for ra in RoleAssignment.objects.filter(is_active=True):
        if ra.role == Role.AGENCY_STAFF:
            agency_staff[ra.agency_id].add(ra.user_id)
        else:
            roles[ra.place_id].add(ra.user_id)
    dispatched_to = defaultdict(set)
    for case_id, data in CaseEvent.objects.filter(
        case_id__in=list(cases), action__in=["dispatch", "redispatch"]
    ).values_list("case_id", "data"):
        dispatched_to[case_id].add(data["agency"])
    notes = list(Notification.objects.filter(case_id__in=list(cases)))
    assert len(notes) >= COUNT
    for note in notes:
        case = cases[note.case_id]
        allowed = set().union(
            *(roles[p] for p in (case.grid_id, case.village_id, case.town_id, case.district_id)),
            *(agency_staff[a] for a in dispatched_to[case.pk]),
        )
        if case.reporter_id:
            allowed.add(case.reporter_id)
        assert note.user_id in allowed, (case.tracking_number, note.kind)
        assert note.text.startswith(case.tracking_number)
        assert note.read_at is None or note.read_at >= note.created_at
    # Most older notifications are read; the newest are mostly not.
    old = [n for n in notes if n.created_at < timezone.now() - timedelta(days=7)]
    assert sum(n.read_at is not None for n in old) >= 0.8 * len(old)


def test_the_counters_stay_ahead_so_a_later_intake_gets_a_new_number(generated):
    counters = dict(TrackingCounter.objects.values_list("day", "last"))
    for number in Case.objects.values_list("tracking_number", flat=True):
        day, n = number.split("-")
        assert counters[timezone.datetime.strptime(day, "%Y%m%d").date()] >= int(n)
    grid = Place.objects.get(code=generated_cases().first().grid.code)
    point = shape(Boundary.objects.get(place=grid, valid_to__isnull=True).geometry).representative_point()
    intake = services.case_create(
        reporter=None,
        source=Case.Source.RESIDENT,
        category="E0104",
        description="夜间噪声",
        lon=point.x,
        lat=point.y,
    )
    assert (
        not Case.objects.filter(tracking_number=intake.case.tracking_number)
        .exclude(pk=intake.case.pk)
        .exists()
    )
    assert intake.case.pk > generated_cases().exclude(pk=intake.case.pk).order_by("pk").last().pk


def test_generated_staff_can_open_the_cases_they_work_on(generated, client):
    case = generated_cases().filter(town__code="329881001").exclude(state__in=TERMINAL_STATES).first()
    client.force_login(User.objects.get(username="town"))
    assert client.get(case.get_absolute_url()).status_code == 200
    # Every town got an operator and every active agency a staff member.
    for town in Place.objects.filter(level="town", code__startswith="329881"):
        assert RoleAssignment.objects.filter(role=Role.TOWN_OPERATOR, place=town).exists()
