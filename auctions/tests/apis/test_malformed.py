"""Random malformed bodies against every write endpoint give 4xx problem JSON,
never a 5xx or an HTML page."""

import json
import random
import string
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse

from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BODIES_PER_ENDPOINT = 200
FIELDS = [
    "amount",
    "max_amount",
    "currency",
    "item",
    "title",
    "description",
    "condition",
    "category",
    "country",
    "starting_price",
    "reserve_price",
    "buy_now_price",
    "start_time",
    "end_time",
    "extension_seconds",
    "international_delivery",
    "id",
    "seller",
    "status",
]
NASTY_STRINGS = [
    "",
    " ",
    "NaN",
    "-Infinity",
    "Infinity",
    "1e3",
    "1E-2",
    "-10",
    "0",
    "0.000001",
    "10.",
    ".5",
    "1_000",
    "\uff11\uff12",  # fullwidth digits
    "10,50",
    "0x1F",
    "9" * 40,
    "2026-13-45T99:99:99Z",
    "2026-01-01T00:00:00+25:00",
    "\x00",
    "' OR 1=1 --",
    "<script>",
    "🙂",
    "x" * 20_000,
]


def _scalar(rng: random.Random) -> Any:
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice(NASTY_STRINGS)
    if kind == 1:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(30)))
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.randint(-(10**30), 10**30)
    if kind == 4:
        return rng.uniform(-1e6, 1e6)
    if kind == 5:
        return rng.choice([0, -1, 1, 2**63, -(2**63), 10**13])
    if kind == 6:
        return [_scalar(rng) for _ in range(rng.randrange(3))]
    if kind == 7:
        return {rng.choice(FIELDS): _scalar(rng) for _ in range(rng.randrange(3))}
    return rng.choice(NASTY_STRINGS[:12])


def malformed_bodies(seed: int) -> list[tuple[bytes, str]]:
    rng = random.Random(seed)
    bodies: list[tuple[bytes, str]] = []
    while len(bodies) < BODIES_PER_ENDPOINT:
        kind = rng.randrange(6)
        if kind <= 2:  # an object with wrong values for real fields
            body = {rng.choice(FIELDS): _scalar(rng) for _ in range(rng.randrange(1, 8))}
            bodies.append((json.dumps(body).encode(), "application/json"))
        elif kind == 3:  # valid JSON of the wrong shape
            bodies.append((json.dumps(_scalar(rng)).encode(), "application/json"))
        elif kind == 4:  # broken JSON or bytes
            raw = rng.choice(
                [
                    b"{",
                    b'{"amount": }',
                    b'{"amount": NaN}',
                    b'{"amount": 1e999}',
                    b'{"amount": 1e3}',
                    b"\xff\xfe\x00",
                    b'{"amount": "10"',
                    b"[" * 5000,
                    b'{"a":' * 3000,
                    b"1" * 5000,
                    b"",
                ]
            )
            bodies.append((raw, "application/json"))
        else:  # a content type the API does not take
            bodies.append((b"amount=10", rng.choice(["application/x-www-form-urlencoded", "text/plain", "text/xml"])))
    return bodies


@pytest.fixture
def endpoints(db) -> list[tuple[str, str, Any]]:
    seller = UserFactory.create()
    item = ItemFactory.create(owner=seller)
    auction = AuctionFactory.create(item__owner=seller)
    return [
        ("post", reverse("auctions:item-list"), seller),
        ("patch", reverse("auctions:item-detail", kwargs={"item_id": item.pk}), seller),
        ("post", reverse("auctions:auction-list"), seller),
        ("patch", reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk}), seller),
        ("post", reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), UserFactory.create()),
        # no body fields: refused by rule (not the seller / no buy-now price) whatever the body
        ("post", reverse("auctions:auction-cancel", kwargs={"auction_id": auction.pk}), UserFactory.create()),
        ("post", reverse("auctions:auction-buy-now", kwargs={"auction_id": auction.pk}), UserFactory.create()),
    ]


def test_random_malformed_bodies_are_4xx_problem_json(client_for, endpoints):
    for index, (method, url, caller) in enumerate(endpoints):
        client = client_for(caller)
        client.raise_request_exception = True
        for body, content_type in malformed_bodies(seed=index):
            response = getattr(client, method)(url, data=body, content_type=content_type)
            if method == "patch" and response.status_code == HTTPStatus.OK:
                # a PATCH whose fields happen to be valid (or all unknown, hence ignored) is no error
                assert response["Content-Type"] == "application/json"
                continue
            assert 400 <= response.status_code < 500, (method, url, body[:200], response.content[:300])
            assert response["Content-Type"] == "application/problem+json", (url, body[:200])
            problem = response.json()
            assert problem["status"] == response.status_code
            assert {"type", "title", "detail"} <= set(problem)


@pytest.mark.parametrize(
    "amount",
    [
        "NaN",
        "Infinity",
        "-1",
        "0",
        "1e3",
        "1E3",
        "10.123456",
        "abc",
        "",
        " 10",
        "10 ",
        "+10",
        "1" * 30,
        True,
        None,
        [],
        {},
    ],
)
def test_money_inputs_refused(client_for, amount):
    auction = AuctionFactory.create()
    r = client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": amount}, format="json"
    )
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert "amount" in r.json()["errors"]


@pytest.mark.parametrize("raw", [b'{"amount": 1e3}', b'{"amount": 1.5E1}', b'{"amount": NaN}', b'{"amount": Infinity}'])
def test_json_numbers_with_exponents_or_constants_refused(client_for, raw):
    auction = AuctionFactory.create()
    r = client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), data=raw, content_type="application/json"
    )
    assert r.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("amount", "shown"), [(10, "10.00"), ("10.5", "10.00"), ("10.50", "10.00"), ("10.000", "10.00")]
)
def test_money_inputs_accepted(client_for, amount, shown):
    auction = AuctionFactory.create()
    r = client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": amount}, format="json"
    )
    assert r.status_code == HTTPStatus.CREATED, r.json()
    assert r.json()["amount"] == shown


@pytest.mark.parametrize(
    "params",
    ["search=%00", "currency=%00", "country=%ED%A0%80", "category=%FF", "condition=" + "x" * 5000, "search=%C3%A9"],
)
def test_odd_query_strings_are_never_500(api_client, params):
    for name in ("auctions:auction-list", "auctions:item-list"):
        r = api_client.get(f"{reverse(name)}?{params}")
        assert r.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), r.content[:300]


@pytest.mark.parametrize("text", ["\\u0000", "a\\u0000b", "\\ud800"])
def test_nul_and_lone_surrogates_in_text_are_400(client_for, user, text):
    body = '{"title": "' + text + '", "condition": "used"}'
    r = client_for(user).post(reverse("auctions:item-list"), data=body.encode(), content_type="application/json")
    assert r.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("method", ["options", "head"])
def test_options_and_head_answer(client_for, user, method):
    auction = AuctionFactory.create()
    for url in (
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}),
        reverse("auctions:auction-list"),
        reverse("auctions:item-list"),
        reverse("auctions:me-bids"),
    ):
        r = getattr(client_for(user), method)(url)
        assert r.status_code == HTTPStatus.OK, (url, r.content[:300])
