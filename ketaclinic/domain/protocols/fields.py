"""Reading one protocol field: :class:`ProtocolError` and the typed readers that raise it naming the field.

A malformed file or clinic override (wrong type, blank text, a non-positive number) raises :class:`ProtocolError` (a
``ValueError``) whose message names the origin (the file, or the clinic override) and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import cast

__all__ = ["ProtocolError"]


class ProtocolError(ValueError):
    """A protocol file or override is malformed; ``origin`` is the file (or override), ``field`` the bad field."""

    def __init__(self, origin: str, field: str | None, problem: str) -> None:
        where = f"{origin}: {field}" if field else origin
        super().__init__(f"{where}: {problem}")
        self.origin = origin
        self.field = field


class _Parser:
    """Type checks for one origin, raising ProtocolError naming the field."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, field: str | None, problem: str) -> ProtocolError:
        return ProtocolError(self.origin, field, problem)

    def text(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a non-empty string (got {value!r})")
        return value.strip()

    def texts(self, field: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise self.fail(field, f"must be a non-empty list of strings (got {value!r})")
        return tuple(self.text(field, item) for item in value)

    def decimal(self, field: str, value: object) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise self.fail(field, f"must be a number (got {value!r})")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(field, f"must be a number (got {value!r})") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(field, f"must be a positive number (got {value!r})")
        return number

    def integer(self, field: str, value: object, *, low: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(field, f"must be a whole number ≥ {low} (got {value!r})")
        return value

    def decimals(self, field: str, value: object) -> tuple[Decimal, ...]:
        if not isinstance(value, list | tuple):
            raise self.fail(field, f"must be a list of numbers (got {value!r})")
        return tuple(self.decimal(field, item) for item in value)

    def integers(self, field: str, value: object, *, low: int) -> tuple[int, ...]:
        if not isinstance(value, list | tuple):
            raise self.fail(field, f"must be a list of whole numbers (got {value!r})")
        return tuple(self.integer(field, item, low=low) for item in value)

    def table(self, field: str, value: object) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail(field, f"must be a table (got {value!r})")
        return cast("Mapping[str, object]", value)
