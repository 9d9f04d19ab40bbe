from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from . import selectors
from .models import AuctionStatus, Category, Country, Currency, ItemCondition


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

    serializer_class = OutputSerializer
    queryset = AuctionStatus.objects.all()


class BidIncrementListApi(_MetadataListApi):
    """The bid increment table: below `below` (exclusive; null = no upper bound) the
    minimum raise is `increment`, in the auction's currency units."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BidIncrement"

        below = serializers.DecimalField(max_digits=19, decimal_places=2, allow_null=True)
        increment = serializers.DecimalField(max_digits=19, decimal_places=2)

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.bid_increment_table()
