"""Settlement rules (SPEC.md "Workers"): bids go through the real bidding service, the pass
runs in-process, and the result is read the way a client reads it: GET auctions/{id}."""

import time
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from auctions.models import Auction, AuctionState
from auctions.services import auction_buy_now, bid_place
from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory
from workers.services import auctions_settle_due, notifications_send

pytestmark = pytest.mark.django_db


def _end_now(auction: Auction) -> None:
    Auction.objects.filter(pk=auction.pk).update(end_time=timezone.now() - timedelta(milliseconds=1))


def _settle() -> None:
    auctions_settle_due()
    notifications_send()


def _read(api_client, auction: Auction) -> dict:
    response = api_client.get(reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk}))
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _mail_to(user) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_the_leader_wins_at_the_current_price(api_client):
    auction = AuctionFactory.create(starting_price=Decimal("10.00"), current_price=Decimal("10.00"))
    alice, bob = UserFactory.create(), UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=alice, amount=Decimal("10.00"), max_amount=Decimal("30.00"))
    bid_place(auction_id=auction.pk, bidder=bob, amount=Decimal("20.00"))
    bid_place(auction_id=auction.pk, bidder=bob, amount=Decimal("40.00"), max_amount=Decimal("45.00"))
    _end_now(auction)
    assert _read(api_client, auction)["status"] == "closed"

    _settle()

    body = _read(api_client, auction)
    assert body["status"] == "fulfilled"
    assert body["current_price"] == "31.00"
    assert body["winning_bid"]["bidder"] == {"id": bob.pk, "username": bob.username}
    assert body["winning_bid"]["amount"] == "31.00"
    [to_winner] = _mail_to(bob)
    assert to_winner.subject == f"You won auction #{auction.pk}: {auction.item.title}"
    assert "31.00 EUR" in to_winner.body
    [to_seller] = _mail_to(auction.seller)
    assert to_seller.subject == f"Auction #{auction.pk} sold: {auction.item.title}"
    assert bob.username in to_seller.body and "31.00 EUR" in to_seller.body
    assert _mail_to(alice) == []


def test_no_bids_is_unsold_and_only_the_seller_hears(api_client):
    auction = AuctionFactory.create()
    _end_now(auction)

    _settle()

    body = _read(api_client, auction)
    assert body["status"] == "unsold"
    assert body["winning_bid"] is None
    [to_seller] = mail.outbox
    assert to_seller.to == [auction.seller.email]
    assert to_seller.subject == f"Auction #{auction.pk} ended unsold: {auction.item.title}"
    assert "no bids" in to_seller.body


def test_a_reserve_not_met_is_unsold(api_client):
    auction = AuctionFactory.create(reserve_price=Decimal("50.00"))
    bidder = UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=bidder, amount=Decimal("10.00"), max_amount=Decimal("49.00"))
    _end_now(auction)

    _settle()

    body = _read(api_client, auction)
    assert body["status"] == "unsold"
    assert body["winning_bid"] is None
    assert (body["leading_bidder"]["id"], body["reserve_met"]) == (bidder.pk, False)  # who led; nobody won
    assert _mail_to(bidder) == []
    [to_seller] = _mail_to(auction.seller)
    assert "reserve price of 50.00 EUR" in to_seller.body


def test_a_reserve_met_sells_at_the_reserve(api_client):
    auction = AuctionFactory.create(reserve_price=Decimal("50.00"))
    bidder = UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=bidder, amount=Decimal("10.00"), max_amount=Decimal("80.00"))
    _end_now(auction)

    _settle()

    body = _read(api_client, auction)
    assert body["status"] == "fulfilled"
    assert body["winning_bid"]["bidder"]["id"] == bidder.pk
    assert body["winning_bid"]["amount"] == "50.00"
    assert len(_mail_to(bidder)) == 1


