app_name = "authorization"

urlpatterns: list = []
