"""The clinic's directory: Practitioner (staff with a clinical role), Organization (the clinic) and Location.

Identifier systems are the ones HL7 names: the NPI ``http://hl7.org/fhir/sid/us-npi`` (FHIR R4 identifier-registry;
US Core Practitioner and Organization) and the IRS employer identification number (TIN)
``urn:oid:2.16.840.1.113883.4.4`` (US Core Organization). A billing profile whose tax id is a social security
number is never shown: an SSN is a person's identifier, not the organization's.

Access: a token sees its own clinic, its own locations, and the clinicians who share one of them with it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value

from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.accounts.roles import CLINICAL_ROLES, ROLE_LABELS, Role
from ketaclinic.billing.models import BillingProfile
from ketaclinic.fhir.search import reference_id, token

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
TIN_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


# --- rows each token may see ---------------------------------------------------------------------------------------


def _own_location_ids(user: User) -> QuerySet[Any]:
    """The token owner's locations, within its own clinic (none for a user without a clinic)."""
    if user.clinic_id is None:
        return Location.objects.none().values("pk")
    return Location.objects.filter(clinic_id=user.clinic_id, users=user).values("pk")


def practitioners_visible_to(user: User) -> QuerySet[Any]:
    if user.clinic_id is None:
        return User.objects.none()
    shared = User.locations.through.objects.filter(location_id__in=_own_location_ids(user)).values("user_id")
    return User.objects.filter(clinic_id=user.clinic_id, role__in=sorted(CLINICAL_ROLES), pk__in=shared).select_related(
        "provider_identity"
    )


def organizations_visible_to(user: User) -> QuerySet[Any]:
    return Clinic.objects.filter(pk=user.clinic_id) if user.clinic_id is not None else Clinic.objects.none()


def locations_visible_to(user: User) -> QuerySet[Any]:
    return Location.objects.filter(pk__in=_own_location_ids(user)).select_related("clinic")


# --- search filters --------------------------------------------------------------------------------------------------


def _starts(fields: tuple[str, ...]) -> Any:
    """FHIR string search: case-insensitive, the start of the value or of any of its parts (R4 search.html)."""

    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:
            match = Q()
            for part in value.split(","):
                text = part.strip()
                for name in fields:
                    match |= Q(**{f"{name}__istartswith": text})
            rows = rows.filter(match)
        return rows

    return apply


practitioner_name = _starts(("first_name", "last_name", "username"))
organization_name = _starts(("name",))
location_name = _starts(("name",))


def practitioner_identifier(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        npis = [code for system, code in map(token, value.split(",")) if system in (None, NPI_SYSTEM)]
        rows = rows.filter(provider_identity__npi__in=npis)
    return rows


# --- mappings --------------------------------------------------------------------------------------------------------


def practitioner_to_fhir(user: User) -> dict[str, Any]:
    name: dict[str, Any] = {"use": "official", "text": user.display_name}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    if user.title:
        name["suffix"] = [user.title]
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": bool(user.is_active and user.deactivated_at is None),
        "name": [name],
    }
    identity = getattr(user, "provider_identity", None)
    if identity is not None and identity.npi:
        resource["identifier"] = [{"system": NPI_SYSTEM, "value": identity.npi}]
    return resource


def organization_to_fhir(clinic: Clinic) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    profiles = BillingProfile.objects.filter(location__clinic=clinic).order_by("location__name", "pk")
    for profile in profiles:
        found = [(NPI_SYSTEM, profile.npi)]
        if profile.tax_id_kind == BillingProfile.TaxIdKind.EIN:
            found.append((TIN_SYSTEM, profile.tax_id))
        for system, value in found:
            if value and (system, value) not in seen:
                seen.add((system, value))
                identifiers.append({"system": system, "value": value})
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov", "display": "Healthcare Provider"}]}],
        "name": clinic.name,
    }
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def location_to_fhir(location: Location) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(location.pk),
        "status": "active" if location.is_active else "inactive",
        "name": location.name,
        "mode": "instance",
        "managingOrganization": {"reference": f"Organization/{location.clinic_id}", "display": location.clinic.name},
    }
    if location.phone:
        resource["telecom"] = [{"system": "phone", "value": location.phone}]
    if location.address.strip():
        resource["address"] = {"use": "work", "text": location.address.strip()}
    return resource


# --- PractitionerRole ------------------------------------------------------------------------------------------------

#: Our role codes (accounts.roles): no published code system holds "prescriber", which may be a physician or a nurse
#: practitioner, so the role is sent in our own system with its label as text.
ROLE_SYSTEM = "urn:ketaclinic:role"


def practitioner_roles_visible_to(user: User) -> QuerySet[Any]:
    """One PractitionerRole per clinician the token sees (the same people as Practitioner): their role at the
    clinic, at the locations they share with the token owner."""
    shared = Location.objects.filter(pk__in=_own_location_ids(user)).order_by("pk")
    rows: QuerySet[Any] = (
        practitioners_visible_to(user)
        .annotate(reader_id=Value(user.pk))
        .prefetch_related(Prefetch("locations", shared, to_attr="shared_locations"))
    )
    return rows


def practitioner_role_location(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    """``location=``: clinicians working at one of these locations *that the reader works at too* (a location out of
    the reader's sight matches nobody: it would tell who works where the reader cannot see)."""
    for value in values:
        ids = [reference_id(part, "Location", "location") for part in value.split(",")]
        shared = Location.objects.filter(pk__in=ids, users=OuterRef("pk")).filter(users=OuterRef("reader_id"))
        rows = rows.filter(Exists(shared))
    return rows


def practitioner_role_to_fhir(user: User) -> dict[str, Any]:
    """The locations listed are those the reader shares with the clinician (``shared_locations``, prefetched by
    ``practitioner_roles_visible_to``); a row loaded another way lists the clinician's own locations."""
    shared = getattr(user, "shared_locations", None)
    locations = list(shared) if shared is not None else list(user.locations.order_by("pk"))
    label = ROLE_LABELS[Role(user.role)] if user.role in set(Role) else user.role
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(user.pk),
        "active": bool(user.is_active and user.deactivated_at is None),
        "practitioner": {"reference": f"Practitioner/{user.pk}", "display": user.display_name},
        "organization": {"reference": f"Organization/{user.clinic_id}"},
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": user.role, "display": label}], "text": label}],
    }
    if locations:
        resource["location"] = [{"reference": f"Location/{loc.pk}", "display": loc.name} for loc in locations]
        phones = sorted({loc.phone for loc in locations if loc.phone})
        if phones:
            resource["telecom"] = [{"system": "phone", "value": phone, "use": "work"} for phone in phones]
    return resource
