"""Sales board routes (included in the "opportunities" namespace by opportunities/urls.py)."""

urlpatterns: list = []
