"""Serializer fields shared by every API."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings. DRF's coerces numbers (`"city": 0` is stored
    as "0"), which accepts input the schema forbids; a client that sends a number for a text
    field has a bug worth a 400."""

    default_error_messages = {"invalid": "Enter a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


def rfc3339_case(value: Any) -> Any:
    """RFC 3339 (§5.6) lets a time's `T` and `Z` be written `t` and `z`. Django's parser takes
    the `t` but not the `z`; the only letters an ISO 8601 time holds are those, so upper case
    reads the same time."""
    return value.upper() if isinstance(value, str) else value


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField that also takes RFC 3339's lower-case `z`."""

    def to_internal_value(self, value: Any) -> Any:
        return super().to_internal_value(rfc3339_case(value))
