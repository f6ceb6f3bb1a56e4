"""Being written."""

from django.http import HttpResponse


def queue(request):
    return HttpResponse("")


centre = case_map = agency_inbox = batch_dispatch = queue
