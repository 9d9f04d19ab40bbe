import re
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, cast

from django.db.models import QuerySet
from django.urls import reverse
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema, swagger_serializer_method
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from auctioneer.fields import DateTimeField
from auctioneer.pagination import CachedCountPagination, CachedPageMixin, cached_count_note
from auctioneer.policies import WritePolicyMixin
from auctioneer.problems import InvalidInputError, NotFoundError
from auctioneer.schema import BEARER, NOT_JSON_TEXT, OPTIONAL_BEARER, REFUSED_BEARER_TEXT, problem_response
from authorization.models import User

from . import selectors, services
from .bidding import auction_minimum_bid
from .filters import AuctionFilter, ItemFilter, MyAuctionFilter, MyItemFilter
from .models import Auction, AuctionStatus, AuctionStatusCode, Bid, Category, Country, Currency, Item, ItemCondition
from .money import MoneyField, format_money


class _MetadataListApi(generics.ListAPIView):
    """Public, paginated, read-only metadata."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    filter_backends: list = []


class CountryListApi(_MetadataListApi):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Country
            ref_name = "Country"
            fields = ["code", "name"]

    serializer_class = OutputSerializer
    queryset = Country.objects.all()


class CurrencyListApi(_MetadataListApi):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Currency
            ref_name = "Currency"
            fields = ["code", "name", "minor_units"]

    serializer_class = OutputSerializer
    queryset = Currency.objects.all()


class ItemConditionListApi(_MetadataListApi):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = ItemCondition
            ref_name = "ItemCondition"
            fields = ["code", "name", "description"]
            read_only_fields = fields  # a listing: every field is in each row (the schema's `required`)

    serializer_class = OutputSerializer
    queryset = ItemCondition.objects.all()


class CategoryListApi(_MetadataListApi):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Category
            ref_name = "Category"
            fields = ["slug", "name"]

    serializer_class = OutputSerializer
    queryset = Category.objects.all()


class AuctionStatusListApi(_MetadataListApi):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = AuctionStatus
            ref_name = "AuctionStatus"
            fields = ["code", "name", "description", "is_final"]
            read_only_fields = fields  # a listing: every field is in each row (the schema's `required`)

    serializer_class = OutputSerializer
    queryset = AuctionStatus.objects.all()


class BidIncrementListApi(_MetadataListApi):
    """The bid increment table: below `below` (exclusive; null = no upper bound) the
    minimum raise is `increment`, in the auction's currency units, rounded up to the
    currency's minor unit (in JPY, which has none, the increments below 25 are 1)."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BidIncrement"

        below = serializers.DecimalField(max_digits=19, decimal_places=2, allow_null=True)
        increment = serializers.DecimalField(max_digits=19, decimal_places=2)

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.bid_increment_table()


# --- Shared pieces -------------------------------------------------------------------------


# Every write gets 411 and 413 from the schema generator (auctioneer/schema.py), and one with a
# body 415 too; one without lists 415 itself (a body sent anyway must be JSON).
_PROBLEM_TEXT = {
    400: "Invalid input (problem details with `errors`).",
    401: "No valid bearer token.",
    403: "The token's user may not do this, or the token lacks the `write` scope.",
    404: "Not found.",
    409: "Conflicts with the current state.",
    415: NOT_JSON_TEXT,
    422: "Idempotency-Key already used for another request (another body, path or method).",
    429: "Throttled; see Retry-After.",
}

_NO_BODY = "Takes no body; a body that is not valid JSON is refused."


_REPLAYED_HEADER = openapi.Schema(
    type=openapi.TYPE_STRING,
    enum=["true"],
    description="`true` when this is the first answer to the same Idempotency-Key, replayed; absent otherwise.",
)


def created(
    serializer: type[serializers.Serializer], noun: str | None = None, *, replayable: bool = False
) -> openapi.Response:
    """A 201; with `noun`, its `Location` header is the new resource's URL (see `with_location`);
    `replayable` for the operations that honour Idempotency-Key (`idempotent_response`)."""
    headers, description = {}, "Created."
    if noun is not None:
        description = f"Created; `Location` is the new {noun}'s URL."
        headers["Location"] = openapi.Schema(
            type=openapi.TYPE_STRING, description=f"The new {noun}'s URL, e.g. /api/v1/{noun}s/1."
        )
    if replayable:
        headers["Idempotent-Replayed"] = _REPLAYED_HEADER
    return openapi.Response(description, serializer, headers=headers or None)


