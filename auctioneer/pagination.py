import contextlib
import hashlib
import logging
import time
from functools import cached_property
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django_filters import OrderingFilter
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

logger = logging.getLogger(__name__)


def list_cache() -> BaseCache:
    """Where the kept counts and pages live: CACHES["lists"] (auctioneer/settings/base.py,
    "Caches", says why it is apart from the throttles' cache)."""
    return caches["lists"]


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100): ``{"count", "next", "previous", "results"}``.

    A page_size above the maximum is capped; a page or page_size that is not a whole number
    ≥ 1 is a 400 problem rather than silently replaced (a page past the last one is 404)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return int(self.page_size or self.max_page_size)
        if not _whole_number_from_1(raw):
            raise ValidationError({self.page_size_query_param: ["Enter a whole number from 1 (at most 100 are sent)."]})
        # A huge number is capped without being parsed whole.
        digits = raw.lstrip("0")
        return self.max_page_size if len(digits) > 3 else min(int(digits), self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param, "")
        if raw not in ("", *self.last_page_strings) and not _whole_number_from_1(raw):
            raise ValidationError({self.page_query_param: ["Enter a whole number from 1."]})
        return super().get_page_number(request, paginator)


def _whole_number_from_1(raw: str) -> bool:
    """ASCII digits only (no sign, point, exponent or other scripts' digits), not all zeros."""
    return raw.isascii() and raw.isdigit() and bool(raw.lstrip("0"))


def cached_count_note() -> str:
    """What a client reads about `count` (and the pages) in the API docs of a list that uses
    CachedCountPagination and CachedPageMixin."""
    seconds, smallest = settings.LIST_COUNT_CACHE_SECONDS, settings.LIST_COUNT_CACHE_MIN_COUNT
    page_seconds = settings.LIST_PAGE_CACHE_SECONDS
    if seconds <= 0:
        note = "`count` is exact."
    else:
        note = (
            f"`count` is exact below {smallest:,}; a larger count may be up to {seconds} s old (one count per "
            "filter, shared by its pages, page sizes and orderings). For those seconds the pages end where the "
            "count ends, and the last page may be short or empty if rows left the list meanwhile."
        )
    if page_seconds > 0:
        note += (
            f" A page of a list of {smallest:,} or more may be up to {2 * page_seconds} s old (prices, bid counts, "
            "statuses); a smaller list, and `GET auctions/{id}`, are always current."
        )
    return note


class _CachedCountPaginator(Paginator):
    """Django's paginator, whose `count` comes from the shared cache (under `count_key`) when
    a recent count there was large; otherwise it counts, and keeps a large count."""

    count_key = ""

    @cached_property
    def count(self) -> int:
        seconds = settings.LIST_COUNT_CACHE_SECONDS
        if seconds <= 0:
            return super().count
        try:
            cached = list_cache().get(self.count_key)
        except Exception:  # the kept count only saves time: without the cache, count
            logger.warning("list count: the cache is unavailable; counting", exc_info=True)
            return super().count
        if cached is not None:
            return int(cached)
        count = super().count
        if count >= settings.LIST_COUNT_CACHE_MIN_COUNT:
            with contextlib.suppress(Exception):  # kept next time, if the cache is back
                list_cache().set(self.count_key, count, seconds)
        return count


