"""Group: the patients seen at each of the clinic's locations (``resources.group``), and what a Group-level Bulk Data
export keeps of a source's rows (``members_only``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.fhir.registry.base import ResourceType, Source
from ketaclinic.fhir.resources import group
from ketaclinic.patients.models import Patient

GROUP_TYPES = (
    ResourceType(
        name="Group",
        # The members are patients: the same capability as reading Patient.
        capability="patient.view",
        params={"name": ("string", "Start of the group's name (\"Patients at <location>\") or of the location's name")},
        sources=(
            Source(
                rows=group.groups_visible_to,
                to_fhir=group.group_to_fhir,
                # Audited without a patient: a Group names many (by reference only), like a search's summary event.
                patient_id=lambda row: None,
                filters={"name": group.group_name},
                id_prefix=group.ID_PREFIX,
                order=("name", "pk"),
            ),
        ),
    ),
)


def members_only(source: Source, rows: QuerySet[Any], user: User, location_id: int) -> QuerySet[Any]:
    """A Group-level export: only the rows of the group's members (the location's patients the user sees). Patient
    rows by key; every other source through the column its ``patient`` search filter reads (``by_patient``). A source
    without one cannot be narrowed to the members and contributes nothing (never more than the group; no exported
    type in the Patient compartment lacks one: tests/fhir/test_fhir_group.py checks)."""
    members = group.members_visible_to(user).filter(location_id=location_id).values("pk")
    if rows.model is Patient:
        return rows.filter(pk__in=members)
    path = patient_path(source)
    if path is None:
        return rows.none()
    return rows.filter(**{f"{path}__in": members})


def patient_path(source: Source) -> str | None:
    """The patient column a source's ``patient`` filter reads (set by ``base.by_patient``), or None."""
    path: str | None = getattr(source.filters.get("patient"), "patient_path", None)
    return path
