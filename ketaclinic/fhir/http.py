"""The HTTP side of the FHIR server: bearer-token authentication, ``application/fhir+json`` answers and errors as
``OperationOutcome`` (FHIR R4 http.html "Error handling"; CONTRACTS.md §9).

Authentication reuses the REST API's token check (``ketaclinic.api.auth.BearerTokenAuth``): the token owner's role and
locations apply to every read. A browser session is never accepted here: FHIR clients send a token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from ketaclinic.accounts.models import ApiToken, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.api.auth import BearerTokenAuth
from ketaclinic.audit import services as audit
from ketaclinic.audit.models import AuditEvent

FHIR_JSON = "application/fhir+json"
#: What ``_format`` may ask for: JSON is the only format served (the CapabilityStatement says so).
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


class FhirError(Exception):
    """A refusal answered as an OperationOutcome: ``code`` is from the FHIR issue-type value set."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def fhir_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, severity: str = "error"
) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ketaclinic FHIR"'
    return fhir_response(body, status=status, headers=headers)


def _raw_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _token_user(request: HttpRequest) -> User | None:
    token = _raw_token(request)
    if token is None:
        return None
    user = BearerTokenAuth().authenticate(request, token)
    return user if isinstance(user, User) and user.is_active else None


def request_token(request: HttpRequest) -> ApiToken:
    """The API token row of an authenticated request (a view behind ``fhir_view`` always has one)."""
    return ApiToken.objects.get(token_hash=ApiToken.hash_token(_raw_token(request) or ""))


def require(user: User, capability: str, resource_type: str) -> None:
    """Refuse (403) a resource type the token owner's role may not read; the refusal is audited."""
    if not role_can(user.role, capability):
        audit.record(
            actor=user,
            action="fhir.denied",
            outcome=AuditEvent.Outcome.DENIED,
            detail={"resource_type": resource_type, "capability": capability},
        )
        raise FhirError(403, "forbidden", f"Your role may not read {resource_type} resources.")


def _check_format(request: HttpRequest) -> None:
    wanted = request.GET.get("_format")
    if wanted is not None and wanted not in JSON_FORMATS:
        raise FhirError(400, "not-supported", f"_format={wanted}: only JSON (application/fhir+json) is served.")


def fhir_view(
    *, public: bool = False, methods: tuple[str, ...] = ("GET", "HEAD")
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """GET only unless ``methods`` says otherwise (the referral POST; a Bulk Data status URL also takes DELETE);
    ``public`` views (the CapabilityStatement) need no token, every other one needs a valid token. A token, never a
    cookie, authenticates: no CSRF token is asked."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                allowed = ", ".join(method for method in methods if method != "HEAD")
                response = operation_outcome(
                    405, "not-supported", f"{request.method} is not supported here: use {allowed}."
                )
                response["Allow"] = allowed
                return response
            user = _token_user(request)
            if user is None and not public:
                return operation_outcome(401, "login", "Send a valid API token: Authorization: Bearer <token>.")
            try:
                _check_format(request)
                return view(request, user, *args, **kwargs)
            except FhirError as error:
                return operation_outcome(error.status, error.code, error.message, headers=error.headers)

        # Token-only: no cookie ever authenticates a FHIR request, so there is no cross-site request to forge (the
        # referral POST and the status URL's DELETE would otherwise be refused by the CSRF middleware).
        return csrf_exempt(wrapped)

    return decorate
