from django.urls import path

from civicgrid.places import views

app_name = "places"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("import/", views.import_upload, name="import"),
    path("<str:code>/", views.detail, name="detail"),
]
