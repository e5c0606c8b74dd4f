"""Products, deal lines, quotes, orders and sales targets routes (included in the
"opportunities" namespace by opportunities/urls.py)."""

from django.urls import path

from opportunities.sales import views as sales_views

urlpatterns = [
    path("<int:pk>/lines/add/", sales_views.deal_line_add, name="deal_line_add"),
    path("<int:pk>/lines/<int:line_pk>/edit/", sales_views.deal_line_update, name="deal_line_update"),
    path("<int:pk>/lines/<int:line_pk>/delete/", sales_views.deal_line_delete, name="deal_line_delete"),
    path("<int:pk>/quotes/new/", sales_views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", sales_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/pdf/", sales_views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/status/", sales_views.quote_set_status, name="quote_set_status"),
    path("orders/<int:pk>/", sales_views.sales_order_detail, name="sales_order_detail"),
    path("targets/", sales_views.targets, name="targets"),
]
