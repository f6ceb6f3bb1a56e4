"""Every (state, action, persona) combination: allowed exactly where the workflow says, refused elsewhere.

The expectations below are written out by hand from the issue, independently of workflow.py, so a
wrong row in the table fails here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.conftest import PATHS, jpeg, report, walk
from civicgrid.cases.workflow import ACTIONS, TRANSITIONS
from civicgrid.core.errors import ApplicationError

GRID = {"grid_worker", "grid_leader"}
VILLAGE = {"village_cadre"}
TOWN = {"town_operator"}
AGENCY = {"agency_staff"}
PERSONAS = [
    "resident",
    "grid_worker",
    "grid_leader",
    "village_cadre",
    "town_operator",
    "agency_staff",
    "agency_b_staff",
    "city_admin",
    "outsider",
]
# Who may see a case in each state (they may comment while it is open); the agency only once it
# has been dispatched to it.
VIEWERS = {"resident", *GRID, *VILLAGE, *TOWN, "city_admin"}
AGENCY_STATES = {
    "dispatched",
    "in_progress",
    "in_progress+extension",
    "in_progress+suspension",
    "suspended",
    "checking",
    "resolved",
    "closed",
}

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("reported", "accept"): GRID,
    ("reported", "reject"): GRID,
    ("reported", "merge"): GRID,
    ("reported", "assign_grid"): VILLAGE | TOWN,
    ("accepted", "handle_in_grid"): GRID,
    ("accepted", "escalate_to_village"): GRID,
    ("grid_handling", "resolve"): GRID,
    ("grid_handling", "escalate_to_village"): GRID,
    ("village", "handle_in_village"): VILLAGE,
    ("village", "escalate_to_town"): VILLAGE,
    ("village_handling", "resolve"): VILLAGE,
    ("village_handling", "escalate_to_town"): VILLAGE,
    ("town", "dispatch"): TOWN,
    ("dispatched", "sign"): AGENCY,
    ("dispatched", "return_dispatch"): AGENCY,
    ("dispatched", "redispatch"): TOWN,
    ("in_progress", "request_extension"): AGENCY,
    ("in_progress", "request_suspension"): AGENCY,
    ("in_progress", "resolve"): AGENCY,
    ("in_progress+extension", "approve_request"): TOWN,
    ("in_progress+extension", "refuse_request"): TOWN,
    ("in_progress+suspension", "approve_request"): TOWN,
    ("in_progress+suspension", "refuse_request"): TOWN,
    ("suspended", "resume"): TOWN | AGENCY,
    ("checking", "pass_check"): GRID,
    ("checking", "rework"): GRID,
    ("resolved", "rate"): {"resident"} | VILLAGE | TOWN,
}
STATES = [*PATHS, "in_progress+extension", "in_progress+suspension"]
for _state in STATES:
    if _state not in ("rejected", "closed"):
        EXPECTED[(_state, "comment")] = VIEWERS | (AGENCY if _state in AGENCY_STATES else set())


def make_case(world, category, state: str) -> Case:
    case = report(world, category)
    if state.startswith("in_progress+"):
        case = walk(world, case, PATHS["in_progress"])
        if state.endswith("extension"):
            until = timezone.now() + timedelta(days=10)
            return walk(
                world, case, [("request_extension", "agency_staff", {"note": "材料未到", "until": until})]
            )
        return walk(world, case, [("request_suspension", "agency_staff", {"note": "需列入计划"})])
    return walk(world, case, PATHS[state])


def arguments(world, case: Case, state: str, action: str, other: Case) -> dict:
    """Return what the action needs, by what the table says it requires or accepts."""
    real_state = state.split("+")[0]
    t = TRANSITIONS.get((real_state, action))
    wanted = (t.requires | t.accepts) if t else {"note"}
    kw: dict = {}
    if "note" in wanted:
        kw["note"] = "现场说明"
    if "photos" in wanted:
        kw["photos"] = [jpeg()]
    if "agency" in wanted:
        kw["agency"] = world.agency
    if "until" in wanted:
        kw["until"] = timezone.now() + timedelta(days=5)
    if "merge_into" in wanted:
        kw["merge_into"] = other
    if "grid" in wanted:
        kw["grid"] = world.grid_a1b
    if "rating" in wanted:
        kw.update(solved=True, satisfaction="satisfied")
    return kw


class Rollback(Exception):
    pass


def test_it_allows_each_action_exactly_to_the_roles_the_workflow_names(cw, category):
    other = report(cw, category, description="另一个坑")
    cases = {state: make_case(cw, category, state) for state in STATES}
    mismatches = []
    for state, case in cases.items():
        for action in ACTIONS:
            for persona in PERSONAS:
                fresh = Case.objects.get(pk=case.pk)
                events_before = CaseEvent.objects.filter(case=fresh).count()
                allowed = True
                try:
                    with transaction.atomic():
                        services.case_act(
                            case=fresh,
                            action=action,
                            actor=getattr(cw, persona),
                            **arguments(cw, fresh, state, action, other),
                        )
                        raise Rollback
                except Rollback:
                    pass
                except ApplicationError:
                    allowed = False
                    # A refusal changes nothing.
                    assert Case.objects.get(pk=case.pk).version == case.version
                    assert CaseEvent.objects.filter(case=fresh).count() == events_before
                expected = persona in EXPECTED.get((state, action), set())
                if allowed != expected:
                    mismatches.append((state, action, persona, "allowed" if allowed else "refused"))
    assert not mismatches, "\n".join(map(str, mismatches))


def test_it_refuses_the_system_action_to_everyone(case_in, cw):
    case = case_in("resolved")
    for persona in PERSONAS:
        with pytest.raises(ApplicationError):
            services.case_act(case=case, action="auto_close", actor=getattr(cw, persona))
    closed = services.case_act(case=case, action="auto_close", actor=None, system=True)
    assert closed.state == "closed"


def test_the_table_has_no_row_the_expectations_forget():
    real = {
        (s, a)
        for (s, a) in TRANSITIONS
        if a not in ("comment", "auto_close", "approve_request", "refuse_request")
    }
    expected = {(s, a) for (s, a) in EXPECTED if a != "comment" and "+" not in s}
    assert real == expected
