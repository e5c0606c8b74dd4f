app_name = "webforms_public"

urlpatterns: list = []
