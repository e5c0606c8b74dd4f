"""Products, deal lines, quotes, orders and sales targets routes (included in the
"opportunities" namespace by opportunities/urls.py)."""

urlpatterns: list = []
