from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core.scopes import scopes


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what CivicGrid is, and for a signed-in person their roles and places."""
    context = {}
    if request.user.is_authenticated:
        context["scopes"] = scopes(request.user)
    return render(request, "site/home.html", context)
