"""A plain reference model of SPEC.md's bidding rules 0 to 4, written from the text alone.

It knows nothing of the database or the API: the property tests replay the same bids
through `auctions.services.bid_place` and through this model and compare what a client
would read after every bid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

# SPEC.md, "Bid increments" (upper bound exclusive; None = no bound).
INCREMENTS: list[tuple[Decimal | None, Decimal]] = [
    (Decimal("1"), Decimal("0.05")),
    (Decimal("5"), Decimal("0.25")),
    (Decimal("25"), Decimal("0.50")),
    (Decimal("100"), Decimal("1")),
    (Decimal("250"), Decimal("2.50")),
    (Decimal("500"), Decimal("5")),
    (Decimal("1000"), Decimal("10")),
    (Decimal("2500"), Decimal("25")),
    (Decimal("5000"), Decimal("50")),
    (None, Decimal("100")),
]


def increment_at(price: Decimal) -> Decimal:
    for below, increment in INCREMENTS:
        if below is None or price < below:
            return increment
    raise AssertionError("the increment table has no open-ended last row")


@dataclass
class Outcome:
    status: int
    current_price: Decimal | None = None
    leader: str | None = None
    minimum_bid: Decimal | None = None
    leading: bool | None = None
    end_time: datetime | None = None


@dataclass
class ModelAuction:
    starting_price: Decimal
    end_time: datetime
    start_time: datetime | None = None
    reserve_price: Decimal | None = None
    extension_seconds: int = 0
    seller: str = "seller"
    current_price: Decimal = field(init=False)
    leader: str | None = field(init=False, default=None)
    accepted: int = field(init=False, default=0)
    # bidder -> (ceiling, sequence number of the bid that set it): ties go to the earlier one.
    ceilings: dict[str, tuple[Decimal, int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.current_price = self.starting_price

    @property
    def minimum_bid(self) -> Decimal:
        if self.accepted == 0:
            return self.starting_price
        return self.current_price + increment_at(self.current_price)

    @property
    def reserve_met(self) -> bool | None:
        if self.reserve_price is None:
            return None
        return self.leader is not None and self.ceilings[self.leader][0] >= self.reserve_price

    def is_open(self, now: datetime) -> bool:
        return (self.start_time is None or self.start_time <= now) and now < self.end_time

    def bid(self, *, bidder: str, amount: Decimal, max_amount: Decimal | None = None, now: datetime) -> Outcome:
        # Rule 0: a body wrong on its own is refused before any state is looked at.
        if amount <= 0 or (max_amount is not None and max_amount < amount):
            return Outcome(HTTPStatus.BAD_REQUEST)
        # Rule 1.
        if not self.is_open(now):
            return Outcome(HTTPStatus.CONFLICT)
        if bidder == self.seller:
            return Outcome(HTTPStatus.FORBIDDEN)
        # Rule 2.
        if amount < self.minimum_bid:
            return Outcome(HTTPStatus.CONFLICT, minimum_bid=self.minimum_bid)
        # Rule 3: a ceiling only rises; the price follows the ceilings alone.
        ceiling = max_amount if max_amount is not None else amount
        self.accepted += 1
        previous = self.ceilings.get(bidder)
        if previous is None or ceiling > previous[0]:
            self.ceilings[bidder] = (ceiling, self.accepted)
        ranked = sorted(self.ceilings.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        self.leader, (leader_ceiling, _) = ranked[0][0], ranked[0][1]
        price = self.starting_price
        if len(ranked) > 1:
            second = ranked[1][1][0]
            price = max(price, min(leader_ceiling, second + increment_at(second)))
        if self.reserve_price is not None and leader_ceiling >= self.reserve_price:
            price = max(price, self.reserve_price)
        assert price >= self.current_price, "the price never falls"
        self.current_price = price
        # Rule 4: soft close.
        if self.extension_seconds and self.end_time - now < timedelta(seconds=self.extension_seconds):
            self.end_time = now + timedelta(seconds=self.extension_seconds)
        return Outcome(
            HTTPStatus.CREATED,
            current_price=self.current_price,
            leader=self.leader,
            minimum_bid=self.minimum_bid,
            leading=self.leader == bidder,
            end_time=self.end_time,
        )
