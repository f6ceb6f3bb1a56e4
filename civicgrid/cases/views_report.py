"""Being written."""
from django.http import HttpResponse


def report(request):
    return HttpResponse("")


my_reports = mobile_record = public_status = report
