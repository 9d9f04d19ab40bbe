from datetime import datetime

from auctions.models import Auction, AuctionState


def auction_next_end(*, after: datetime) -> datetime | None:
    """The earliest end_time after `after` among unsettled auctions: when the next one is due."""
    return (
        Auction.objects.filter(state=AuctionState.ACTIVE, end_time__gt=after)
        .order_by("end_time")
        .values_list("end_time", flat=True)
        .first()
    )
