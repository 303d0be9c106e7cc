"""The /api/v1 NinjaAPI (CONTRACTS §3): authentication and the error answers every endpoint shares.

Infrastructure only: it imports no clinical app. ``ketaclinic.api_v1`` (the top of the house) mounts each app's
router on it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.api.auth import BearerTokenAuth, VerifiedSessionAuth
from ketaclinic.log_filters import redact_path

logger = logging.getLogger(__name__)


class OneValuePerFieldParser(Parser):
    """A query or form field given twice is refused (422 naming it) unless the operation takes a list: Django Ninja
    would otherwise keep the last value silently, so ``?instrument=x&instrument=y`` answered as if only ``y`` was
    asked (schemathesis: "schema-violating request accepted")."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, object]:
        repeated = [key for key in data if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            where = "query" if data is request.GET else "body"
            raise NinjaValidationError(
                [{"loc": [where, key], "msg": "Give this parameter once.", "type": "value_error"} for key in repeated]
            )
        return super().parse_querydict(data, list_fields, request)


api = NinjaAPI(
    title="ketaclinic API",
    version="1",
    description="REST API of ketaclinic. Auth: the browser session (after the second factor) or a bearer token "
    '(`ketaclinic token create USERNAME`). Errors answer `{"detail": ...}`; 404 also for objects you may not see.',
    auth=[BearerTokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=OneValuePerFieldParser(),
)


def field_errors(error: ValidationError) -> list[dict[str, object]]:
    details: list[dict[str, object]] = []
    for field, messages in error.message_dict.items():
        for message in messages:
            details.append({"loc": ["body", field], "msg": message, "type": "value_error"})
    return details


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": field_errors(exc)}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    detail = [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}] if exc.field else exc.message
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "Authentication required."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _only_missing_idempotency_key(errors: list[dict[str, object]]) -> bool:
    """The one schema error answered 400, not 422: a required Idempotency-Key header left out (TESTING.md)."""

    def is_missing_key(error: dict[str, object]) -> bool:
        loc = [str(part).lower() for part in error.get("loc", ()) or ()]  # type: ignore[attr-defined]
        return error.get("type") == "missing" and loc[:1] == ["header"] and loc[-1:] == ["idempotency-key"]

    return bool(errors) and all(is_missing_key(error) for error in errors)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    if _only_missing_idempotency_key(list(exc.errors)):
        return api.create_response(
            request, {"detail": "The Idempotency-Key header is required for this request."}, status=400
        )
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(DataError)
def on_value_the_database_refuses(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the database cannot take (PostgreSQL: a NUL character in text, a number beyond its column) is the
    request's fault, not a server error; the request's writes were rolled back with its transaction."""
    return api.create_response(
        request,
        {"detail": "A value in this request cannot be stored or searched (for example a NUL character in text)."},
        status=422,
    )


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug answers JSON like every other API error (not the staff pages' HTML error page), without internals;
    the traceback goes to the log (django.request's handler is bypassed, so it is logged here)."""
    logger.error("Unhandled error in %s %s", request.method, redact_path(request.path), exc_info=exc)
    return api.create_response(request, {"detail": "Internal server error."}, status=500)


__all__ = ["HttpError", "api"]
