"""The demo clinic has a pain patient with an opioid list (→ an MME figure) and a pain plan with two referrals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.pain.models import PainPlan
from ketaclinic.patients import opioids
from ketaclinic.patients.models import clinic_date
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_the_demo_pain_patient(client: Any) -> None:

    plan = PainPlan.objects.select_related("patient").get()
    patient = plan.patient
    assert patient.conditions.filter(icd10_code="G90.529").exists()
    summary = opioids.summary_for(patient, today=clinic_date(patient))
    assert summary is not None
    # Oxycodone 40 mg/day x 1.5 + hydrocodone 10 mg/day x 1.0 (CDC 2022 table).
    assert summary.result.total >= Decimal("70")
    assert [p.code for p in summary.prompts] == ["mme_reassess"]
    assert plan.referrals.count() == 2 and plan.referrals.filter(letters__isnull=False).count() == 1
    sign_in(client, plan.recorded_by)
    page = client.get(reverse("pain:plan", args=[patient.pk])).content.decode()
    assert "Physical therapy" in page and "Psychology / CBT" in page and "MME/day" in page
    chart = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="mme-total">70.0<' in chart
