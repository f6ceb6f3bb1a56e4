"""What an integrator of the API starts from: the shared world, a few cases, a staff token, clients."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from civicgrid.accounts.services import api_token_create
from civicgrid.cases.models import Category
from civicgrid.cases.tests.conftest import PATHS, report, walk


@pytest.fixture
def cases(world):
    """Cases of town A in a few states: reported, at the town, dispatched, resolved."""
    category = Category.objects.get(code="C0201")
    made = {}
    for state in ("reported", "town", "dispatched", "resolved"):
        made[state] = walk(world, report(world, category), PATHS[state])
    return made


@pytest.fixture
def staff_token(world) -> str:
    """An API token of town A's operator, as a 12345 bridge or dashboard would hold."""
    return api_token_create(user=world.town_operator, name="integration")[1]


def api_client(*, token: str | None = None, user=None) -> Client:
    """Return a client that behaves like an outside program: CSRF is enforced, errors are answers."""
    headers = {"Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    client = Client(enforce_csrf_checks=True, raise_request_exception=False, headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def session_client(user) -> tuple[Client, dict[str, str]]:
    """Return a signed-in browser-like client and the CSRF header its unsafe requests must carry."""
    client = api_client(user=user)
    client.get("/")  # a page sets the CSRF cookie, as in a browser
    token = client.cookies["csrftoken"].value
    return client, {"X-CSRFToken": token}


@pytest.fixture
def wsgi_app(db):
    """The WSGI application inside the test's transaction.

    Django closes "old" connections when a request starts and ends; inside a test transaction that
    would close the test's own connection, so (as Django's test client does) the hooks are off.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
