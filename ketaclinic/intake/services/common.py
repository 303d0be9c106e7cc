"""Checks every intake service starts with: the actor's role and location."""

from __future__ import annotations

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can


def require(actor: User, capability: str) -> None:
    if not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def require_location(actor: User, location: Location) -> None:
    if not actor.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.", field="location")
