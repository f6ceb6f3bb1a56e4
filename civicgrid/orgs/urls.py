from django.urls import path

from civicgrid.orgs import views, views_checklists, views_coverage

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("new/", views.org_new, name="new_root"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/new/", views.org_new, name="new"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("<int:pk>/teams/", views.org_teams, name="teams"),
    path("<int:pk>/appoint/", views.position_new, name="appoint"),
    path("<int:pk>/overview/", views.overview, name="overview"),
    path("<int:pk>/export.xlsx", views.export, name="export"),
    path("posts/<int:pk>/end/", views.position_end, name="end_term"),
    path("people/cross/", views.cross, name="cross"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/login/", views.person_link, name="person_link"),
    *views_coverage.urlpatterns,
    *views_checklists.urlpatterns,
]
