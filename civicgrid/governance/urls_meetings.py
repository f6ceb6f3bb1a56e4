"""The meetings pages of co-governance (included by governance/urls.py)."""

from __future__ import annotations

from django.urls import path

from civicgrid.governance import views_meetings as v

urlpatterns = [
    path("meetings/", v.meetings_home, name="meetings_home"),
    path("meetings/place/<str:code>/", v.meetings_calendar, name="meetings_calendar"),
    path("meetings/place/<str:code>/new/", v.meetings_new, name="meetings_new"),
    path("meetings/place/<str:code>/series/", v.meetings_series, name="meetings_series"),
    path("meetings/place/<str:code>/series/new/", v.meetings_series_new, name="meetings_series_new"),
    path("meetings/series/<int:pk>/", v.meetings_series_edit, name="meetings_series_edit"),
    path("meetings/decisions/<str:code>/", v.meetings_decisions, name="meetings_decisions"),
    path("meetings/decision/<int:pk>/mark/", v.meetings_decision_mark, name="meetings_decision_mark"),
    path("meetings/<int:pk>/", v.meetings_detail, name="meetings_detail"),
    path("meetings/<int:pk>/agenda/", v.meetings_agenda_add, name="meetings_agenda_add"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/", v.meetings_agenda_item, name="meetings_agenda_item"),
    path("meetings/<int:pk>/attendance/", v.meetings_attendance_add, name="meetings_attendance_add"),
    path(
        "meetings/<int:pk>/attendance/<int:row_pk>/remove/",
        v.meetings_attendance_remove,
        name="meetings_attendance_remove",
    ),
    path("meetings/<int:pk>/record/", v.meetings_record, name="meetings_record"),
    path("meetings/<int:pk>/cancel/", v.meetings_cancel, name="meetings_cancel"),
    path("meetings/<int:pk>/publish/", v.meetings_publish, name="meetings_publish"),
    path("meetings/<int:pk>/decisions/new/", v.meetings_decision_new, name="meetings_decision_new"),
]
