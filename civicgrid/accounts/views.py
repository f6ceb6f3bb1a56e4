from django.http import HttpResponse


def login_view(request):
    return HttpResponse("")


def logout_view(request):
    return HttpResponse("")


def tokens(request):
    return HttpResponse("")