class CachedCountPagination(PageNumberPagination):
    """The pagination of the big public lists (explore auctions, explore items): `count` is
    exact below ``LIST_COUNT_CACHE_MIN_COUNT`` (1,000); a larger count may be up to
    ``LIST_COUNT_CACHE_SECONDS`` (5; 0 turns the cache off) old.

    Why: the paginator's `COUNT(*)` reads every row that matches. For `status=open` and one
    filter over 100,000 auctions that is 35,000-86,000 rows: 7-200 ms on SQLite and 13-41 ms
    on PostgreSQL per page, several times the page itself (`make bench`'s browse_list). No
    client browsing "37,484 auctions" needs the 37,502nd counted within the second; a short
    list — a rare filter, a seller's search, every list a test builds — is counted every time,
    so a new auction shows in it at once.

    How: Django's cache, CACHES["lists"] (shared by every process; one indexed read on the
    database cache, whose table is apart from the throttles'). The key is the list's path and
    its filter parameters rather than the count's SQL, which carries the request's clock for
    `status` and would never match twice; the pages, page sizes and orderings of one filter
    share an entry. While the entry lives, the pages end where the kept count ends (Django's
    paginator cuts the last page there), and the last page may be short or empty if rows left
    the list; when it expires, the next request counts again. Only for lists whose rows do not depend on the caller."""

    django_paginator_class = _CachedCountPaginator

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list | None:
        self.view = view
        return super().paginate_queryset(queryset, request, view)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        # DRF builds the paginator itself; this is the first call that sees it, before
        # anything asks for the count.
        paginator.count_key = self._count_key(request, self.view)
        return super().get_page_number(request, paginator)

    def _count_key(self, request: Request, view: Any) -> str:
        """The path and the parameters that change which rows match: the filters the view's
        filterset declares (so an unknown parameter makes no new entry) but its ordering;
        without a filterset, every parameter but page, page_size and ordering."""
        params = request.query_params
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            names = [name for name, f in filterset_class.base_filters.items() if not isinstance(f, OrderingFilter)]
        else:
            names = [n for n in params if n not in (self.page_query_param, self.page_size_query_param, "ordering")]
        filters = sorted((name, params.getlist(name)) for name in names if name in params)
        digest = hashlib.sha256(repr((request.path, filters)).encode()).hexdigest()
        return f"list-count:{digest}"

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count"]["description"] = cached_count_note()
        return paginated


class CachedPageMixin:
    """For a ListAPIView paginated by CachedCountPagination: the answer of a page of a large
    list (``LIST_COUNT_CACHE_MIN_COUNT`` rows or more) is kept in the shared cache, and the
    same page asked again is answered from there, without filtering, querying or serialising.
    A kept page is fresh for ``LIST_PAGE_CACHE_SECONDS`` (1; 0 turns this off). After that,
    one request rebuilds it while the others are still answered the kept page, for at most
    as long again; so a page is at most twice those seconds old.

    Why: the explore list is the most requested page of an auction site, and a handful of
    pages (the first pages of `status=open`, by end time, per category) take most of those
    requests. Building one costs ~13 ms of CPU (django-filter, the SQL, ~200 model objects,
    serialisation; `make bench`'s browse_list), a kept one ~1 ms. Without the single rebuild,
    every request that arrived while a page was being rebuilt built it too, and those builds
    were the slowest answers. What a client gives up is those seconds: the detail, a bid's
    answer and every small list (a seller's own, a rare filter, every list a test builds) are
    always current.

    How: the key is the whole URL as the client sent it (host and query string: the answer's
    `next` and `previous` links repeat them) and its Accept header (JSON may be asked for
    indented). Only 200 answers are kept, as the bytes and content type that were sent, so a
    kept answer is the same answer; headers are added as for any other. The rebuild is claimed
    with the cache's atomic `add` for those seconds (a rebuild that fails leaves the claim to
    lapse). Without the cache, every page is built. Only for lists whose rows do not depend
    on the caller."""

    _keep_as: str | None = None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:  # a Response, or the kept HttpResponse
        seconds = settings.LIST_PAGE_CACHE_SECONDS
        if seconds <= 0:
            return super().list(request, *args, **kwargs)  # type: ignore[misc]
        url, accept = request.build_absolute_uri(), request.headers.get("Accept", "")
        key = "list-page:" + hashlib.sha256(repr((url, accept)).encode()).hexdigest()
        cache = list_cache()
        try:
            kept = cache.get(key)
            if kept is not None and kept[0] <= time.time() and cache.add(f"{key}:rebuild", True, seconds):
                kept = None  # stale, and this request rebuilds it
        except Exception:  # a kept page only saves time
            logger.warning("list page: the cache is unavailable; building the page", exc_info=True)
            kept = None
        if kept is not None:
            _fresh_until, content_type, content = kept
            return HttpResponse(content, content_type=content_type)
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        page = getattr(self.paginator, "page", None)  # type: ignore[attr-defined]
        if page is not None and page.paginator.count >= settings.LIST_COUNT_CACHE_MIN_COUNT:
            self._keep_as = key
        return response

    def finalize_response(self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self._keep_as is not None and response.status_code == HTTPStatus.OK and isinstance(response, Response):
            response.render()  # as Django would next; a rendered response is not rendered again
            seconds = settings.LIST_PAGE_CACHE_SECONDS
            kept = (time.time() + seconds, response["Content-Type"], response.content)
            with contextlib.suppress(Exception):  # kept next time, if the cache is back
                list_cache().set(self._keep_as, kept, 2 * seconds)
        return response
