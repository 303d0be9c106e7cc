"""Search parameter values (FHIR R4 search.html): dates with prefixes, tokens, references, strings; paging.

Strict handling: a parameter this server does not know, a modifier (``name:exact``) or a value it cannot read is a 400
OperationOutcome, never silently ignored (FHIR R4 search.html "Handling errors": a server may reject unknown
parameters; ignoring one would return more rows than the client asked for).

Paging: ``_count`` defaults to 20 and is capped at 100 (a ``_count`` of a million gets pages of 100, and the ``next``
link says so); ``_count=0`` answers with the total only. ``_offset`` is the page's start, written by this server into
its ``next``/``previous`` links.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict

from ketaclinic.fhir.http import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 100
#: Parameters every search takes (besides the resource's own).
COMMON_PARAMS = frozenset({"_count", "_offset", "_format", "_id", "_include", "_revinclude"})
_DATE_RE = re.compile(r"^(eq|ne|lt|gt|le|ge|sa|eb|ap)?(\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?)$")
SUPPORTED_DATE_PREFIXES = ("eq", "lt", "gt", "le", "ge")


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def check_params(query: QueryDict, allowed: Iterable[str], resource_type: str) -> None:
    known = set(allowed) | COMMON_PARAMS
    for name in query:
        base, _, modifier = name.partition(":")
        if base not in known:
            raise FhirError(
                400,
                "not-supported",
                f"Unknown search parameter for {resource_type}: {name}. Supported: {', '.join(sorted(known))}.",
            )
        if modifier:
            raise FhirError(400, "not-supported", f"{name}: search modifiers are not supported.")


def _non_negative_int(query: QueryDict, name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise FhirError(400, "invalid", f"{name}={text}: expected a whole number ≥ 0.")
    return int(text)


def page_of(query: QueryDict) -> Page:
    count = min(_non_negative_int(query, "_count", DEFAULT_COUNT), MAX_COUNT)
    return Page(count=count, offset=_non_negative_int(query, "_offset", 0))


@dataclass(frozen=True)
class DateRange:
    """A date search value as a half-open UTC range ``[start, end)`` and its prefix."""

    prefix: str
    start: dt.datetime
    end: dt.datetime


def parse_date(value: str, name: str) -> DateRange:
    """``ge2024-01-01``, ``2024-05``, ``lt2024-05-01T10:00:00Z`` … A date without a zone is read as UTC."""
    match = _DATE_RE.match(value.strip())
    if match is None:
        raise FhirError(400, "invalid", f"{name}={value}: not a FHIR date (e.g. 2024-05-01 or ge2024-05-01).")
    prefix, text = match.group(1) or "eq", match.group(2)
    if prefix not in SUPPORTED_DATE_PREFIXES:
        raise FhirError(400, "not-supported", f"{name}: the prefix {prefix} is not supported (use eq, lt, gt, le, ge).")
    try:
        start, end = _bounds(text)
    except ValueError:
        raise FhirError(400, "invalid", f"{name}={value}: not a real date.") from None
    return DateRange(prefix=prefix, start=start, end=end)


def _bounds(text: str) -> tuple[dt.datetime, dt.datetime]:
    utc = dt.UTC
    if "T" in text:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=utc)
        return moment, moment + dt.timedelta(seconds=1)
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 1:
        return dt.datetime(parts[0], 1, 1, tzinfo=utc), dt.datetime(parts[0] + 1, 1, 1, tzinfo=utc)
    if len(parts) == 2:
        year, month = parts
        last = calendar.monthrange(year, month)[1]
        start = dt.datetime(year, month, 1, tzinfo=utc)
        return start, dt.datetime(year, month, last, tzinfo=utc) + dt.timedelta(days=1)
    start = dt.datetime(parts[0], parts[1], parts[2], tzinfo=utc)
    return start, start + dt.timedelta(days=1)


def date_lookups(field: str, value: str, name: str, *, as_date: bool = False) -> dict[str, object]:
    """Django filter keyword arguments for one date search value on ``field``."""
    found = parse_date(value, name)
    start: object = found.start.date() if as_date else found.start
    end: object = found.end.date() if as_date else found.end
    if found.prefix == "eq":
        return {f"{field}__gte": start, f"{field}__lt": end}
    if found.prefix == "lt":
        return {f"{field}__lt": start}
    if found.prefix == "ge":
        return {f"{field}__gte": start}
    if found.prefix == "gt":
        return {f"{field}__gte": end}
    return {f"{field}__lt": end}  # le


def reference_id(value: str, resource_type: str, name: str) -> int:
    """``123`` or ``Patient/123`` (or an absolute URL ending in it) → 123."""
    text = value.strip().rstrip("/")
    tail = text.rsplit("/", 2)[-2:] if "/" in text else [resource_type, text]
    if tail[0] != resource_type or not tail[1].isdigit():
        raise FhirError(400, "invalid", f"{name}={value}: expected {resource_type}/<id>.")
    return int(tail[1])


def token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``code`` → (None, code); ``|code`` → ("", code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def numeric_id(value: str, name: str) -> int:
    if not value.isdigit():
        raise FhirError(400, "invalid", f"{name}={value}: expected a numeric id.")
    return int(value)
