"""MME/day prompt thresholds as clinic settings: defaults 50 and 90 (CDC 2022 guideline, Recommendations 4 and 5, as
implemented in CDC's opioid clinical-decision-support guide; Dowell et al., MMWR Recomm Rep 2022;71(RR-3))."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.models import ClinicalSettings, clinical_settings_for
from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes.services.settings import save_clinical_settings
from ketaclinic.patients import opioids, services

TODAY = dt.date(2026, 12, 7)


def test_defaults_are_cdc_50_and_90(clinic: Any) -> None:
    current = clinical_settings_for(clinic.pk)
    assert (current.mme_reassess_at, current.mme_high_at) == (50, 90)


def test_thresholds_are_saved_and_audited(dave: Any) -> None:
    row = save_clinical_settings(by=dave, clinic=dave.clinic, values={"mme_reassess_at": "40", "mme_high_at": 80})
    assert (row.mme_reassess_at, row.mme_high_at) == (40, 80)
    event = AuditEvent.objects.filter(action="clinic.clinical_settings.change").latest("pk")
    assert event.detail["mme_high_at"] == {"before": 90, "after": 80}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"mme_reassess_at": 0}, "mme_reassess_at", "from 1 to 1000"),
        ({"mme_reassess_at": "-5"}, "mme_reassess_at", "from 1 to 1000"),
        ({"mme_high_at": "ninety"}, "mme_high_at", "from 1 to 1000"),
        ({"mme_high_at": True}, "mme_high_at", "from 1 to 1000"),
        ({"mme_high_at": None}, "mme_high_at", "from 1 to 1000"),
        ({"mme_high_at": 5000}, "mme_high_at", "from 1 to 1000"),
        ({"mme_reassess_at": 90, "mme_high_at": 90}, "mme_high_at", "must be above the reassessment prompt"),
        ({"mme_reassess_at": 100}, "mme_high_at", "must be above the reassessment prompt"),  # against stored 90
        ({"mme_high_at": 30}, "mme_high_at", "must be above the reassessment prompt"),  # against stored 50
    ],
)
def test_bad_thresholds_are_refused_and_nothing_is_saved(dave: Any, values: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        save_clinical_settings(by=dave, clinic=dave.clinic, values=values)
    assert message in " ".join(caught.value.message_dict[field])
    assert not ClinicalSettings.objects.filter(clinic=dave.clinic).exists()
    assert not AuditEvent.objects.filter(action="clinic.clinical_settings.change").exists()


def test_settings_page_shows_source_and_unconfirmed_and_refuses_bad_order(client_as: Any, dave: Any) -> None:
    client = client_as(dave)
    page = client.get(reverse("web:clinical_settings")).content.decode()
    assert "Recommendations 4 and 5" in page and "unconfirmed" in page and 'value="50"' in page
    answer = client.post(
        reverse("web:clinical_settings"),
        {"label_jurisdiction": "us", "madrs_remission_at_most": "9", "mme_reassess_at": "90", "mme_high_at": "60"},
    )
    assert answer.status_code == 200
    assert "must be above the reassessment prompt" in answer.content.decode()
    assert not ClinicalSettings.objects.filter(clinic=dave.clinic).exists()


def test_chart_uses_the_clinic_threshold(bob: Any, dave: Any, pat: Any, client_as: Any) -> None:
    services.add_medication(
        by=bob, patient=pat, generic_name="Oxycodone ER", dose="10 mg", frequency="bd", daily_dose=Decimal("20")
    )  # 30 MME/day: below the default 50, no prompt
    summary = opioids.summary_for(pat, today=TODAY)
    assert summary is not None and summary.prompts == ()
    save_clinical_settings(by=dave, clinic=pat.location.clinic, values={"mme_reassess_at": 20, "mme_high_at": 30})
    summary = opioids.summary_for(pat, today=TODAY)
    assert summary is not None and [prompt.code for prompt in summary.prompts] == ["mme_high"]
    page = client_as(bob).get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "30.0 MME/day is at or above 30" in page
    assert "<td>Oxycodone ER</td>" in page


def test_naloxone_prompt_warns_from_the_clinic_reassessment_threshold(bob: Any, dave: Any, pat: Any) -> None:
    services.add_medication(
        by=bob, patient=pat, generic_name="Oxycodone ER", dose="10 mg", frequency="bd", daily_dose=Decimal("20")
    )  # 30 MME/day
    summary = opioids.summary_for(pat, today=TODAY)
    assert summary is not None and summary.naloxone is not None and summary.naloxone.level == "info"
    save_clinical_settings(by=dave, clinic=pat.location.clinic, values={"mme_reassess_at": 30, "mme_high_at": 60})
    summary = opioids.summary_for(pat, today=TODAY)
    assert summary is not None and summary.naloxone is not None and summary.naloxone.level == "warning"
    assert "threshold of 30" in summary.naloxone.text
