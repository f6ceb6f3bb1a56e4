from django.urls import path

from civicgrid.cases import (
    views_case,
    views_hotline,
    views_hotline_replies,
    views_leader,
    views_monthly,
    views_overview,
    views_placing,
    views_report,
    views_work,
)

app_name = "cases"
urlpatterns = [
    # Residents, mobile grid members, the public (views_report)
    path("report/", views_report.report, name="report"),
    path("mine/", views_report.my_reports, name="mine"),
    path("outbox/", views_report.outbox, name="outbox"),
    path("rider/", views_report.mobile_record, name="mobile_record"),
    path("status/", views_report.public_status, name="public_status"),
    path("status/<str:number>/", views_report.public_status, name="public_status_number"),
    # Staff work lists (views_work)
    path("work/", views_work.queue, name="queue"),
    path("work/overview/", views_overview.overview_page, name="overview"),
    path("work/overview/repeat-locations/", views_overview.overview_spots, name="overview_spots"),
    path("work/rankings/", views_overview.rankings_page, name="rankings"),
    path("work/wall/", views_overview.wall, name="wall"),
    path("work/report/monthly/", views_monthly.monthly_page, name="monthly_report"),
    path("work/report/monthly.xlsx", views_monthly.monthly_download, name="monthly_workbook"),
    path("work/centre/", views_work.centre, name="centre"),
    path("work/export.xlsx", views_work.export, name="export"),
    path("work/hotline-import/", views_hotline.hotline_import, name="hotline_import"),
    path("work/hotline-import/sample.xlsx", views_hotline.hotline_sample_download, name="hotline_sample"),
    path("work/hotline-replies/", views_hotline_replies.replies, name="hotline_replies"),
    path(
        "work/hotline-replies.xlsx", views_hotline_replies.replies_workbook, name="hotline_replies_workbook"
    ),
    path("work/hotline-categories/", views_hotline.hotline_categories_page, name="hotline_categories"),
    path("work/map/", views_work.case_map, name="map"),
    path("work/map/data/", views_work.case_map_data, name="map_data"),
    path("work/agency/", views_work.agency_inbox, name="agency_inbox"),
    path("work/leader/", views_leader.leader, name="leader"),
    path("work/batch-dispatch/", views_work.batch_dispatch, name="batch_dispatch"),
    # One case (views_case)
    path("notifications/", views_case.notifications, name="notifications"),
    path("notifications/settings/", views_case.notice_preference, name="notice_preference"),
    path("<str:number>/", views_case.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views_case.act, name="act"),
    path("<str:number>/place/", views_placing.place, name="place"),
    path("<str:number>/photos/<int:photo_id>/<str:size>/", views_case.photo, name="photo"),
]
