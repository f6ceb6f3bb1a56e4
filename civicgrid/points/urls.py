from django.urls import path

from civicgrid.points import views

app_name = "points"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/", views.reward, name="reward"),
    path("redemptions/", views.redemptions, name="redemptions"),
    path("redemptions/<int:pk>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    path("redemptions/<int:pk>/fulfil/", views.redemption_fulfil, name="redemption_fulfil"),
    path("provider/", views.provider, name="provider"),
    path("leaderboards/", views.leaderboards, name="leaderboards"),
    path("leaderboards/<int:pk>/", views.leaderboard, name="leaderboard"),
    path("office/", views.office, name="office"),
    path("office/<int:community_id>/rules/", views.office_rules, name="office_rules"),
    path("office/<int:community_id>/rewards/", views.office_rewards, name="office_rewards"),
    path("office/<int:community_id>/awards/", views.office_awards, name="office_awards"),
    path("office/<int:community_id>/leaderboard/", views.office_leaderboard, name="office_leaderboard"),
    path("office/<int:community_id>/households/", views.office_households, name="office_households"),
    path("office/<int:community_id>/ledger/", views.office_ledger, name="office_ledger"),
    path("office/<int:community_id>/export/<str:what>.xlsx", views.office_export, name="office_export"),
]
