"""The pairings pages of co-governance, its figures and its hub (included by governance/urls.py)."""

from __future__ import annotations

from django.urls import path

from civicgrid.governance import views_pairings as views

urlpatterns = [
    path("", views.hub, name="hub"),
    path("pairings/", views.index, name="pairings_index"),
    path("pairings/place/<str:code>/", views.place_page, name="pairings_place"),
    path("pairings/place/<str:code>/new/", views.pairing_new, name="pairings_new"),
    path("pairings/place/<str:code>/envoys/new/", views.envoy_new, name="pairings_envoy_new"),
    path("pairings/partner/<int:agency_id>/", views.partner, name="pairings_partner"),
    path("pairings/<int:pk>/", views.pairing_detail, name="pairings_detail"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairings_end"),
    path("pairings/<int:pk>/support/new/", views.support_new, name="pairings_support_new"),
    path("pairings/envoys/<int:pk>/", views.envoy_detail, name="pairings_envoy"),
    path("pairings/envoys/<int:pk>/end/", views.envoy_end, name="pairings_envoy_end"),
    path("pairings/envoys/<int:pk>/activity/new/", views.activity_new, name="pairings_activity_new"),
    path("figures/", views.figures_page, name="pairings_figures"),
    path("figures/export.xlsx", views.figures_export, name="pairings_figures_export"),
]
