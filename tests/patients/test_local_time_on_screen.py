"""Times on clinical screens are the clinic's, not UTC (issue 15: the entered-in-error page showed UTC)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketaclinic.patients.models import BodyMeasurement


def test_a_measurement_reads_in_the_clinics_time_zone() -> None:
    # 03:30 UTC on 2 October is still the evening of 1 October in Springfield, IL (US Central, UTC-5 in October).
    row = BodyMeasurement(
        weight_kg=Decimal("82.0"), height_cm=Decimal("178"), measured_at=dt.datetime(2026, 10, 2, 3, 30, tzinfo=dt.UTC)
    )
    with timezone.override(ZoneInfo("America/Chicago")):
        assert str(row) == "82.0 kg, 178 cm on 2026-10-01 22:30"