def test_buy_now_is_settled_as_soon_as_the_pass_runs(api_client):
    auction = AuctionFactory.create(buy_now_price=Decimal("99.00"), reserve_price=Decimal("60.00"))
    bidder, buyer = UserFactory.create(), UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=bidder, amount=Decimal("10.00"), max_amount=Decimal("40.00"))
    auction_buy_now(auction_id=auction.pk, buyer=buyer)

    _settle()

    body = _read(api_client, auction)
    assert body["status"] == "fulfilled"
    assert body["winning_bid"]["bidder"]["id"] == buyer.pk
    assert body["winning_bid"]["amount"] == body["current_price"] == "99.00"
    assert len(_mail_to(buyer)) == 1
    assert _mail_to(bidder) == []


def test_a_soft_close_bid_during_the_pass_keeps_the_auction_open(api_client):
    """The pass works in batches (here of one auction). Between its two batches a bid lands
    in the last seconds of the second auction and moves its end; by the time the pass
    reaches it, its original end has passed. Re-checked under the lock, it stays open."""
    first = AuctionFactory.create()
    _end_now(first)
    original_end = timezone.now() + timedelta(milliseconds=400)
    second = AuctionFactory.create(end_time=original_end, extension_seconds=60)
    bidder = UserFactory.create()
    calls = 0

    def between_batches() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            bid_place(auction_id=second.pk, bidder=bidder, amount=Decimal("10.00"))
            time.sleep(max(0.0, (original_end - timezone.now()).total_seconds()) + 0.05)
        return False

    summary = auctions_settle_due(batch_size=1, should_stop=between_batches)

    assert calls >= 2 and timezone.now() > original_end
    assert summary.fulfilled == [] and summary.unsold == [first.pk]
    body = _read(api_client, second)
    assert body["status"] == "open"
    assert body["leading_bidder"]["id"] == bidder.pk
    second.refresh_from_db()
    assert second.end_time > original_end + timedelta(seconds=50)
    assert second.settled_at is None


def test_a_second_pass_changes_nothing_and_sends_nothing(api_client):
    sold = AuctionFactory.create()
    bid_place(auction_id=sold.pk, bidder=UserFactory.create(), amount=Decimal("12.00"))
    unsold = AuctionFactory.create()
    _end_now(sold)
    _end_now(unsold)
    _settle()
    before = {a.pk: (a.state, a.settled_at, a.winning_bid_id) for a in Auction.objects.all()}
    sent = len(mail.outbox)
    assert sent == 3

    _settle()

    assert {a.pk: (a.state, a.settled_at, a.winning_bid_id) for a in Auction.objects.all()} == before
    assert len(mail.outbox) == sent


def test_open_scheduled_and_cancelled_auctions_are_left_alone(api_client):
    open_ = AuctionFactory.create()
    scheduled = AuctionFactory.create(
        start_time=timezone.now() + timedelta(hours=1), end_time=timezone.now() + timedelta(hours=2)
    )
    cancelled = AuctionFactory.create(state=AuctionState.CANCELLED)
    _end_now(cancelled)

    summary = auctions_settle_due()

    assert summary.settled == 0
    assert [_read(api_client, a)["status"] for a in (open_, scheduled, cancelled)] == ["open", "scheduled", "cancelled"]
    assert mail.outbox == []


def test_an_auction_whose_leader_has_no_bid_is_left_for_a_person(api_client, caplog):
    broken = AuctionFactory.create(leader=UserFactory.create(), leader_ceiling=Decimal("15.00"))
    fine = AuctionFactory.create()
    _end_now(broken)
    _end_now(fine)

    summary = auctions_settle_due()

    assert summary.skipped == [broken.pk] and summary.unsold == [fine.pk]
    assert _read(api_client, broken)["status"] == "closed"
    assert f"auction #{broken.pk} has a leader but no bid" in caplog.text


def test_a_title_with_a_line_break_still_makes_a_valid_subject(api_client):
    auction = AuctionFactory.create(item__title="Brass lamp\r\nBcc: everyone@example.com")
    _end_now(auction)

    _settle()

    [to_seller] = mail.outbox
    assert to_seller.subject == f"Auction #{auction.pk} ended unsold: Brass lamp Bcc: everyone@example.com"
    assert to_seller.bcc == [] and to_seller.to == [auction.seller.email]
