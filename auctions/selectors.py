from django.conf import settings


def bid_increment_table() -> list[dict]:
    return [{"below": below, "increment": inc} for below, inc in settings.AUCTION_BID_INCREMENTS]
