"""A freed chair and two patients waiting for it, built through the real services (STYLE.md), shared by the
waiting-list service, view, concurrency and browser tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tests.scheduling.conftest import local


def waiter(location: Any, bob: Any, given: str, family: str, **extra: Any) -> tuple[Any, Any]:
    """A second patient, ready for IV treatment with a signed plan: (patient, plan version)."""
    from tests.conftest import make_patient
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    data = {"given_name": given, "family_name": family, "email": f"{given.lower()}@example.org", **extra}
    patient = make_ready_patient(make_patient(location, **data), bob)
    return patient, make_iv_order(patient, bob).plan_version


def join(carol: Any, location: Any, patient: Any, version: Any, day: dt.date, **wishes: Any) -> Any:
    from ketaclinic.scheduling.services import waiting

    return waiting.add(
        by=carol,
        location=location,
        patient=patient,
        kind="infusion_iv",
        plan_version=version,
        earliest=wishes.pop("earliest", day - dt.timedelta(days=2)),
        latest=wishes.pop("latest", day + dt.timedelta(days=7)),
        **wishes,
    )


@dataclass
class Scene:
    cancelled: Any  # pat's IV session at 14:00 in Chair 1, cancelled
    chair: Any
    first: Any  # waiting entries, in order of joining
    second: Any


def freed_chair_scene(
    carol: Any, bob: Any, location: Any, pat: Any, iv_order: Any, chairs: dict[str, Any], day: dt.date
) -> Scene:
    from ketaclinic.scheduling import services

    booked = services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=location,
        start=local(day, 14),
        chair=chairs["chair1"],
        order=iv_order,
    )
    cancelled = services.cancel(by=carol, appointment=booked, reason="Patient has a cold")
    sam, sam_plan = waiter(location, bob, "Sam", "Okafor", phone="(217) 555-0144")
    kim, kim_plan = waiter(location, bob, "Kim", "Novak", phone="(217) 555-0155")
    first = join(carol, location, sam, sam_plan, day, note="Can come at short notice")
    second = join(carol, location, kim, kim_plan, day)
    return Scene(cancelled, chairs["chair1"], first, second)


def take_chair(carol: Any, bob: Any, location: Any, chair: Any, start: dt.datetime) -> Any:
    """Someone not on the list is booked into the chair (the front desk gave the time away)."""
    from ketaclinic.scheduling import services
    from tests.infusions.conftest import first_order

    patient, version = waiter(location, bob, "Eve", "Park")
    return services.book(
        by=carol,
        patient=patient,
        kind="infusion_iv",
        location=location,
        start=start,
        chair=chair,
        order=first_order(version),
    )
