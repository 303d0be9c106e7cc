"""The decorator every staff view wears: signed in, second factor verified, role allowed, denial audited."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit

View = Callable[..., HttpResponse | StreamingHttpResponse]


def is_fully_signed_in(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    return not user.needs_mfa or bool(user.is_verified())  # type: ignore[attr-defined]  # set by OTPMiddleware


def staff_view(capability: str | None = None) -> Callable[[View], View]:
    """Require a fully signed-in workforce user; with ``capability``, also a role that holds it (else 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse | StreamingHttpResponse:
            if not is_fully_signed_in(request):
                return redirect_to_login(request.get_full_path())
            if capability is not None and not role_can(request.user.role, capability):  # type: ignore[union-attr]
                audit.record(
                    actor=request.user,
                    action="access.denied",
                    outcome="denied",
                    detail={"capability": capability, "path": request.path},
                )
                raise PermissionDenied(f"Your role does not allow this ({capability}).")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
