from django.urls import re_path
from drf_yasg.views import get_schema_view
from rest_framework.permissions import AllowAny

from auctioneer.apis import PingApi
from auctioneer.routing import api_path

from . import apis

app_name = "auctions"

# The document is the same for everyone: it authenticates nobody, so a lapsed token in a
# client's Authorization header cannot turn it into a 401.
schema_view = get_schema_view(public=True, permission_classes=[AllowAny], authentication_classes=[])

urlpatterns = [
    api_path("metadata/countries", apis.CountryListApi.as_view(), name="country-list"),
    api_path("metadata/currencies", apis.CurrencyListApi.as_view(), name="currency-list"),
    api_path("metadata/item-conditions", apis.ItemConditionListApi.as_view(), name="item-condition-list"),
    api_path("metadata/categories", apis.CategoryListApi.as_view(), name="category-list"),
    api_path("metadata/auction-statuses", apis.AuctionStatusListApi.as_view(), name="auction-status-list"),
    api_path("metadata/bid-increments", apis.BidIncrementListApi.as_view(), name="bid-increment-list"),
    api_path("ping", PingApi.as_view(), name="ping"),
    api_path("items", apis.ItemListApi.as_view(), name="item-list"),
    api_path("items/<int:item_id>", apis.ItemDetailApi.as_view(), name="item-detail"),
    api_path("auctions", apis.AuctionListApi.as_view(), name="auction-list"),
    api_path("auctions/<int:auction_id>", apis.AuctionDetailApi.as_view(), name="auction-detail"),
    api_path("auctions/<int:auction_id>/cancel", apis.AuctionCancelApi.as_view(), name="auction-cancel"),
    api_path("auctions/<int:auction_id>/buy-now", apis.AuctionBuyNowApi.as_view(), name="auction-buy-now"),
    api_path("auctions/<int:auction_id>/bids", apis.AuctionBidListApi.as_view(), name="auction-bids"),
    api_path("me/items", apis.MeItemListApi.as_view(), name="me-items"),
    api_path("me/auctions", apis.MeAuctionListApi.as_view(), name="me-auctions"),
    api_path("me/bids", apis.MeBidListApi.as_view(), name="me-bids"),
    # API docs (drf-yasg): Swagger UI, ReDoc and the raw schema.
    re_path(r"^swagger\.(?P<format>json|yaml)/?$", schema_view.without_ui(cache_timeout=0), name="schema"),
    api_path("docs", schema_view.with_ui("swagger", cache_timeout=0), name="docs"),
    api_path("redoc", schema_view.with_ui("redoc", cache_timeout=0), name="redoc"),
]
