import re
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path

_CONVERTERS = {"int": "[0-9]+", "str": "[^/]+", "slug": "[-a-zA-Z0-9_]+"}


def api_path(route: str, view: Callable[..., Any], name: str) -> URLPattern:
    """Like `path()`, but the route also answers with a trailing slash, for every method
    (no redirect, so a POST keeps its body)."""

    def converter(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2)
        return f"(?P<{arg}>{_CONVERTERS[kind]})"

    regex = re.sub(r"<(\w+):(\w+)>", converter, route.strip("/"))
    return re_path(rf"^{regex}/?$" if regex else r"^$", view, name=name)
