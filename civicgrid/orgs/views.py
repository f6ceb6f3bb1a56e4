"""Pages of the organisation network: the tree, an organisation."""

from django.http import HttpResponse


def tree(request):  # replaced in the next step
    return HttpResponse("")


def detail(request, pk: int):
    return HttpResponse("")
