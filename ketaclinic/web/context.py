from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketaclinic.accounts.roles import CAPABILITIES
from ketaclinic.portal.messaging.queries import unread_count
from ketaclinic.web.pages import PUBLIC_PAGES


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    """What every page needs: the environment banner, the idle timeout for the page timer, the user's capabilities."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None)
    can = {name.replace(".", "_"): role in roles for name, roles in CAPABILITIES.items()} if role else {}
    return {
        "environment": settings.ENVIRONMENT,
        "idle_timeout_s": settings.KETACLINIC_IDLE_TIMEOUT_S,
        "can": can,
        "mfa_front_desk": settings.KETACLINIC_MFA_FRONT_DESK,
        "public_pages": PUBLIC_PAGES,
        "crisis": crisis_resources(),
        "console_delivery_warning": console_delivery_warning(role),
        "inbox_unread": unread_count(user) if can.get("messages_handle") and user is not None else 0,
    }


def console_delivery_warning(role: str | None) -> list[str]:
    """For clinic admins in production: the channels whose console backend prints patients' addresses and live links
    into the server's logs (allowed only with KETACLINIC_ALLOW_CONSOLE_DELIVERY; knowledge/security.md H4)."""
    if role != "clinic_admin" or settings.ENVIRONMENT != "production":
        return []
    return list(settings.KETACLINIC_CONSOLE_DELIVERY)


def crisis_resources() -> dict[str, str]:
    """The crisis line and emergency number shown to patients (settings; instruments.md § phq9: crisis resources)."""
    return {
        "line": settings.KETACLINIC_CRISIS_LINE,
        "name": settings.KETACLINIC_CRISIS_LINE_NAME,
        "emergency": settings.KETACLINIC_EMERGENCY_NUMBER,
    }
