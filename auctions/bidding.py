"""The bidding rules as pure functions (SPEC.md, "Bidding"): increments, the minimum bid and
the proxy (eBay) rule. `services.bid_place` applies them under the auction's row lock;
read paths use `minimum_bid` for the `minimum_bid` field."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from .money import round_up

if TYPE_CHECKING:
    from .models import Auction


def bid_increment(price: Decimal, *, places: int) -> Decimal:
    """The increment at `price` from settings.AUCTION_BID_INCREMENTS, rounded up to the
    currency's minor unit."""
    for below, increment in settings.AUCTION_BID_INCREMENTS:
        if below is None or price < below:
            return round_up(increment, places=places)
    raise ValueError("AUCTION_BID_INCREMENTS must end with a row whose bound is None")


def minimum_bid(*, current_price: Decimal, bid_count: int, places: int) -> Decimal:
    if bid_count == 0:
        return current_price
    return current_price + bid_increment(current_price, places=places)


def auction_minimum_bid(auction: Auction) -> Decimal:
    return minimum_bid(
        current_price=auction.current_price, bid_count=auction.bid_count, places=auction.currency.minor_units
    )


@dataclass(frozen=True)
class ProxyState:
    """The bidding state kept on the auction row. `leader` is a user id. Ceilings only rise,
    so the top two are all the rule needs."""

    starting_price: Decimal
    reserve_price: Decimal | None
    places: int
    price: Decimal
    leader: int | None
    leader_ceiling: Decimal | None
    runner_up_ceiling: Decimal | None


def proxy_apply(state: ProxyState, *, bidder: int, ceiling: Decimal) -> ProxyState:
    """The state after `bidder` sets `ceiling` (a tie keeps the earlier leader)."""
    leader, leader_ceiling, runner_up = state.leader, state.leader_ceiling, state.runner_up_ceiling
    if leader == bidder:
        assert leader_ceiling is not None
        leader_ceiling = max(leader_ceiling, ceiling)
    elif leader is None or leader_ceiling is None or ceiling > leader_ceiling:
        runner_up, leader, leader_ceiling = leader_ceiling, bidder, ceiling
    else:
        runner_up = ceiling if runner_up is None else max(runner_up, ceiling)

    if runner_up is None:
        price = state.starting_price
    else:
        price = min(leader_ceiling, runner_up + bid_increment(runner_up, places=state.places))
    price = max(price, state.starting_price, state.price)
    if state.reserve_price is not None and leader_ceiling >= state.reserve_price:
        price = max(price, state.reserve_price)
    return replace(state, price=price, leader=leader, leader_ceiling=leader_ceiling, runner_up_ceiling=runner_up)
