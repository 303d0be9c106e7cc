"""Reads the billing pages and the API share: what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.billing.models import Claim, Superbill
from ketaclinic.patients.queries import patients_visible_to


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Claims of the patients at the user's locations, for billing staff and clinicians."""
    if not (role_can(user.role, "billing.manage") or role_can(user.role, "billing.view")):
        return Claim.objects.none()
    return Claim.objects.filter(patient__in=patients_visible_to(user)).select_related("patient", "payer", "coverage")


def superbills_visible_to(user: User) -> QuerySet[Superbill]:
    if not (role_can(user.role, "billing.manage") or role_can(user.role, "billing.view")):
        return Superbill.objects.none()
    return Superbill.objects.filter(patient__in=patients_visible_to(user)).select_related("patient")
