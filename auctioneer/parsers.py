"""JSON parsing that keeps money exact: JSON numbers with a fraction become Decimal."""

import codecs
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType

# JSON travels as UTF-8 (RFC 8259 §8.1); US-ASCII is a subset of it. Every other charset Python
# knows is refused: some are not text at all (`bz2_codec`, `zlib_codec`, `base64`) and would
# turn a body under the size limit into any amount of memory, others raise where no text
# decoder would (`rot13`).
ACCEPTED_CHARSETS = frozenset({"utf-8", "ascii"})


class ExponentDecimal(Decimal):
    """A JSON number written with an exponent (``1e3``): still a Decimal, but marked so that
    money fields can refuse exponent notation (SPEC.md, "Conventions")."""


def _parse_float(text: str) -> Decimal:
    return ExponentDecimal(text) if "e" in text or "E" in text else Decimal(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but floats parse as ``Decimal`` (no binary rounding of prices)
    and NaN/Infinity are refused."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            codec: codecs.CodecInfo | None = codecs.lookup(encoding)
        except LookupError:
            codec = None
        if codec is None or codec.name not in ACCEPTED_CHARSETS:
            raise UnsupportedMediaType(
                media_type or "", detail=f"charset={encoding} is not supported: send UTF-8 JSON."
            )
        try:
            decoded_stream = codec.streamreader(stream)
            return json.load(decoded_stream, parse_float=_parse_float, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
