"""The /api/v1 router: one NinjaAPI that mounts each app's api.py (CONTRACTS §3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.api.auth import BearerTokenAuth, VerifiedSessionAuth

api = NinjaAPI(
    title="ketaclinic API",
    version="1",
    description="REST API of ketaclinic. Auth: the browser session (after the second factor) or a bearer token "
    '(`ketaclinic token create USERNAME`). Errors answer `{"detail": ...}`; 404 also for objects you may not see.',
    auth=[VerifiedSessionAuth(), BearerTokenAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
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


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.errors}, status=422)


__all__ = ["HttpError", "api"]

from ketaclinic.intake.api import router as intake_router  # noqa: E402  (routers import `api` helpers above)
from ketaclinic.ledger.api import router as ledger_router  # noqa: E402
from ketaclinic.patients.api import router as patients_router  # noqa: E402

api.add_router("/patients", patients_router, tags=["patients"])
api.add_router("/intake", intake_router, tags=["intake"])
api.add_router("/ledger", ledger_router, tags=["ledger"])
