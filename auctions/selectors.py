"""Reads of the Management API. Every list query joins (or prefetches) what its serializer
shows, so the number of queries does not grow with the page size."""

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from auctioneer.queries import CompiledLookup
from authorization.models import User

from .models import Auction, AuctionState, Bid, Item


def bid_increment_table() -> list[dict]:
    return [{"below": below, "increment": inc} for below, inc in settings.AUCTION_BID_INCREMENTS]


def item_list() -> QuerySet[Item]:
    return Item.objects.select_related("owner")


def auction_list() -> QuerySet[Auction]:
    return Auction.objects.select_related("item", "seller", "currency", "leader", "winning_bid__bidder")


# What AuctionOutputSerializer shows of an auction and its relations, nothing more.
_AUCTION_PAGE_FIELDS = (
    *("starting_price", "reserve_price", "buy_now_price", "current_price", "bid_count", "leader_ceiling"),
    *("start_time", "end_time", "extension_seconds", "international_delivery", "state", "created_at"),
    *("item__title", "item__description", "item__condition", "item__category", "item__country"),
    *("seller__username", "currency__minor_units", "leader__username", "winning_bid"),
)


def auction_page_list() -> QuerySet[Auction]:
    """Auctions for a list page in a fixed number of queries: one for the page (the item,
    seller, currency and leader joined, only the columns the output shows) and, when the page
    holds settled auctions with a winner, one for their winning bids. The winning bid is not
    joined: a seven-table join cost PostgreSQL 5-8 ms to plan on every page, more than
    running it (EXPLAIN ANALYZE, `status=open` pages: 1-1.7 ms with five tables)."""
    winning_bids = Bid.objects.select_related("bidder").only("amount", "placed_at", "bidder__username")
    return (
        Auction.objects.select_related("item", "seller", "currency", "leader")
        .only(*_AUCTION_PAGE_FIELDS)
        .prefetch_related(Prefetch("winning_bid", queryset=winning_bids))
    )


# `GET auctions/{id}` is read far more than anything else: its six-table join is compiled once.
_auction_by_id: CompiledLookup[Auction] = CompiledLookup(
    lambda auction_id: auction_list().filter(pk=auction_id), key=int
)


def auction_get(*, auction_id: int) -> Auction | None:
    return _auction_by_id.get(auction_id)


def auction_bid_list(*, auction: Auction) -> QuerySet[Bid]:
    """Newest first."""
    return Bid.objects.filter(auction=auction).select_related("bidder").order_by("-id")


def user_item_list(*, user: User) -> QuerySet[Item]:
    return item_list().filter(owner=user)


def user_auction_list(*, user: User) -> QuerySet[Auction]:
    return auction_page_list().filter(seller=user)


BID_STATES = ("leading", "outbid", "won", "lost")


def user_bid_state_q(*, user: User, state: str) -> Q:
    """Which of the caller's bids are in auctions where the caller is, right now:
    leading (auction not settled, caller leads), outbid (not settled, someone else leads),
    won (settled fulfilled, caller holds the winning bid) or lost (settled otherwise)."""
    active = Q(auction__state=AuctionState.ACTIVE)
    fulfilled = Q(auction__state=AuctionState.FULFILLED)
    won = fulfilled & Q(auction__winning_bid__bidder=user)
    match state:
        case "leading":
            return active & Q(auction__leader=user)
        case "outbid":
            return active & ~Q(auction__leader=user)
        case "won":
            return won
        case "lost":
            return ~active & ~won
    raise ValueError(f"unknown bid state {state!r}")


def user_bid_state(*, bid: Bid, user: User) -> str:
    """The Python twin of `user_bid_state_q` for one bid (its auction joined)."""
    auction = bid.auction
    if auction.state == AuctionState.ACTIVE:
        return "leading" if auction.leader_id == user.pk else "outbid"
    if auction.state == AuctionState.FULFILLED and auction.winning_bid and auction.winning_bid.bidder_id == user.pk:
        return "won"
    return "lost"


def user_bid_list(*, user: User) -> QuerySet[Bid]:
    """The caller's bids, manual and automatic, newest first."""
    return (
        Bid.objects.filter(bidder=user)
        .select_related("auction__item", "auction__currency", "auction__winning_bid")
        .order_by("-id")
    )
