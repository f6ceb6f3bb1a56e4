"""The bounded schemathesis run of test_schemathesis.py, as a resident's phone holds the API: a session
cookie with its CSRF header."""

from __future__ import annotations

import time

from django.test import Client
from django.utils.crypto import get_random_string

from tests.api.test_schemathesis import real_values, run


def test_the_api_holds_its_schema_for_a_resident_session(wsgi_app, world, cases):
    client = Client()
    client.force_login(world.resident)  # no request is made: the hooks stay off
    # The CSRF cookie a page would have set, and the header a script copies it into.
    session, csrf = client.cookies["sessionid"].value, get_random_string(32)
    started = time.monotonic()
    failures, statuses = run(
        wsgi_app, real_values(cases), {"X-CSRFToken": csrf}, {"sessionid": session, "csrftoken": csrf}
    )
    print(f"schemathesis, resident session: {sorted(statuses.items())} in {time.monotonic() - started:.1f} s")
    assert failures == [], "\n\n".join(failures)
    assert statuses.get(200, 0) + statuses.get(201, 0) > 50
