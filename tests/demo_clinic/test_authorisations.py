"""The demo clinic has a prior authorisation for its esketamine patient and a planted mismatch the report shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketaclinic.billing.models import PriorAuthorisation
from ketaclinic.billing.services import authorisations, reconciliation

pytestmark = pytest.mark.django_db


def test_the_demo_authorisation_and_mismatch() -> None:
    from ketaclinic.accounts.models import Location

    authorisation = PriorAuthorisation.objects.get(reference="ACME-PA-2026-0417")
    main = Location.objects.get(name="Main Street")
    today = authorisations.today_at(main)
    listed = authorisations.running_out(authorisation.patient.location.patients.all(), today=today, days=30, left=None)
    assert authorisation in [row.authorisation for row in listed]
    rows = reconciliation.report(main, today - dt.timedelta(days=7), timezone.localdate())
    said = [m.message for row in rows for m in row.mismatches]
    assert "G2082 is for up to 56 mg but 84 mg was given: bill G2083." in said
