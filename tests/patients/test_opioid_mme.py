"""Opioid daily doses on the medication list and the chart's MME card (CDC 2022 table, domain.pain)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.patients import opioids, services
from ketaclinic.patients.models import Medication
from tests.conftest import sign_in

TODAY = dt.date(2026, 12, 7)


def test_chart_shows_mme_with_cautions_prompts_and_source(bob: Any, pat: Any, client: Any) -> None:
    services.add_medication(
        by=bob, patient=pat, generic_name="Oxycodone ER", dose="20 mg", frequency="bd", daily_dose=Decimal("40")
    )
    services.add_medication(
        by=bob,
        patient=pat,
        generic_name="fentanyl transdermal",
        dose="25 mcg/h",
        frequency="every 72 h",
        daily_dose=Decimal("25"),
        daily_dose_unit="mcg/h",
    )
    sign_in(client, bob)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert 'data-testid="mme-total">120.0<' in page  # 40 x 1.5 + 25 x 2.4
    assert "Recommendation 5" in page  # >= 90
    assert "offer naloxone" in page
    assert "dosed in mcg/hr instead of mg/day" in page
    assert "Dowell et al., MMWR Recomm Rep 2022" in page


def test_front_desk_sees_no_mme_card(carol: Any, bob: Any, pat: Any, client: Any) -> None:
    services.add_medication(by=bob, patient=pat, generic_name="morphine", dose="10 mg", frequency="q4h", daily_dose=60)
    sign_in(client, carol)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "mme-card" not in page and "MME/day" not in page


def test_summary_counts_current_opioids_and_lists_those_without_daily_dose(bob: Any, pat: Any) -> None:
    assert opioids.summary_for(pat, today=TODAY) is None
    services.add_medication(by=bob, patient=pat, generic_name="sertraline", dose="50 mg", frequency="daily")
    assert opioids.summary_for(pat, today=TODAY) is None
    services.add_medication(by=bob, patient=pat, generic_name="tramadol", dose="50 mg", frequency="prn")
    services.add_medication(
        by=bob, patient=pat, generic_name="hydrocodone", dose="5 mg", frequency="qid", daily_dose=Decimal("20")
    )
    services.add_medication(
        by=bob,
        patient=pat,
        generic_name="methadone",
        dose="10 mg",
        frequency="daily",
        daily_dose=Decimal("10"),
        stopped_on=dt.date(2026, 1, 1),
    )
    services.add_medication(by=bob, patient=pat, generic_name="naloxone", dose="4 mg", frequency="prn")
    summary = opioids.summary_for(pat, today=TODAY)
    assert summary is not None
    assert summary.total_display == Decimal("20.0")  # the stopped methadone does not count
    assert [line.key for line in summary.uncounted] == ["tramadol"]
    assert summary.footnoted == ["Tramadol"]
    assert summary.naloxone is None and summary.prompts == () and summary.result.flags == ()


def test_an_opioid_not_in_the_table_with_a_daily_dose_is_refused(bob: Any, pat: Any) -> None:
    with pytest.raises(ValidationError, match="not an opioid in the CDC 2022 MME table"):
        services.add_medication(
            by=bob, patient=pat, generic_name="buprenorphine", dose="8 mg", frequency="daily", daily_dose=8
        )
    assert not Medication.objects.filter(patient=pat).exists()


def test_a_fentanyl_patch_in_mg_is_refused_on_the_form(bob: Any, pat: Any, client: Any) -> None:
    sign_in(client, bob)
    url = reverse("patients:medication_create", args=[pat.pk])
    response = client.post(
        url,
        {
            "generic_name": "fentanyl patch",
            "dose": "0.6 mg",
            "frequency": "every 72 h",
            "daily_dose": "0.6",
            "daily_dose_unit": "mg/day",
        },
    )
    assert response.status_code == 200
    assert "A fentanyl patch is entered as its strength in mcg/h" in response.content.decode()
    assert not Medication.objects.filter(patient=pat).exists()


def test_the_form_asks_for_the_daily_dose_of_an_opioid(bob: Any, pat: Any, client: Any) -> None:
    sign_in(client, bob)
    url = reverse("patients:medication_create", args=[pat.pk])
    response = client.post(url, {"generic_name": "oxycodone", "dose": "10 mg", "frequency": "bd"})
    assert "oxycodone is an opioid: enter its total daily dose in mg/day" in response.content.decode()
    assert not Medication.objects.filter(patient=pat).exists()
    response = client.post(
        url, {"generic_name": "oxycodone", "dose": "10 mg", "frequency": "bd", "daily_dose": "20"}, follow=True
    )
    assert Medication.objects.get(patient=pat).daily_dose == 20
    assert 'data-testid="mme-total">30.0<' in response.content.decode()


def test_a_unit_without_a_dose_is_refused(bob: Any, pat: Any) -> None:
    with pytest.raises(ValidationError, match="total daily dose"):
        services.add_medication(
            by=bob, patient=pat, generic_name="morphine", dose="1", frequency="1", daily_dose_unit="mg/day"
        )
