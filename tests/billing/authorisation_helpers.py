"""Shared set-up for the prior authorisation and reconciliation tests: a payer, a coverage, an authorisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def clinic_today(patient: Any) -> dt.date:
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(patient.location.clinic.timezone)).date()


def make_payer(clinic: Any, name: str = "Acme Health", kind: str = "commercial") -> Any:
    """A payer as the payer pages would save it (the payer services belong to the claims work)."""
    from ketaclinic.billing.models import Payer

    return Payer.objects.create(clinic=clinic, name=name, payer_id="ACME1", kind=kind, filing_indicator="CI")


def cover(patient: Any, payer: Any, *, since: dt.date | None = None) -> Any:
    from ketaclinic.billing.models import Coverage

    return Coverage.objects.create(
        patient=patient, payer=payer, member_id="M123", effective_from=since or dt.date(2020, 1, 1)
    )


def authorise(by: Any, patient: Any, payer: Any, **changes: Any) -> Any:
    from ketaclinic.billing.services import authorisations

    today = clinic_today(patient)
    values: dict[str, Any] = {
        "reference": "PA123",
        "service": "esketamine",
        "valid_from": today,
        "valid_to": today + dt.timedelta(days=60),
        "approved_sessions": 8,
    }
    values.update(changes)
    return authorisations.record(by=by, patient=patient, payer=payer, **values)
