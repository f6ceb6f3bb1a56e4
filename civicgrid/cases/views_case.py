"""Being written."""

from django.http import HttpResponse


def detail(request, number="", action="", photo_id=0, size=""):
    return HttpResponse("")


notifications = act = photo = detail
