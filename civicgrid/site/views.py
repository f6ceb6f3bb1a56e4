import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.selectors import CaseFilters
from civicgrid.cases.selectors_work import work_access
from civicgrid.cases.views_common import strip_context
from civicgrid.core.roles import STAFF_ROLES
from civicgrid.core.scopes import has_role, scopes
from civicgrid.orgs import access as org_access
from civicgrid.site import offline

# The home page lists at most this many of a resident's reports awaiting their rating.
RATE_SHOWN = 3


def _todo(user, staff: bool) -> tuple[list[dict], list]:
    """What the person has to do now: a staff member's queues with cases in them (one statement, read
    once per request with the tab bar's to-do badge); for anyone else, their own reports solved and
    waiting for their rating (one query)."""
    if staff:
        todo = [
            {"key": q.key, "label": q.label, "total": total, "url": f"{reverse('cases:queue')}?queue={q.key}"}
            for q, total in case_selectors.queues_once(user)
            if total
        ]
        return todo, []
    waiting = CaseFilters(mine=True, states=case_selectors.QUEUE_BY_KEY["rate"].states)
    to_rate = list(
        case_selectors.case_list(user=user, filters=waiting)
        .select_related("category", "grid", "village")
        .order_by("-id")[:RATE_SHOWN]
    )
    return [], to_rate


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what CivicGrid is, and for a signed-in person what they have to do now, their
    roles and places (and for command centres and agencies, the one-line overview of their scope).
    Residents get the big report button and their reports waiting for a rating; the words are theirs."""
    context = {}
    if request.user.is_authenticated:
        staff = has_role(request.user, *STAFF_ROLES)
        context["staff"] = staff
        context["scopes"] = scopes(request.user)
        # A federation cadre's scope is their offices in the network, not a place.
        context["offices"] = org_access.offices(request.user)
        context["todo"], context["to_rate"] = _todo(request.user, staff)
        if work_access(request.user).overview:
            context["strip"] = strip_context(request.user)
    return render(request, "site/home.html", context)


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Serve the service worker from the site's root, so it may keep every page (`site.offline`).

    Never cached by the browser's HTTP cache: a new release must reach the phone on its next visit.
    """
    context = {
        "version": json.dumps(offline.version()),
        "pages": json.dumps(offline.pages()),
        "assets": json.dumps(offline.assets()),
        "prefixes": json.dumps(list(offline.RUNTIME_PREFIXES)),
        "offline_url": json.dumps(reverse("site:offline")),
    }
    response = render(request, "site/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """Serve the web app manifest: the phone's "add to home screen" installs CivicGrid as an app."""
    body = offline.manifest()
    body["lang"] = "en" if (get_language() or "").startswith("en") else "zh-CN"
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    """The page the phone shows for a page it did not keep, when there is no signal."""
    return render(request, "site/offline.html")
