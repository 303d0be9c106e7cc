"""The clinic's directory: Practitioner, PractitionerRole, Organization, Location (no patient data; audited without a
patient)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.fhir.registry.base import Filter, Include, ResourceType, Source, references_at
from ketaclinic.fhir.resources import directory
from ketaclinic.fhir.search import reference_id


def _directory_source(
    rows: Callable[[User], QuerySet[Any]], to_fhir: Callable[[Any], dict[str, Any]], **filters: Filter
) -> Source:
    return Source(rows=rows, to_fhir=to_fhir, patient_id=lambda row: None, filters=filters, order=("name", "pk"))


def _practitioner(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        rows = rows.filter(pk__in=[reference_id(part, "Practitioner", "practitioner") for part in value.split(",")])
    return rows


DIRECTORY_TYPES = (
    ResourceType(
        name="Practitioner",
        capability="patient.view",
        params={
            "name": ("string", "Start of the given or family name (or user name), any case"),
            "identifier": ("token", f"NPI ({directory.NPI_SYSTEM}|<npi>)"),
        },
        sources=(
            Source(
                rows=directory.practitioners_visible_to,
                to_fhir=directory.practitioner_to_fhir,
                patient_id=lambda row: None,
                filters={"name": directory.practitioner_name, "identifier": directory.practitioner_identifier},
                order=("last_name", "first_name", "pk"),
            ),
        ),
        # No US Core profile claimed: US Core Practitioner wants an identifier and a family name, and a nurse without
        # an NPI on file (or a user without a surname) has neither.
    ),
    ResourceType(
        name="Organization",
        capability="patient.view",
        params={"name": ("string", "Start of the clinic's name, any case")},
        sources=(
            _directory_source(
                directory.organizations_visible_to, directory.organization_to_fhir, name=directory.organization_name
            ),
        ),
    ),
    ResourceType(
        name="Location",
        capability="patient.view",
        params={"name": ("string", "Start of the location's name, any case")},
        sources=(
            _directory_source(directory.locations_visible_to, directory.location_to_fhir, name=directory.location_name),
        ),
    ),
    ResourceType(
        name="PractitionerRole",
        capability="patient.view",
        params={
            "practitioner": ("reference", "The clinician (Practitioner/<id>)"),
            "location": ("reference", "A location they work at (Location/<id>)"),
        },
        sources=(
            Source(
                rows=directory.practitioner_roles_visible_to,
                to_fhir=directory.practitioner_role_to_fhir,
                patient_id=lambda row: None,
                filters={
                    "practitioner": _practitioner,
                    "location": directory.practitioner_role_location,
                },
                order=("last_name", "first_name", "pk"),
            ),
        ),
        # No US Core profile claimed: US Core PractitionerRole wants a telecom or an endpoint (pd-1), and a clinician
        # at a location without a phone number has neither.
        includes={
            "PractitionerRole:practitioner": Include("Practitioner", references_at("practitioner")),
            "PractitionerRole:location": Include("Location", references_at("location")),
            "PractitionerRole:organization": Include("Organization", references_at("organization")),
        },
    ),
)
