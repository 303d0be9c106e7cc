"""API authentication: the browser session (with its second factor) or ``Authorization: Bearer <token>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from ketaclinic.accounts import services
from ketaclinic.accounts.access import is_fully_signed_in


class VerifiedSessionAuth(SessionAuth):
    """A session counts only once the second factor is verified, as for the staff pages."""

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
