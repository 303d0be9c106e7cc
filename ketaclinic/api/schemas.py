"""Shared building blocks of the API schemas: ids, ISO dates, decimals, request bodies and the error body.

Each says in the OpenAPI document exactly what it accepts, and accepts nothing more: pydantic's lax mode would read the
number 0 as 1970-01-01, take a JSON array for an object whose fields are all optional, and a 20-digit id overflows the
database (a 500 instead of a 422).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# A database id: positive and within a 64-bit integer (a larger one would overflow SQLite and PostgreSQL).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

NO_NUL_PATTERN = r"^[^\x00]*$"
"""Text a query may compare: no NUL character (PostgreSQL refuses to compare text holding one; SQLite does not, so
without this the two databases would answer differently)."""

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class _TextPattern:
    """Say in the document which text a value accepts."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "string":
                branch["pattern"] = self.pattern
        return schema


def _iso(pattern: re.Pattern[str], example: str, kind: type) -> BeforeValidator:
    """Only ISO 8601 text: pydantic would otherwise read a number such as 0 or 0.5 as a Unix timestamp."""

    def check(value: object) -> object:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"give an ISO 8601 value such as {example}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[dt.date, _iso(ISO_DATE, "2027-06-30", dt.date), _TextPattern(ISO_DATE.pattern)]
IsoDateTime = Annotated[dt.datetime, _iso(ISO_DATETIME, "2026-11-24T15:00:00Z", dt.datetime)]


class _DecimalPattern:
    """Pydantic documents a decimal's text form as any string: say which text it accepts (pydantic's own syntax,
    within the field's max_digits and decimal_places) and, in responses, which text it writes."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        generator = getattr(handler, "generate_json_schema", None)
        if core_schema.get("type") != "decimal" or generator is None:
            return schema
        pattern = generator.build_decimal_pattern(core_schema)
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "string":
                branch["pattern"] = pattern
        return schema


# A JSON number or decimal text in requests (exact: the text is never read through a float); text in responses.
DecimalText = Annotated[Decimal, _DecimalPattern()]


class BodyIn(Schema):
    """A request body: a JSON object, never an array or a scalar (ninja's Schema would read any value as an object)."""

    @model_validator(mode="before")
    @classmethod
    def _a_json_object(cls, data: Any) -> Any:
        if not isinstance(data._obj if isinstance(data, DjangoGetter) else data, dict):
            raise ValueError("the request body must be a JSON object")
        return data


class ErrorOut(Schema):
    detail: str | list[dict[str, Any]]


class WitnessIn(BodyIn):
    """A second licensed colleague signs inside the request, exactly as on the staff pages (never stored or logged)."""

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)
    otp_token: str = Field(min_length=6, max_length=8, description="The witness's current one-time code.")
