"""Whatever a client sends, the answer is a known status in the spec's shape, and a refusal files
nothing (hypothesis draws the parameters)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.models import Case
from civicgrid.open311.tests import schemas

NAMES = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "email",
    "phone",
    "first_name",
    "media_url",
    "attribute[severity]",
    "attribute[hazards][]",
    "attribute[width]",
]
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "C0201", "C0601", "31.605", "120.705", "91", "-181", "NaN", "1e309", "broken"]),
)
bodies = st.dictionaries(st.sampled_from(NAMES), st.lists(text, min_size=1, max_size=3), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, with_key=st.booleans(), fmt=st.sampled_from(["json", "xml"]))
def test_any_post_gets_a_known_answer(world, client, key, asked, body, with_key, fmt):
    if with_key:
        body = {**body, "api_key": [key]}
    before = Case.objects.count()
    answer = client.post(
        f"/open311/v2/requests.{fmt}",
        urlencode(body, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    assert answer.status_code in (200, 201, 400, 403, 404, 422, 429), answer.content[:300]
    if answer.status_code >= 400:
        assert Case.objects.count() == before
        if fmt == "json":
            jsonschema.validate(json.loads(answer.content), schemas.ERRORS)
        else:
            assert answer.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "service_request_id",
                "service_code",
                "start_date",
                "end_date",
                "status",
                "page",
                "page_size",
                "extensions",
            ]
        ),
        text,
        max_size=5,
    )
)
def test_any_list_query_gets_a_known_answer(world, client, params):
    answer = client.get("/open311/v2/requests.json", params)
    assert answer.status_code in (200, 400, 404), answer.content[:300]
    data = json.loads(answer.content)
    jsonschema.validate(
        data,
        schemas.ERRORS
        if answer.status_code >= 400
        else (
            schemas.REQUESTS_EXTENDED
            if params.get("extensions", "").strip().lower() in ("true", "1", "yes")
            else schemas.REQUESTS
        ),
    )
