"""Schedule (one per location the token owner works at: the calendar of its chairs, rooms and staff) and Slot (the free
times the scheduling app's slot finder offers, ``scheduling.services.slots.free_slots``: every start that booking would
accept, checked against opening hours, closures, rosters, chairs and the clinic's rules).

Slots are worked out per request, not stored: a search names the schedule, the kind of visit and the days
(``Slot?schedule=Location/3&service-type=consultation&start=ge2026-12-08&start=lt2026-12-10``); the finder's own
limits apply (at most 21 days, 500 slots). A treatment session's slot depends on its order (its length and chair), so
those kinds are booked in the app, not searched here. A Slot's id names location, kind, chair and start
(``3-follow-up-0-1796716800``); reading it again says whether it is still free (404 once taken).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.domain import scheduling as rules
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.registry.base import Computed, Filter, Include, ResourceType, Source, references_at
from ketaclinic.fhir.resources import directory
from ketaclinic.fhir.resources.common import coding, concept, instant
from ketaclinic.fhir.search import parse_date, reference_id
from ketaclinic.scheduling.models import KIND_LABELS
from ketaclinic.scheduling.services.slots import Slot, free_slots

KIND_SYSTEM = "urn:ketaclinic:appointment-kind"
#: The kinds a Slot search takes: every kind but the treatment sessions (their slots depend on the order).
SEARCHABLE_KINDS = tuple(kind for kind in rules.KINDS if kind not in rules.CHAIR_KINDS)


def _kind_concept(kind: str) -> dict[str, Any]:
    return concept(coding(KIND_SYSTEM, kind.replace("_", "-"), KIND_LABELS.get(kind, kind)))


def schedule_to_fhir(location: Any) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": str(location.pk),
        "active": bool(location.is_active),
        "serviceType": [_kind_concept(kind) for kind in SEARCHABLE_KINDS],
        "actor": [{"reference": f"Location/{location.pk}", "display": location.name}],
        "comment": f"The calendar of {location.name}; free slots: Slot?schedule=Schedule/{location.pk}",
    }


def _slot_to_fhir(location_id: int, kind: str, slot: Slot) -> dict[str, Any]:
    epoch = int(slot.start.timestamp())
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": f"{location_id}-{kind.replace('_', '-')}-{slot.chair_id or 0}-{epoch}",
        "serviceType": [_kind_concept(kind)],
        "schedule": {"reference": f"Schedule/{location_id}"},
        "status": "free",
        "start": instant(slot.start),
        "end": instant(slot.end),
    }
    if slot.chair_label:
        resource["comment"] = f"In {slot.chair_label}"
    return resource


def _location(user: User, location_id: int) -> Any:
    return directory.locations_visible_to(user).filter(pk=location_id).first()


def _one(query: QueryDict, name: str) -> str:
    values = query.getlist(name)
    if len(values) != 1 or "," in values[0]:
        raise FhirError(400, "required", f"Slot search needs exactly one {name}= (see the CapabilityStatement).")
    return values[0]


def _kind(value: str) -> str:
    kind = value.rpartition("|")[2].replace("-", "_")
    if kind not in SEARCHABLE_KINDS:
        raise FhirError(
            400,
            "not-supported",
            f"service-type={value}: slots are searched for {', '.join(k.replace('_', '-') for k in SEARCHABLE_KINDS)}"
            " (a treatment session is booked against its order in the app).",
        )
    return kind


def _window(values: list[str]) -> tuple[dt.datetime, dt.datetime]:
    if not values:
        raise FhirError(400, "required", "Slot search needs start= (e.g. start=ge2026-12-08&start=lt2026-12-10).")
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    for value in values:
        found = parse_date(value, "start")
        if found.prefix in ("eq", "ge"):
            low = max(low or found.start, found.start)
        if found.prefix == "gt":
            low = max(low or found.end, found.end)
        if found.prefix in ("eq", "le"):
            high = min(high or found.end, found.end)
        if found.prefix == "lt":
            high = min(high or found.start, found.start)
    if low is None or high is None or high <= low:
        raise FhirError(400, "invalid", "start= needs a first and a last day (e.g. ge2026-12-08 and lt2026-12-10).")
    return low, high


def _slots(user: User, location: Any, kind: str, low: dt.datetime, high: dt.datetime) -> list[dict[str, Any]]:
    zone = ZoneInfo(str(location.clinic.timezone))
    last = high - dt.timedelta(microseconds=1)
    try:
        found = free_slots(
            location=location,
            kind=kind,
            date_from=timezone.localtime(low, zone).date(),
            date_to=timezone.localtime(last, zone).date(),
        )
    except ServiceError as error:
        raise FhirError(400, "invalid", f"{error}") from None
    return [_slot_to_fhir(location.pk, kind, slot) for slot in found if low <= slot.start < high]


def search_slots(user: User, query: QueryDict) -> list[dict[str, Any]]:
    location_id = reference_id(_one(query, "schedule"), "Schedule", "schedule")
    kind = _kind(_one(query, "service-type"))
    low, high = _window(query.getlist("start"))
    location = _location(user, location_id)
    if location is None:
        return []
    return _slots(user, location, kind, low, high)


def read_slot(user: User, resource_id: str) -> dict[str, Any] | None:
    parts = resource_id.split("-")
    if len(parts) < 4 or not (parts[0].isdigit() and parts[-2].isdigit() and parts[-1].isdigit()):
        return None
    kind = "_".join(parts[1:-2])
    location = _location(user, int(parts[0]))
    if kind not in SEARCHABLE_KINDS or location is None:
        return None
    start = dt.datetime.fromtimestamp(int(parts[-1]), tz=dt.UTC)
    found = _slots(user, location, kind, start, start + dt.timedelta(seconds=1))
    return next((slot for slot in found if slot["id"] == resource_id), None)


def _actor(rows: Any, values: list[str]) -> Any:
    for value in values:
        rows = rows.filter(pk__in=[reference_id(part, "Location", "actor") for part in value.split(",")])
    return rows


_ACTOR: Filter = _actor

CALENDAR_TYPES = (
    ResourceType(
        name="Schedule",
        capability="schedule.view",
        params={"actor": ("reference", "The location (Location/<id>)")},
        sources=(
            Source(
                rows=directory.locations_visible_to,
                to_fhir=schedule_to_fhir,
                patient_id=lambda row: None,
                filters={"actor": _ACTOR},
                order=("name", "pk"),
            ),
        ),
        includes={"Schedule:actor": Include("Location", references_at("actor"))},
    ),
    ResourceType(
        name="Slot",
        capability="schedule.view",
        params={
            "schedule": ("reference", "Required: the location's schedule (Schedule/<id>)"),
            "service-type": ("token", f"Required: the kind of visit ({', '.join(SEARCHABLE_KINDS)}, with - for _)"),
            "start": ("date", "Required: the first and last day (ge…, lt… or le…; at most 21 days)"),
        },
        computed=Computed(search=search_slots, read=read_slot),
        includes={"Slot:schedule": Include("Schedule", references_at("schedule"))},
    ),
)
