"""The standard address register's pages under /addresses/."""

from __future__ import annotations

from django.urls import path

from civicgrid.addresses import views

app_name = "addresses"
urlpatterns = [
    path("", views.home, name="home"),
    path("in/<str:code>/", views.place_page, name="place"),
    path("add/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/retire/", views.retire, name="retire"),
    path("<int:pk>/aliases/", views.alias_add, name="alias_add"),
    path("<int:pk>/aliases/<int:alias_pk>/remove/", views.alias_remove, name="alias_remove"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
