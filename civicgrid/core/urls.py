from django.urls import path

from civicgrid.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
