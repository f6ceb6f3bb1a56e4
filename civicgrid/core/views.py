from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from civicgrid.core import access


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what CivicGrid is, and for a signed-in person their roles and places."""
    context = {}
    if request.user.is_authenticated:
        context["scopes"] = access.scopes(request.user)
    return render(request, "core/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
