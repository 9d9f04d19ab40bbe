from django.contrib import admin

from .models import (
    Auction,
    AuctionStatus,
    Bid,
    Category,
    Country,
    Currency,
    IdempotencyRecord,
    Item,
    ItemCondition,
)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "minor_units")
    list_filter = ("minor_units",)
    search_fields = ("code", "name")


@admin.register(ItemCondition)
class ItemConditionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "position")
    search_fields = ("code", "name")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")


@admin.register(AuctionStatus)
class AuctionStatusAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_final")
    search_fields = ("code", "name")


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "owner", "condition", "category", "country", "created_at")
    list_filter = ("condition", "category", "country")
    search_fields = ("id", "title", "description", "owner__username")
    raw_id_fields = ("owner",)
    date_hierarchy = "created_at"


class BidInline(admin.TabularInline):
    model = Bid
    fields = ("id", "bidder", "amount", "max_amount", "is_automatic", "placed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-id",)


@admin.register(Auction)
class AuctionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "item",
        "seller",
        "currency",
        "current_price",
        "bid_count",
        "leader",
        "state",
        "start_time",
        "end_time",
    )
    list_filter = ("state", "currency", "international_delivery", "item__condition", "item__category")
    search_fields = ("id", "item__title", "seller__username", "leader__username")
    raw_id_fields = ("item", "seller", "leader", "winning_bid")
    date_hierarchy = "end_time"
    list_select_related = ("item", "seller", "leader", "currency")
    inlines = [BidInline]


@admin.register(Bid)
class BidAdmin(admin.ModelAdmin):
    list_display = ("id", "auction", "bidder", "amount", "max_amount", "is_automatic", "placed_at")
    list_filter = ("is_automatic",)
    search_fields = ("id", "auction__id", "bidder__username")
    raw_id_fields = ("auction", "bidder")
    list_select_related = ("bidder",)
    date_hierarchy = "placed_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "key", "status_code", "created_at")
    search_fields = ("key", "user__username")
    raw_id_fields = ("user",)
