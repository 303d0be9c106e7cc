"""The self-pay scene the billing tests share: Main's fee schedule, Pat's signed IV plan, a signed session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

FEES = [
    {"service": "protocol:depression_iv", "label": "IV ketamine infusion", "code": "96365", "amount": "450.00"},
    {"service": "protocol:esketamine", "label": "Esketamine session", "code": "", "amount": "600.00"},
    {"service": "consultation", "label": "Consultation", "code": "", "amount": "250.00"},
    {
        "service": "package:protocol:depression_iv",
        "label": "Induction: 6 IV infusions",
        "code": "96365",
        "amount": "2400.00",
        "sessions": 6,
        "covers": "protocol:depression_iv",
    },
]


def make_fees(by: Any, location: Any, on: dt.date | None = None) -> Any:
    from ketaclinic.billing.services import fees

    return fees.create_schedule(
        by=by, location=location, effective_from=on or dt.date(2026, 1, 1), note="Opening prices", fees=FEES
    )


def make_iv_plan(pat: Any, bob: Any) -> Any:
    """Pat's signed 6-session IV plan; its first order."""
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    return make_iv_order(make_ready_patient(pat, bob), bob)


def make_signed_session(order: Any, nurse: Any, *, status: str = "signed", when: dt.datetime | None = None) -> Any:
    """A treatment session row as the chair leaves it once the note is signed (built directly: billing only reads
    its status, date, location and protocol)."""
    from ketaclinic.infusions.models import TreatmentSession

    moment = when or timezone.now()
    return TreatmentSession.objects.create(
        patient=order.plan_version.plan.patient,
        location=order.plan_version.plan.patient.location,
        order=order,
        protocol_id=order.plan_version.protocol_id,
        route=order.route,
        chair="Chair 1",
        status=status,
        checked_in_at=moment,
        checked_in_by=nurse,
        started_at=moment,
        dose_delivered_mg=D("40"),
        discharged_at=moment if status in ("discharged", "signed") else None,
        note_signed_at=moment if status == "signed" else None,
        note_signed_by=nurse if status == "signed" else None,
    )
