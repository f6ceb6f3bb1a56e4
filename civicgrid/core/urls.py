from django.urls import path

from civicgrid.core import views, views_audit

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views_audit.audit_log, name="audit"),
]
