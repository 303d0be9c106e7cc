"""Every resource the server would emit for the demo clinic validates against the R4B models (issue 20 "Done when":
every emitted resource validates), and a search over HTTP pages through the demo's observations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import timezone

from ketaclinic.fhir import registry
from tests.conftest import make_user
from tests.fhir.conftest import token_for, validate

pytestmark = pytest.mark.django_db


def test_every_demo_row_maps_to_a_valid_resource(fhir_get: Any) -> None:
    from ketaclinic.accounts.models import Clinic, Location

    home = Clinic.objects.order_by("pk").first()
    reader = make_user("fhirreader", "prescriber", home, list(Location.objects.filter(clinic=home)))
    emitted: dict[str, int] = {}
    observation_kinds: set[str] = set()
    for rt in registry.RESOURCE_TYPES.values():
        for resource in rt.catalogue.resources() if rt.catalogue else []:
            validate(resource)
            emitted[rt.name] = emitted.get(rt.name, 0) + 1
        if rt.computed is not None:  # Slot: the demo location's free consultation times over the next days
            today = timezone.now().date()
            location = Location.objects.filter(clinic=home).order_by("pk").first()
            query = QueryDict(
                f"schedule={location.pk}&service-type=consultation"
                f"&start=ge{today + dt.timedelta(days=1)}&start=lt{today + dt.timedelta(days=8)}"
            )
            for resource in rt.computed.search(reader, query)[:50]:
                validate(resource)
                emitted[rt.name] = emitted.get(rt.name, 0) + 1
        for source in rt.sources:
            for row in source.rows(reader).order_by(*source.order)[:400]:
                resource = source.to_fhir(row)
                validate(resource)
                assert registry.source_for_id(rt, resource["id"]) == (source, row.pk)
                emitted[rt.name] = emitted.get(rt.name, 0) + 1
                if rt.name == "Observation":
                    observation_kinds.add(resource["id"].rpartition("-")[0])
    for name in registry.RESOURCE_TYPES:  # the demo has rows of every type served
        assert emitted.get(name, 0) > 0, (name, emitted)

    # Scale totals, body measurements and the intake's vitals reach FHIR (the demo records no session vital signs:
    # those are tested in test_fhir_server.py).
    assert {"score", "weight", "height", "intake-bp", "intake-heart-rate", "intake-spo2"} <= observation_kinds
    # A rescue antiemetic given for a seeded nausea side effect: MedicationAdministration rescue-<id>.
    rescue = registry.RESOURCE_TYPES["MedicationAdministration"].sources[1]
    assert rescue.id_prefix == "rescue" and rescue.rows(reader).exists()

    token = token_for(reader)
    body = fhir_get("Observation?category=vital-signs&_count=50", token=token).json()
    validate(body)
    assert body["total"] > 0
