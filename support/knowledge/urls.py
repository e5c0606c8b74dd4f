from django.urls import path

from support.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_create, name="article_create"),
    path("insert/", views.insert_search, name="insert_search"),
    path("categories/", views.category_list, name="category_list"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/edit/", views.article_update, name="article_update"),
    path("<int:pk>/vote/", views.article_vote, name="article_vote"),
]
