"""A refusal raised in any page becomes a friendly page with the right status, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from civicgrid import urls as root_urls
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied


def raises(exc: Exception):
    def view(request):
        raise exc

    return view


def crashes(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("t/forbidden", raises(PermissionDenied("Only the town may do this."))),
    path("t/missing", raises(NotFound("No such case."))),
    path("t/conflict", raises(Conflict("Someone else acted first."))),
    path("t/invalid", raises(ApplicationError("The reason is required."))),
    path("t/crash", crashes),
    *root_urls.urlpatterns,
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/t/forbidden", 403, "Only the town may do this."),
        ("/t/missing", 404, "No such case."),
        ("/t/conflict", 409, "Someone else acted first."),
        ("/t/invalid", 400, "The reason is required."),
    ],
)
def test_it_renders_refusals_as_pages(client, url, status, text):
    response = client.get(url)
    assert response.status_code == status
    assert text in response.content.decode()


def test_it_shows_a_plain_error_page_for_a_crash(db):
    client = Client(raise_request_exception=False)
    response = client.get("/t/crash", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
