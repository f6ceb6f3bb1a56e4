from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.cases.selectors_work import work_access
from civicgrid.cases.views_common import strip_context
from civicgrid.core.scopes import scopes
from civicgrid.orgs import access as org_access


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what CivicGrid is, and for a signed-in person their roles and places (and for
    command centres and agencies, the one-line overview of their scope)."""
    context = {}
    if request.user.is_authenticated:
        context["scopes"] = scopes(request.user)
        # A federation cadre's scope is their offices in the network, not a place.
        context["offices"] = org_access.offices(request.user)
        if work_access(request.user).overview:
            context["strip"] = strip_context(request.user)
    return render(request, "site/home.html", context)
