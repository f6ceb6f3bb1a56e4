from django.urls import path

from civicgrid.orgs import views, views_checklists, views_coverage

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
    *views_coverage.urlpatterns,
    *views_checklists.urlpatterns,
]
