"""Group: the patients seen at one of the clinic's locations (FHIR R4 Group, ``type`` person, ``actual``).

A clinic's natural patient groups are its locations: a patient belongs to exactly one (``Patient.location``). The
Group of a location is ``Group/location-<pk>``, named "Patients at <location name>", managed by the clinic's
Organization; its members are the location's patients the reader may see (``patients_visible_to``, so a patient
entered in error is never a member). A token sees only the groups of locations its user works at (the same locations
as ``Location``); a Group-level Bulk Data export (``Group/<id>/$export``) holds the members' resources.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from ketaclinic.accounts.models import Location, User
from ketaclinic.fhir.resources.directory import locations_visible_to
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import patients_visible_to

#: ``Group/location-<pk>``: the prefix leaves room for groups of another kind later.
ID_PREFIX = "location"
NAME_PREFIX = "Patients at "


def members_visible_to(user: User) -> QuerySet[Patient]:
    """The patients a token may see as members, lightest rows (a member is only a reference)."""
    return patients_visible_to(user).select_related(None).only("pk", "location_id").order_by("pk")


def groups_visible_to(user: User) -> QuerySet[Any]:
    """One row per location the user works at, with its visible patients prefetched (``visible_members``)."""
    rows: QuerySet[Any] = locations_visible_to(user).prefetch_related(
        Prefetch("patients", members_visible_to(user), to_attr="visible_members")
    )
    return rows


def location_for_group(user: User, group_id: str) -> Location | None:
    """The location a Group id names, when the user works there; None otherwise (another location's group, an
    unknown or malformed id: all the same to the caller, a 404)."""
    prefix, _, pk = group_id.rpartition("-")
    if prefix != ID_PREFIX or not pk.isdigit():
        return None
    found: Location | None = locations_visible_to(user).filter(pk=int(pk)).first()
    return found


def group_name(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    """``name=``: FHIR string search (case-insensitive, the start of the name): "patients" matches every group,
    "Patients at Ma" and "Ma" (the start of the location's name) the Main location's."""
    for value in values:
        match = Q(pk__in=[])
        for part in value.split(","):
            text = part.strip().lower()
            if NAME_PREFIX.lower().startswith(text):
                match = Q()
                break
            if text.startswith(NAME_PREFIX.lower()):
                text = text[len(NAME_PREFIX) :]
            match |= Q(name__istartswith=text)
        rows = rows.filter(match)
    return rows


def group_to_fhir(location: Location) -> dict[str, Any]:
    """A row from ``groups_visible_to`` lists its prefetched visible members; one loaded another way lists the
    location's patients not entered in error (the same people: whoever sees a location's group sees its patients)."""
    members = getattr(location, "visible_members", None)
    if members is None:
        members = list(location.patients.filter(entered_in_error=False).only("pk").order_by("pk"))
    resource: dict[str, Any] = {
        "resourceType": "Group",
        "id": f"{ID_PREFIX}-{location.pk}",
        "active": bool(location.is_active),
        "type": "person",
        "actual": True,
        "name": f"{NAME_PREFIX}{location.name}",
        "managingEntity": {"reference": f"Organization/{location.clinic_id}", "display": location.clinic.name},
        "quantity": len(members),
    }
    if members:
        resource["member"] = [{"entity": {"reference": f"Patient/{patient.pk}"}} for patient in members]
    return resource
