"""API authentication: ``Authorization: Bearer <token>`` or the browser session (with its second factor).

A request that carries ``Authorization: Bearer`` is authenticated by its token alone: it is not subject to the
session's CSRF check (a browser never adds that header to a cross-site request), and a session cookie sent along with
it is ignored, so a bad token can never fall back to the cookie without the CSRF check. A request without the header
is a browser session and keeps django-ninja's CSRF check on every unsafe method.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from ketaclinic.accounts import services
from ketaclinic.accounts.access import is_fully_signed_in


def carries_bearer_token(request: HttpRequest) -> bool:
    scheme, _, _ = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer"


class VerifiedSessionAuth(SessionAuth):
    """A session counts only once the second factor is verified, as for the staff pages."""

    def __call__(self, request: HttpRequest) -> Any:
        if carries_bearer_token(request):
            return None  # a token request: BearerTokenAuth decides, without the session's CSRF check
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if is_fully_signed_in(request):
            return request.user
        return None


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.authenticate_token(token)
        if user is not None:
            request.user = user
        return user
