from django.contrib import admin
from django.urls import include, path
from drf_yasg import openapi

from authorization.admin import admin_login

api_info = openapi.Info(
    title="Auctioneer API",
    default_version="v1",
    description=(
        "Auction-as-a-Service. Reads of public data need no token; every write needs "
        "`Authorization: Bearer <access_token>` (POST /api/auth/token). Errors are RFC 9457 "
        "problem details (`application/problem+json`). Money is a decimal string in the schema; "
        "requests may also send it as a JSON number, greater than 0 and at most 1000000000000, with at "
        "most the currency's decimal places."
    ),
)

urlpatterns = [
    path("admin/login/", admin_login),  # before the admin's own login/, which it wraps
    path("admin/", admin.site.urls),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/auth/", include("authorization.urls")),
    path("api/v1/", include("auctions.urls")),
]

handler400 = "auctioneer.problems.handler400"
handler403 = "auctioneer.problems.handler403"
handler404 = "auctioneer.problems.handler404"
handler500 = "auctioneer.problems.handler500"
