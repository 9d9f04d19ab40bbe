from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100): ``{"count", "next", "previous", "results"}``.

    A page_size above the maximum is capped; one that is not a whole number ≥ 1 is a 400
    problem rather than silently replaced (a page past the last one is 404)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return int(self.page_size or self.max_page_size)
        digits = raw.lstrip("0")
        if not (raw.isascii() and raw.isdigit()) or not digits:
            raise ValidationError({self.page_size_query_param: ["Enter a whole number from 1 (at most 100 are sent)."]})
        # A huge number is capped without being parsed whole.
        return self.max_page_size if len(digits) > 3 else min(int(digits), self.max_page_size)
