"""Pages of the administrative tree (being written)."""

from django.http import HttpResponse


def browse(request):
    return HttpResponse("")


def detail(request, code):
    return HttpResponse("")


def import_upload(request):
    return HttpResponse("")
