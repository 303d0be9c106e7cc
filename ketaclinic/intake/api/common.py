"""Helpers the intake API modules share."""

import datetime as dt

from ninja.errors import HttpError

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can


def require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """Times without a zone are read as UTC (storage is UTC; ARCHITECTURE.md)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
