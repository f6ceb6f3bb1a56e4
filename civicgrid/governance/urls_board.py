"""The board pages of co-governance (included by governance/urls.py): the task board (揭榜领办)."""

from __future__ import annotations

from django.urls import path

from civicgrid.governance import views_board

urlpatterns: list = [
    path("board/", views_board.board_list, name="board_list"),
    path("board/new/", views_board.board_new, name="board_new"),
    path("board/mine/", views_board.board_mine, name="board_mine"),
    path("board/export.xlsx", views_board.board_export, name="board_export"),
    path("board/<int:pk>/", views_board.board_detail, name="board_detail"),
    path("board/<int:pk>/edit/", views_board.board_edit, name="board_edit"),
    path("board/<int:pk>/photos/<int:photo_id>/<str:size>/", views_board.board_photo, name="board_photo"),
    path("board/<int:pk>/<str:action>/", views_board.board_act, name="board_act"),
]
