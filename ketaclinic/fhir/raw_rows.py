"""Light records for a bulk export, read with the database driver and converted cheaply.

Django turns each value of a ``values_list`` row into its Python type through a chain of converters (on SQLite a
datetime is text, parsed and made aware; JSON is decoded with ``json``): for the score table that was ~8 µs of a
row's ~11 µs of reading, two million times in a full export. For the simple column types below, the same values come
from a cheaper conversion of what the driver returns:

- integers, foreign keys, text and floats: as the driver gives them (both backends return the Python type);
- booleans: SQLite gives 0/1, so ``bool``;
- datetimes: SQLite stores naive UTC text (Django's format), read with ``datetime.fromisoformat`` as UTC; psycopg
  already gives aware datetimes;
- JSON without a custom decoder: Django reads it as text on both backends (it registers a text loader for jsonb),
  decoded with ``orjson``.

Any other column type (decimals, dates, UUIDs …) and any other database: ``converters`` says None and the caller
uses Django's own conversion. tests/demo_clinic/test_fhir_export.py checks the export equals what search serves from
model instances, byte for byte, on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import connections
from django.db.models import Field, ForeignKey, QuerySet

Converter = Callable[[Any], Any]

_AS_GIVEN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "FloatField",
    }
)


def _sqlite_datetime(value: str | dt.datetime) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _internal_type(field: Field[Any, Any]) -> str:
    while isinstance(field, ForeignKey):  # a foreign key (or one-to-one) holds its target's type
        field = field.target_field
    return str(field.get_internal_type())


def _converter(field: Field[Any, Any], vendor: str) -> tuple[bool, Converter | None]:
    """(supported, converter): the converter is None when the driver's value is already right."""
    kind = _internal_type(field)
    if kind in _AS_GIVEN:
        return True, None
    if kind == "BooleanField":
        return True, (bool if vendor == "sqlite" else None)
    if kind == "DateTimeField":
        return True, (_sqlite_datetime if vendor == "sqlite" else None)
    if kind == "JSONField" and getattr(field, "decoder", None) is None:
        return True, _json
    return False, None


@dataclass(frozen=True)
class Plan:
    """How to read a ``values_list`` query's rows: its column names in the order the SQL selects them (taken from
    Django's compiler, not assumed) and (position, converter) where one is needed."""

    names: tuple[str, ...]
    convert: tuple[tuple[int, Converter], ...]


def plan(query: QuerySet[Any]) -> Plan | None:
    """How to read ``query`` (a ``values_list``) cheaply, or None when a column is not of a simple type, the
    database is neither SQLite nor PostgreSQL, or datetimes are not kept in UTC: then Django converts."""
    connection = connections[query.db]
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql") or not settings.USE_TZ or connection.timezone_name != "UTC":
        return None
    if query.query.extra_select:
        return None
    compiler = query.query.get_compiler(query.db)
    compiler.setup_query()  # what the SQL selects, in its order: (expression, sql, alias) per column
    names: list[str] = []
    convert: list[tuple[int, Converter]] = []
    for index, (expression, _, alias) in enumerate(compiler.select):
        supported, conversion = _converter(expression.output_field, vendor)
        if not supported or alias is None:
            return None
        names.append(alias)
        if conversion is not None:
            convert.append((index, conversion))
    return Plan(names=tuple(names), convert=tuple(convert))


def fetch(window: QuerySet[Any], how: Plan) -> Iterator[list[Any]]:
    """The rows of one ``values_list`` window, each a list of values in ``how.names`` order, converted."""
    sql, params = window.query.sql_with_params()
    with connections[window.db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    for raw in fetched:
        values = list(raw)
        for index, conversion in how.convert:
            value = values[index]
            if value is not None:
                values[index] = conversion(value)
        yield values
