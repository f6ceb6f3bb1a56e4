from django.contrib import admin
from django.urls import include, path

from civicgrid.api import api

urlpatterns = [
    path("", include("civicgrid.site.urls")),
    path("", include("civicgrid.core.urls")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("places/", include("civicgrid.places.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("addresses/", include("civicgrid.addresses.urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("volunteers/", include("civicgrid.volunteers.urls")),
    path("points/", include("civicgrid.points.urls")),
    path("orgs/", include("civicgrid.orgs.urls")),
    path("governance/", include("civicgrid.governance.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
# Uploaded media (case photos) is never served from MEDIA_URL: every photo goes through
# `cases:photo`, which checks who may see it.
