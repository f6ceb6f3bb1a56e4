from django.urls import path

from civicgrid.places import views, views_import

app_name = "places"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("import/", views_import.import_upload, name="import"),
    path("<str:code>/", views.detail, name="detail"),
]
