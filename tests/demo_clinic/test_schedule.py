"""The demo clinic has a realistic week of appointments (issue 17), booked through the calendar's services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.demo import clinic
from ketaclinic.patients.models import Patient
from ketaclinic.portal import consent_queries
from ketaclinic.scheduling.models import Appointment, Chair, OpeningHours, RosterShift, SchedulingSettings

pytestmark = pytest.mark.django_db


def test_the_demo_week() -> None:

    assert SchedulingSettings.objects.get().patients_per_nurse == 4
    assert Chair.objects.filter(kind="chair").count() == 7 and Chair.objects.filter(kind="room").count() == 2
    assert OpeningHours.objects.count() == 11
    zone = ZoneInfo("America/Chicago")
    today = timezone.now().astimezone(zone).date()
    week = Appointment.objects.filter(
        starts_at__gte=dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
        starts_at__lt=dt.datetime.combine(today + dt.timedelta(days=8), dt.time(0), tzinfo=zone),
    )
    kinds = set(week.values_list("kind", flat=True))
    assert {"infusion_iv", "consultation", "follow_up"} <= kinds
    assert week.filter(kind="infusion_iv").count() >= 8
    # The home-programme patient's telehealth integration visit carries its video link (issue 21).
    assert week.filter(kind="telehealth").exclude(video_url="").exists()
    assert week.values("location").distinct().count() == 2
    assert week.filter(status="cancelled").exclude(cancel_reason="").count() == 2
    # Every IV sits in a chair with a pump, at the patient's location, from the patient's signed plan.
    for appointment in week.filter(kind="infusion_iv").select_related("chair", "patient", "order"):
        assert appointment.chair.has_infusion_pump and appointment.chair.location_id == appointment.location_id
        assert appointment.patient.location_id == appointment.location_id and appointment.order is not None
    # Through the services: each booking is audited, and a nurse is rostered whenever a chair is in use.
    assert AuditEvent.objects.filter(action="schedule.book").count() >= Appointment.objects.count()
    for appointment in week.filter(kind="infusion_iv"):
        assert RosterShift.objects.filter(
            location=appointment.location,
            role="nurse",
            starts_at__lte=appointment.starts_at,
            ends_at__gte=appointment.ends_at,
        ).exists()
    # Two demo patients sign in to the patient portal (CONTRACTS.md §7): an e-mail and an upcoming booked chair visit.
    portal = clinic.portal_patients()
    assert len(portal) == 2 and len({p["mrn"] for p in portal}) == 2
    first = Appointment.objects.filter(patient__mrn=portal[0]["mrn"], status="booked", starts_at__gt=timezone.now())
    assert first.exclude(chair=None).exists() and all(p["email"] and p["date_of_birth"] for p in portal)
    # Both have consents to sign in the portal: the demo publishes a treatment consent and an esketamine one.
    for row in portal:
        kinds = [d.kind for d in consent_queries.to_sign(Patient.objects.get(mrn=row["mrn"]))]
        assert "treatment" in kinds, row
