"""Sales board routes (included in the "opportunities" namespace by opportunities/urls.py)."""

from django.urls import path

from opportunities.board import views as board_views

urlpatterns: list = [
    path("board/", board_views.board_page, name="board"),
    path("board/export.<str:file_format>", board_views.board_export, name="board_export"),
    path("board/message/", board_views.board_message, name="board_message"),
]