def with_location(response: Response, view_name: str, **kwargs: Any) -> Response:
    """Name the created resource in `Location` (RFC 9110 §10.2.2), a replay of its answer included."""
    if response.status_code == HTTPStatus.CREATED:
        response["Location"] = reverse(view_name, kwargs={key: response.data[value] for key, value in kwargs.items()})
    return response


def problems(*codes: int, **texts: str) -> dict[int, openapi.Response]:
    """drf-yasg responses for error codes, each a Problem body."""
    return {code: problem_response(texts.get(f"e{code}", _PROBLEM_TEXT[code])) for code in codes}


IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Printable ASCII (what the IETF draft's sf-string allows), not starting or ending with a space,
# which HTTP would strip: the schema states exactly what `_idempotency_key` accepts.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
IDEMPOTENCY_HEADER = openapi.Parameter(
    "Idempotency-Key",
    openapi.IN_HEADER,
    type=openapi.TYPE_STRING,
    required=False,
    min_length=1,
    max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description=(
        "Optional: 1-255 printable ASCII characters (a UUID, say). The same key from the same user with "
        "the same body within 24 h returns the first successful answer (header `Idempotent-Replayed: true`) "
        "and creates nothing; with another request (another body, path or method) it is 422. Errors are "
        "not stored, so a fixed request may reuse the key."
    ),
)


class UserRefSerializer(serializers.Serializer):
    class Meta:
        ref_name = "UserRef"

    id = serializers.IntegerField()
    username = serializers.CharField()


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise InvalidInputError(
            "Idempotency-Key must be 1-255 printable ASCII characters.",
            errors={"Idempotency-Key": ["Must be 1-255 printable ASCII characters."]},
        )
    return key


def idempotent_response(request: Request, action: Callable[[], tuple[int, Any]]) -> Response:
    user = cast(User, request.user)
    fingerprint = services.idempotency_fingerprint(
        method=request.method or "POST", path=request.path, data=request.data
    )
    result = services.idempotent_call(user=user, key=_idempotency_key(request), fingerprint=fingerprint, action=action)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Response(result.body, status=result.status_code, headers=headers)


def _validated(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Items ---------------------------------------------------------------------------------


class ItemOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Item"

    id = serializers.IntegerField()
    owner = UserRefSerializer()
    title = serializers.CharField()
    description = serializers.CharField()
    condition = serializers.CharField(source="condition_id")
    category = serializers.CharField(source="category_id", allow_null=True)
    country = serializers.CharField(source="country_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ItemInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ItemInput"

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    condition = serializers.CharField(max_length=20, help_text="A code from metadata/item-conditions.")
    category = serializers.CharField(
        max_length=50, required=False, allow_null=True, help_text="A slug from metadata/categories."
    )
    country = serializers.CharField(
        max_length=2, required=False, allow_null=True, help_text="An ISO 3166-1 alpha-2 code."
    )


class ItemPatchSerializer(serializers.Serializer):
    """Every field optional; the rules are those of POST /items."""

    class Meta:
        ref_name = "ItemPatch"

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    condition = serializers.CharField(max_length=20, required=False)
    category = serializers.CharField(max_length=50, required=False, allow_null=True)
    country = serializers.CharField(max_length=2, required=False, allow_null=True)


def _item_or_404(item_id: int) -> Item:
    item = selectors.item_list().filter(pk=item_id).first()
    if item is None:
        raise NotFoundError(f"No item {item_id}.")
    return item


class ItemListApi(CachedPageMixin, WritePolicyMixin, generics.ListAPIView):
    serializer_class = ItemOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilter
    pagination_class = CachedCountPagination

    def get_queryset(self) -> QuerySet[Item]:
        return selectors.item_list()

    @swagger_auto_schema(
        operation_id="items_list",
        operation_description=(
            f"Explore items (public). Newest first unless `ordering` says otherwise. {cached_count_note()}"
        ),
        security=OPTIONAL_BEARER,
        responses={**problems(400, 401, 404, e401=REFUSED_BEARER_TEXT, e404="No such page.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @swagger_auto_schema(
        operation_id="items_create",
        operation_description="Create an item owned by the caller.",
        security=BEARER,
        request_body=ItemInputSerializer,
        responses={201: created(ItemOutputSerializer, "item"), **problems(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        data = _validated(ItemInputSerializer, request)
        item = services.item_create(owner=cast(User, request.user), **data)
        response = Response(ItemOutputSerializer(item).data, status=HTTPStatus.CREATED)
        return with_location(response, "auctions:item-detail", item_id="id")


class ItemDetailApi(WritePolicyMixin, APIView):
    @swagger_auto_schema(
        operation_id="items_read",
        security=OPTIONAL_BEARER,
        responses={200: ItemOutputSerializer, **problems(401, 404, e401=REFUSED_BEARER_TEXT)},
    )
    def get(self, request: Request, item_id: int) -> Response:
        return Response(ItemOutputSerializer(_item_or_404(item_id)).data)

    @swagger_auto_schema(
        operation_id="items_partial_update",
        operation_description="Owner only; 409 while the item is in an auction that is not cancelled.",
        security=BEARER,
        request_body=ItemPatchSerializer,
        responses={200: ItemOutputSerializer, **problems(400, 401, 403, 404, 409, 429)},
    )
    def patch(self, request: Request, item_id: int) -> Response:
        item = _item_or_404(item_id)
        data = _validated(ItemPatchSerializer, request, partial=True)
        item = services.item_update(item=item, user=cast(User, request.user), data=data)
        return Response(ItemOutputSerializer(_item_or_404(item.pk)).data)

    @swagger_auto_schema(
        operation_id="items_delete",
        operation_description=(
            "Owner only; 409 while the item is in an auction that is not cancelled. Its cancelled "
            "auctions (which never had a bid) are deleted with it."
        ),
        security=BEARER,
        responses={204: "Deleted.", **problems(400, 401, 403, 404, 409, 415, 429, e400=_NO_BODY)},
    )
    def delete(self, request: Request, item_id: int) -> Response:
        services.item_delete(item=_item_or_404(item_id), user=cast(User, request.user))
        return Response(status=HTTPStatus.NO_CONTENT)


# --- Auctions ------------------------------------------------------------------------------


class AuctionItemSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AuctionItem"

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    condition = serializers.CharField(source="condition_id")
    category = serializers.CharField(source="category_id", allow_null=True)
    country = serializers.CharField(source="country_id", allow_null=True)


class WinningBidSerializer(serializers.Serializer):
    class Meta:
        ref_name = "WinningBid"

    id = serializers.IntegerField()
    bidder = UserRefSerializer()
    amount = serializers.CharField()
    placed_at = serializers.DateTimeField()


class _UtcDateTimeField(serializers.DateTimeField):
    """What DRF's DateTimeField writes for an aware datetime in UTC (TIME_ZONE, and SPEC.md:
    responses are UTC with `Z`; REST_FRAMEWORK's DATETIME_FORMAT), without its timezone
    lookups, three times per auction of a list page."""

    def to_representation(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime(api_settings.DATETIME_FORMAT)


_DATETIME = _UtcDateTimeField()


class AuctionOutputSerializer(serializers.Serializer):
    """An auction as every client sees it. `reserve_price` is never shown, not even to the
    seller: `reserve_met` says whether the leader's ceiling reached it."""

    class Meta:
        ref_name = "Auction"

    id = serializers.IntegerField()
    item = AuctionItemSerializer()
    seller = UserRefSerializer()
    currency = serializers.CharField(source="currency_id")
    starting_price = MoneyField()
    current_price = MoneyField()
    minimum_bid = serializers.SerializerMethodField()
    bid_count = serializers.IntegerField(help_text="All stored bids, manual and automatic.")
    leading_bidder = UserRefSerializer(source="leader", allow_null=True)
    reserve_met = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "Whether the leader's ceiling reached the hidden reserve; null without a reserve. "
            "The reserve itself is never shown."
        ),
    )
    buy_now_price = MoneyField(allow_null=True)
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    extension_seconds = serializers.IntegerField()
    international_delivery = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AuctionStatusCode.choices)
    winning_bid = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Auction) -> dict[str, Any]:
        """The fields above, written out: DRF's field-by-field walk cost ~0.1 ms per auction, a
        quarter of a 50-auction list page's CPU (`make bench`, docs/benchmarks.md). The
        declared fields still make the schema; tests/apis/test_auction_output.py keeps both
        in step."""
        auction, places = instance, instance.currency.minor_units
        item, seller, leader = auction.item, auction.seller, auction.leader
        buy_now = auction.buy_now_price
        return {
            "id": auction.pk,
            "item": {
                "id": item.pk,
                "title": item.title,
                "description": item.description,
                "condition": item.condition_id,
                "category": item.category_id,
                "country": item.country_id,
            },
            "seller": {"id": seller.pk, "username": seller.username},
            "currency": auction.currency_id,
            "starting_price": format_money(auction.starting_price, places=places),
            "current_price": format_money(auction.current_price, places=places),
            "minimum_bid": self.get_minimum_bid(auction),
            "bid_count": auction.bid_count,
            "leading_bidder": None if leader is None else {"id": leader.pk, "username": leader.username},
            "reserve_met": auction.reserve_met,
            "buy_now_price": None if buy_now is None else format_money(buy_now, places=places),
            "start_time": _DATETIME.to_representation(auction.start_time),
            "end_time": _DATETIME.to_representation(auction.end_time),
            "extension_seconds": auction.extension_seconds,
            "international_delivery": auction.international_delivery,
            "status": str(auction.status),
            "winning_bid": self.get_winning_bid(auction),
            "created_at": _DATETIME.to_representation(auction.created_at),
        }

    @swagger_serializer_method(
        serializer_or_field=serializers.CharField(
            help_text=(
                "The lowest amount a bid may have: the starting price before the first bid, else the current "
                "price plus the increment at it. Only an `open` auction takes bids (`status`); on the others it "
                "is shown for reference."
            )
        )
    )
    def get_minimum_bid(self, auction: Auction) -> str:
        return format_money(auction_minimum_bid(auction), places=auction.currency.minor_units)

    @swagger_serializer_method(serializer_or_field=WinningBidSerializer(allow_null=True, read_only=True))
    def get_winning_bid(self, auction: Auction) -> dict[str, Any] | None:
        bid = auction.winning_bid
        if bid is None:
            return None
        return {
            "id": bid.pk,
            "bidder": {"id": bid.bidder_id, "username": bid.bidder.username},
            "amount": format_money(bid.amount, places=auction.currency.minor_units),
            "placed_at": _DATETIME.to_representation(bid.placed_at),
        }


class ItemRefField(serializers.Field):
    """`item`: the id of one of the caller's items, or an object with the fields of a new item."""

    class Meta:
        # An integer or an object. Swagger 2.0 has no oneOf, so the schema leaves the type open
        # (any JSON value) rather than name only one of the two (auctioneer.schema, `x-types`).
        swagger_schema_fields = {
            "type": openapi.TYPE_INTEGER,
            "x_types": [openapi.TYPE_INTEGER, openapi.TYPE_OBJECT],
            "description": (
                "The id of one of the caller's items (another user's item is 403; an item already in an "
                "active or fulfilled auction is 409), or an object with the fields of POST /items "
                "(title, description, condition, category, country) to create the item in the same transaction."
            ),
            "example": 42,
        }

    def to_internal_value(self, data: Any) -> int | dict[str, Any]:
        if isinstance(data, int) and not isinstance(data, bool):
            if not 1 <= data <= 2**62:
                raise serializers.ValidationError("Enter a valid item id.")
            return data
        if isinstance(data, dict):
            serializer = ItemInputSerializer(data=data)
            if not serializer.is_valid():
                raise serializers.ValidationError(serializer.errors)
            return dict(serializer.validated_data)
        raise serializers.ValidationError("Enter an item id or an object with the item's fields.")

    def to_representation(self, value: Any) -> Any:  # pragma: no cover - input only
        return value


class AuctionInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AuctionInput"

    item = ItemRefField()
    currency = serializers.CharField(max_length=3, help_text="An ISO 4217 code from metadata/currencies (any case).")
    starting_price = MoneyField()
    reserve_price = MoneyField(required=False, allow_null=True, help_text="Hidden: never shown in any response.")
    buy_now_price = MoneyField(required=False, allow_null=True)
    start_time = DateTimeField(required=False, allow_null=True, help_text="Default (and if past): now.")
    end_time = DateTimeField()
    international_delivery = serializers.BooleanField(required=False, default=False)
    extension_seconds = serializers.IntegerField(required=False, default=0, min_value=0, max_value=3600)


class AuctionPatchSerializer(serializers.Serializer):
    """Every field optional; the result must pass the rules of POST /auctions."""

    class Meta:
        ref_name = "AuctionPatch"

    currency = serializers.CharField(max_length=3, required=False, help_text="An ISO 4217 code (any case).")
    starting_price = MoneyField(required=False)
    reserve_price = MoneyField(required=False, allow_null=True)
    buy_now_price = MoneyField(required=False, allow_null=True)
    start_time = DateTimeField(
        required=False,
        allow_null=True,
        help_text="If past (or null): now, or, once the auction has started, the start it has.",
    )
    end_time = DateTimeField(required=False)
    international_delivery = serializers.BooleanField(required=False)
    extension_seconds = serializers.IntegerField(required=False, min_value=0, max_value=3600)


def _auction_body(auction_id: int) -> dict[str, Any]:
    auction = selectors.auction_get(auction_id=auction_id)
    assert auction is not None
    return dict(AuctionOutputSerializer(auction).data)


class AuctionListApi(CachedPageMixin, WritePolicyMixin, generics.ListAPIView):
    serializer_class = AuctionOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuctionFilter
    pagination_class = CachedCountPagination
    throttle_scope = "auctions"

    def get_queryset(self) -> QuerySet[Auction]:
        return selectors.auction_page_list()

    @swagger_auto_schema(
        operation_id="auctions_list",
        operation_description=(
            "Explore auctions (public). Newest first unless `ordering` says otherwise. "
            f"`status` filters by the public status at request time. {cached_count_note()}"
        ),
        security=OPTIONAL_BEARER,
        responses={**problems(400, 401, 404, e401=REFUSED_BEARER_TEXT, e404="No such page.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @swagger_auto_schema(
        operation_id="auctions_create",
        operation_description=(
            "Create an auction; the caller is the seller. Rules: end_time after start_time, in the future and at "
            "most 365 days ahead; buy_now_price >= starting_price and >= reserve_price; amounts with at most the "
            "currency's minor units. Honours `Idempotency-Key`."
        ),
        security=BEARER,
        manual_parameters=[IDEMPOTENCY_HEADER],
        request_body=AuctionInputSerializer,
        responses={
            201: created(AuctionOutputSerializer, "auction", replayable=True),
            **problems(400, 401, 403, 409, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        def create() -> tuple[int, Any]:
            data = _validated(AuctionInputSerializer, request)
            auction = services.auction_create(seller=cast(User, request.user), **data)
            return HTTPStatus.CREATED, _auction_body(auction.pk)

        return with_location(idempotent_response(request, create), "auctions:auction-detail", auction_id="id")


def _auction_or_404(auction_id: int) -> Auction:
    auction = selectors.auction_get(auction_id=auction_id)
    if auction is None:
        raise NotFoundError(f"No auction {auction_id}.")
    return auction


class AuctionDetailApi(WritePolicyMixin, APIView):
    @swagger_auto_schema(
        operation_id="auctions_read",
        security=OPTIONAL_BEARER,
        responses={200: AuctionOutputSerializer, **problems(401, 404, e401=REFUSED_BEARER_TEXT)},
    )
    def get(self, request: Request, auction_id: int) -> Response:
        return Response(AuctionOutputSerializer(_auction_or_404(auction_id)).data)

    @swagger_auto_schema(
        operation_id="auctions_partial_update",
        operation_description="Seller only, before the first bid, while not ended; validated like a new auction.",
        security=BEARER,
        request_body=AuctionPatchSerializer,
        responses={200: AuctionOutputSerializer, **problems(400, 401, 403, 404, 409, 429)},
    )
    def patch(self, request: Request, auction_id: int) -> Response:
        data = _validated(AuctionPatchSerializer, request, partial=True)
        auction = services.auction_update(auction_id=auction_id, user=cast(User, request.user), data=data)
        return Response(_auction_body(auction.pk))


class AuctionCancelApi(WritePolicyMixin, APIView):
    @swagger_auto_schema(
        operation_id="auctions_cancel",
        operation_description=(
            "Seller only, before the first bid and before `end_time` (else 409). The status becomes `cancelled`."
        ),
        security=BEARER,
        request_body=no_body,
        responses={200: AuctionOutputSerializer, **problems(400, 401, 403, 404, 409, 415, 429, e400=_NO_BODY)},
    )
    def post(self, request: Request, auction_id: int) -> Response:
        auction = services.auction_cancel(auction_id=auction_id, user=cast(User, request.user))
        return Response(_auction_body(auction.pk))


# --- Bids ----------------------------------------------------------------------------------


BID_AMOUNT_TEXT = (
    "What the bid stands at. A bid that leaves its bidder leading stands at the lower of the `amount` "
    "sent and the new current price (the price follows the ceilings alone, so it can stay below what "
    "was sent); the ceiling, which only its bidder sees, is `max_amount`. A bid that leaves another "
    "bidder leading keeps the `amount` sent. An automatic bid stands at the price it raised its bidder "
    "to, so the leader's latest bid always carries the current price."
)


class AuctionBidSerializer(serializers.Serializer):
    """A row of an auction's public bid history; `max_amount` only on the caller's own bids."""

    class Meta:
        ref_name = "AuctionBid"

    id = serializers.IntegerField()
    bidder = UserRefSerializer()
    amount = MoneyField(currency_path=None, help_text=BID_AMOUNT_TEXT)
    max_amount = MoneyField(
        currency_path=None, allow_null=True, required=False, help_text="Only on the caller's own bids."
    )
    is_automatic = serializers.BooleanField()
    placed_at = serializers.DateTimeField()
    is_winning = serializers.SerializerMethodField(
        help_text="True on the bid that won the settled auction (its `winning_bid`); false on every bid "
        "until then: while the auction runs, `leading_bidder` and a bid's answer (`leading`) tell who leads."
    )

    def get_is_winning(self, bid: Bid) -> bool:
        return bid.pk == self.context["winning_bid_id"]

    def to_representation(self, instance: Bid) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.bidder_id != self.context["viewer_id"]:
            data.pop("max_amount", None)
        return data


class BidInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "BidInput"

    amount = MoneyField(help_text="At least the auction's minimum_bid.")
    max_amount = MoneyField(
        required=False, allow_null=True, help_text="Your ceiling for proxy bidding (private); >= amount."
    )
    currency = serializers.CharField(
        required=False, max_length=3, help_text="If sent, must be the auction's (any case)."
    )


class BidPlacementSerializer(serializers.Serializer):
    """The accepted bid (the caller's own row) and the auction's state after it."""

    class Meta:
        ref_name = "BidPlacement"

    id = serializers.IntegerField(source="bid.id")
    bidder = UserRefSerializer(source="bid.bidder")
    amount = MoneyField(source="bid.amount", currency_path="auction.currency", help_text=BID_AMOUNT_TEXT)
    max_amount = MoneyField(
        source="bid.max_amount",
        currency_path="auction.currency",
        help_text=(
            "Your ceiling after this bid: the `max_amount` sent, or the `amount` sent without one. A ceiling "
            "only rises: while you lead, a lower one changes nothing and this shows the one that stands."
        ),
    )
    is_automatic = serializers.BooleanField(source="bid.is_automatic")
    placed_at = serializers.DateTimeField(source="bid.placed_at")
    is_winning = serializers.SerializerMethodField(
        help_text="False: as in the bid history, a bid is winning only once the workers settle its auction; "
        "`leading` tells whether it leads now."
    )
    current_price = MoneyField(source="auction.current_price", currency_path="auction.currency")
    minimum_bid = MoneyField(currency_path="auction.currency")
    leading = serializers.BooleanField()
    end_time = serializers.DateTimeField(source="auction.end_time")

    def get_is_winning(self, instance: services.BidPlacement) -> bool:
        return False  # an auction is open when it takes a bid, and settles later

    def to_representation(self, instance: services.BidPlacement) -> dict[str, Any]:
        """The fields above, written out (every bid answers with it; DRF's walk copies and
        visits eleven fields, ~10 % of a bid's CPU). tests/apis/test_auction_output.py keeps
        both in step."""
        bid, auction = instance.bid, instance.auction
        places = auction.currency.minor_units
        max_amount = bid.max_amount
        return {
            "id": bid.pk,
            "bidder": {"id": bid.bidder.pk, "username": bid.bidder.username},
            "amount": format_money(bid.amount, places=places),
            "max_amount": None if max_amount is None else format_money(max_amount, places=places),
            "is_automatic": bid.is_automatic,
            "placed_at": _DATETIME.to_representation(bid.placed_at),
            "is_winning": False,
            "current_price": format_money(auction.current_price, places=places),
            "minimum_bid": format_money(instance.minimum_bid, places=places),
            "leading": instance.leading,
            "end_time": _DATETIME.to_representation(auction.end_time),
        }


class AuctionBidListApi(WritePolicyMixin, generics.ListAPIView):
    serializer_class = AuctionBidSerializer
    filter_backends: list = []
    throttle_scope = "bids"

    def get_queryset(self) -> QuerySet[Bid]:
        return selectors.auction_bid_list(auction=self.auction)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        auction: Auction | None = getattr(self, "auction", None)  # None outside GET (e.g. OPTIONS)
        if auction is not None:
            context.update(
                minor_units=auction.currency.minor_units,
                winning_bid_id=auction.winning_bid_id,
                viewer_id=self.request.user.pk,
            )
        return context

    @swagger_auto_schema(
        operation_id="auctions_bids_list",
        operation_description=(
            "The public bid history, newest first, manual and automatic (proxy) bids. "
            "`max_amount` appears only on the caller's own bids (send a token to see yours)."
        ),
        security=OPTIONAL_BEARER,
        responses={**problems(401, 404, e401=REFUSED_BEARER_TEXT)},
    )
    def get(self, request: Request, auction_id: int) -> Response:
        self.auction = _auction_or_404(auction_id)
        return super().get(request)

    @swagger_auto_schema(
        operation_id="auctions_bids_create",
        operation_description=(
            "Place a bid (proxy bidding, eBay's rule). Order of checks: a body wrong on its own is 400; "
            "unknown auction 404; more decimals than the currency allows 400; auction not open by the server "
            "clock 409; the seller 403; another currency 400; amount below minimum_bid 409 (the body carries "
            "`minimum_bid`). Your ceiling is max_amount (or amount); the price follows the ceilings, and each "
            "rise on a bidder's behalf is stored as an automatic bid (counted in bid_count). A bid less than "
            "extension_seconds before end_time moves end_time to now + extension_seconds. "
            "Honours `Idempotency-Key`."
        ),
        security=BEARER,
        manual_parameters=[IDEMPOTENCY_HEADER],
        request_body=BidInputSerializer,
        responses={
            201: created(BidPlacementSerializer, replayable=True),
            **problems(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request, auction_id: int) -> Response:
        def place() -> tuple[int, Any]:
            data = _validated(BidInputSerializer, request)
            placement = services.bid_place(auction_id=auction_id, bidder=cast(User, request.user), **data)
            return HTTPStatus.CREATED, dict(BidPlacementSerializer(placement).data)

        return idempotent_response(request, place)


class AuctionBuyNowApi(WritePolicyMixin, APIView):
    throttle_scope = "bids"

    @swagger_auto_schema(
        operation_id="auctions_buy_now",
        operation_description=(
            "Win at buy_now_price: while it is set, the auction is open and no bid has met the reserve (with no "
            "reserve: no bid yet). A bid at buy_now_price is stored for the caller and the auction ends now; it "
            "reads `closed` until the workers settle it as `fulfilled` (within about a second). "
            "Honours `Idempotency-Key`: a retry whose first answer was lost replays that 201 instead of "
            "meeting the ended auction's 409."
        ),
        security=BEARER,
        manual_parameters=[IDEMPOTENCY_HEADER],
        request_body=no_body,
        responses={
            201: created(BidPlacementSerializer, replayable=True),
            **problems(400, 401, 403, 404, 409, 415, 422, 429, e400=_NO_BODY),
        },
    )
    def post(self, request: Request, auction_id: int) -> Response:
        def buy() -> tuple[int, Any]:
            placement = services.auction_buy_now(auction_id=auction_id, buyer=cast(User, request.user))
            return HTTPStatus.CREATED, dict(BidPlacementSerializer(placement).data)

        return idempotent_response(request, buy)


# --- The caller's own ----------------------------------------------------------------------


class MyBidAuctionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MyBidAuction"

    id = serializers.IntegerField()
    title = serializers.CharField(source="item.title")
    currency = serializers.CharField(source="currency_id")
    current_price = MoneyField()
    status = serializers.ChoiceField(choices=AuctionStatusCode.choices)
    end_time = serializers.DateTimeField()


class MyBidSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MyBid"

    id = serializers.IntegerField()
    auction = MyBidAuctionSerializer()
    amount = MoneyField(currency_path="auction.currency", help_text=BID_AMOUNT_TEXT)
    max_amount = MoneyField(currency_path="auction.currency", allow_null=True)
    is_automatic = serializers.BooleanField()
    placed_at = serializers.DateTimeField()
    state = serializers.SerializerMethodField()

    @swagger_serializer_method(serializer_or_field=serializers.ChoiceField(choices=selectors.BID_STATES))
    def get_state(self, bid: Bid) -> str:
        return selectors.user_bid_state(bid=bid, user=self.context["request"].user)


class MeItemListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ItemOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MyItemFilter

    def get_queryset(self) -> QuerySet[Item]:
        return selectors.user_item_list(user=cast(User, self.request.user))

    @swagger_auto_schema(
        operation_id="me_items_list",
        operation_description="The caller's items, newest first (the filters of GET /items but `owner`).",
        security=BEARER,
        responses={**problems(400, 401, 404, e404="No such page.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MeAuctionListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AuctionOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MyAuctionFilter

    def get_queryset(self) -> QuerySet[Auction]:
        return selectors.user_auction_list(user=cast(User, self.request.user))

    @swagger_auto_schema(
        operation_id="me_auctions_list",
        operation_description=(
            "The auctions the caller sells, in every status (the filters of GET /auctions but `seller`)."
        ),
        security=BEARER,
        responses={**problems(400, 401, 404, e404="No such page.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MyBidFilter(filters.FilterSet):
    state = filters.ChoiceFilter(
        choices=[(state, state) for state in selectors.BID_STATES],
        method="filter_state",
        label=(
            "leading: auction not settled yet and you lead; outbid: not settled and someone else leads; "
            "won: settled and your bid won; lost: settled otherwise (another winner, or unsold)."
        ),
    )

    class Meta:
        model = Bid
        fields: list[str] = []

    def filter_state(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return queryset.filter(selectors.user_bid_state_q(user=self.request.user, state=value))


class MeBidListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MyBidSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MyBidFilter

    def get_queryset(self) -> QuerySet[Bid]:
        return selectors.user_bid_list(user=cast(User, self.request.user))

    @swagger_auto_schema(
        operation_id="me_bids_list",
        operation_description=(
            "The caller's bids (manual and automatic rows), newest first, each with its auction and the caller's "
            "`state` in that auction: leading | outbid (auction not settled yet; `leading` stays until the "
            "workers settle an ended auction) | won | lost (settled). `?state=` keeps the bids in that state."
        ),
        security=BEARER,
        responses={**problems(400, 401, 404, e404="No such page.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
