"""Clinic admins edit a location's billing identity (CMS-1500 items 25, 32, 33; 837P 2010AA) and clinicians' NPIs
(item 24J; 837P 2310B). The NPI check digit follows CMS's "Requirements for a Check Digit Algorithm for the National
Provider Identifier" (2005), checked in ``ketaclinic.domain.billing.identifiers``. Every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import BillingProfile, ProviderIdentity
from ketaclinic.domain.billing.identifiers import npi_problem, tax_id_problem

__all__ = ["PROFILE_FIELDS", "save_profile", "save_provider_npi"]

PROFILE_FIELDS = (
    "legal_name",
    "npi",
    "tax_id",
    "tax_id_kind",
    "taxonomy_code",
    "street",
    "city",
    "state",
    "postal_code",
    "phone",
)


def _require_admin(by: User, location: Location | None = None) -> None:
    if not role_can(by.role, "billing.setup"):
        raise PermissionDenied("Your role does not allow this (billing.setup).")
    if location is not None and not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not manage that location.")


def _check(values: dict[str, Any]) -> None:
    problem = npi_problem(str(values.get("npi", "")))
    if problem:
        raise ServiceError(problem, field="npi")
    problem = tax_id_problem(str(values.get("tax_id", "")))
    if problem:
        raise ServiceError(problem, field="tax_id")
    state = str(values.get("state", ""))
    if len(state) != 2 or not state.isalpha() or not state.isupper():
        raise ServiceError("The state is its two capital letters, e.g. IL.", field="state")
    postal = str(values.get("postal_code", ""))
    if len(postal) != 9 or not postal.isdigit():
        raise ServiceError(
            "Give the ZIP+4 as nine digits without the dash (the 837P needs all nine).", field="postal_code"
        )
    for name in ("legal_name", "street", "city"):
        if not str(values.get(name, "")).strip():
            raise ServiceError("This is printed on every claim: fill it in.", field=name)


@transaction.atomic
def save_profile(*, by: User, location: Location, **values: Any) -> BillingProfile:
    _require_admin(by, location)
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    profile = BillingProfile.objects.select_for_update().filter(location=location).first()
    current = {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else {}
    merged = {**current, **values}
    _check(merged)
    if profile is None:
        profile = BillingProfile(location=location)
    for name, value in merged.items():
        setattr(profile, name, value)
    profile.save()
    changed = sorted(name for name in PROFILE_FIELDS if current.get(name) != merged.get(name))
    audit.record(actor=by, action="billing.profile.save", obj=profile, detail={"changed": changed})
    return profile


@transaction.atomic
def save_provider_npi(*, by: User, user: User, npi: str, taxonomy_code: str = "") -> ProviderIdentity:
    _require_admin(by)
    if user.clinic_id != by.clinic_id or user.role not in ("prescriber", "nurse"):
        raise ServiceError("Only a clinician of your clinic renders services.", field="user")
    npi = npi.strip()
    problem = npi_problem(npi)
    if problem:
        raise ServiceError(problem, field="npi")
    if len(taxonomy_code.strip()) > 10:
        raise ServiceError("A taxonomy code has 10 characters, e.g. 2084P0800X.", field="taxonomy_code")
    identity, created = ProviderIdentity.objects.select_for_update().get_or_create(
        user=user, defaults={"npi": npi, "taxonomy_code": taxonomy_code.strip()}
    )
    if not created:
        identity.npi = npi
        identity.taxonomy_code = taxonomy_code.strip()
        identity.updated_at = timezone.now()
        identity.save()
    audit.record(actor=by, action="billing.provider_npi", obj=identity, detail={"user": user.pk, "created": created})
    return identity
