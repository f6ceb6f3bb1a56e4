"""The forum pages of co-governance (included by governance/urls.py).

`forum_home` takes a person to their home village's or grid's forums; `forum_place` is the forum of
a grid, or the forums a village (or a wider place) holds.
"""

from __future__ import annotations

from django.urls import path

from civicgrid.governance import views_forum as views

urlpatterns: list = [
    path("forum/", views.forum_home, name="forum_home"),
    path("forum/places/<str:code>/", views.forum_place, name="forum_place"),
    path("forum/places/<str:code>/new/", views.forum_new, name="forum_new"),
    path("forum/topics/<int:pk>/", views.forum_topic, name="forum_topic"),
    path("forum/topics/<int:pk>/support/", views.forum_support, name="forum_support"),
    path("forum/topics/<int:pk>/replies/", views.forum_reply, name="forum_reply"),
    path("forum/topics/<int:pk>/moderate/", views.forum_moderate, name="forum_moderate"),
    path("forum/replies/<int:pk>/moderate/", views.forum_reply_moderate, name="forum_reply_moderate"),
]
