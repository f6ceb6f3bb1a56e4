from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from civicgrid.api import api

urlpatterns = [
    path("", include("civicgrid.core.urls")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("places/", include("civicgrid.places.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
