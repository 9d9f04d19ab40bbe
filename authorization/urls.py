from auctioneer.routing import api_path

from . import apis

app_name = "authorization"

urlpatterns = [
    api_path("register", apis.RegisterApi.as_view(), name="register"),
    api_path("token", apis.TokenApi.as_view(), name="token"),
    api_path("token/refresh", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    api_path("token/revoke", apis.TokenRevokeApi.as_view(), name="token-revoke"),
    api_path("account", apis.AccountApi.as_view(), name="account"),
    api_path("account/password", apis.AccountPasswordApi.as_view(), name="account-password"),
]
