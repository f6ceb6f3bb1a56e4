from django.urls import path

from civicgrid.volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("", views.activities, name="activities"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("activities/<int:pk>/signup/", views.activity_signup, name="signup"),
    path("activities/<int:pk>/cancel/", views.activity_cancel_signup, name="cancel"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/qr/", views.activity_qr, name="qr"),
    path("activities/<int:pk>/qr.svg", views.activity_qr_svg, name="qr_svg"),
    path("activities/<int:pk>/qr.json", views.activity_qr_json, name="qr_json"),
    path("activities/<int:pk>/attendance/", views.activity_attendance, name="attendance"),
    path("scan/<int:pk>/<str:token>/", views.scan, name="scan"),
    path("register/", views.register, name="register"),
    path("me/", views.mine, name="mine"),
    path("me/hours/", views.my_hours, name="my_hours"),
    path("people/<str:number>/", views.volunteer_record, name="volunteer"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("teams/<int:pk>/", views.team, name="team"),
    path("teams/<int:team_id>/activities/new/", views.activity_new, name="activity_new"),
    path("teams/<int:pk>/import/", views.team_import, name="team_import"),
    path("community/", views.community, name="community"),
    path("export.xlsx", views.export, name="export"),
]
