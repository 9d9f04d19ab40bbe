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
