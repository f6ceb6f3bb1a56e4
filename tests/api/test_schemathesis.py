"""A bounded schemathesis run over the whole OpenAPI: no server error, no answer outside the schema.

Run twice, as an integration would hold the API (a town operator's token, here) and as a resident's
phone would (a session cookie with its CSRF header: test_schemathesis_resident.py, a file of its own
so the two runs share the workers). Bounded and derandomized, so a run is reproducible:
EXAMPLES cases per operation, generated from the schema, with real tracking numbers, place codes,
actions and categories mixed in so the endpoints do real work on the seeded cases.
"""

from __future__ import annotations

import time

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.cases.workflow import ACTIONS
from civicgrid.places.models import Place

EXAMPLES = 14
NEGATIVE_EXAMPLES = 4
NEGATIVE = schemathesis.GenerationMode.NEGATIVE
# Operations with nothing that can be sent wrong (one string in the path, no sign-in): hypothesis
# would search long for a negative case and give up.
NOTHING_TO_BREAK = {"GET /api/v1/cases/public/{number}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def real_values(cases) -> dict[str, list[str]]:
    return {
        "number": [c.tracking_number for c in cases.values()],
        "code": list(Place.objects.values_list("code", flat=True)),
        "action": sorted(ACTIONS),
        "category": ["C0201", "C0601", "C0303"],
    }


def run(
    app, real: dict[str, list[str]], headers: dict[str, str], cookies: dict[str, str] | None = None
) -> tuple[list[str], dict[int, int]]:
    """Run every operation of the OpenAPI; return the failures and how many answers had each status."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # Data that fits the schema, then some that does not (wrong types, out of range, missing,
        # no credentials): every answer must be one the schema documents.
        for mode, examples in (
            (schemathesis.GenerationMode.POSITIVE, EXAMPLES),
            (NEGATIVE, NEGATIVE_EXAMPLES),
        ):
            if mode == NEGATIVE and operation.label in NOTHING_TO_BREAK:
                continue

            @hypothesis_settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            def check(case, data) -> None:
                # Half the time, a value that exists, so the operation gets past its look-ups.
                for name in list(case.path_parameters or {}):
                    if name in real and data.draw(st.booleans()):
                        case.path_parameters[name] = data.draw(st.sampled_from(real[name]))
                if isinstance(case.body, dict) and data.draw(st.booleans()):
                    if "category" in case.body:
                        case.body["category"] = data.draw(st.sampled_from(real["category"]))
                    if "lon" in case.body and "lat" in case.body:
                        case.body["lon"], case.body["lat"] = 120.705, 31.605
                response = case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a group of failures
                failures.append(f"{operation.label} ({mode}): {exc!r}"[:3000])
    return failures, statuses


def test_the_api_holds_its_schema_for_a_staff_token(wsgi_app, world, cases, staff_token):
    started = time.monotonic()
    failures, statuses = run(wsgi_app, real_values(cases), {"Authorization": f"Bearer {staff_token}"})
    print(f"schemathesis, staff token: {sorted(statuses.items())} in {time.monotonic() - started:.1f} s")
    assert failures == [], "\n\n".join(failures)
    # The run did real work, not only refusals.
    assert statuses.get(200, 0) + statuses.get(201, 0) > 50
