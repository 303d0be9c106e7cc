"""Allergies on the chart and in the banner: NKDA versus not recorded, and an allergy superseding NKDA (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import services
from ketaclinic.patients.models import NoKnownDrugAllergies
from ketaclinic.patients.queries import allergy_status
from tests.conftest import sign_in


def test_nothing_recorded_is_not_the_same_as_no_known_drug_allergies(alice: Any, pat: Any) -> None:
    assert allergy_status(pat).state == "not_recorded"
    row = services.record_nkda(by=alice, patient=pat)
    status = allergy_status(pat)
    assert status.state == "nkda"
    assert status.nkda == row and row.recorded_by == alice
    assert AuditEvent.objects.filter(action="nkda.record", patient_id=pat.pk, actor=alice).exists()


def test_an_allergy_recorded_after_nkda_supersedes_it_and_keeps_it(alice: Any, pat: Any) -> None:
    nkda = services.record_nkda(by=alice, patient=pat)
    allergy = services.add_allergy(
        by=alice, patient=pat, substance=" Ondansetron ", reaction="hives", severity="severe"
    )
    nkda.refresh_from_db()
    assert nkda.superseded_at is not None and nkda.superseded_by_allergy == allergy
    status = allergy_status(pat)
    assert status.state == "allergies"
    assert [a.substance for a in status.allergies] == ["Ondansetron"]
    assert status.recorded[0].severity == "severe"
    assert NoKnownDrugAllergies.objects.filter(pk=nkda.pk).exists()  # nothing clinical is deleted
    assert AuditEvent.objects.filter(action="nkda.superseded", patient_id=pat.pk).exists()


def test_nkda_is_refused_while_an_allergy_is_on_the_chart(alice: Any, pat: Any) -> None:
    services.add_allergy(by=alice, patient=pat, substance="penicillin")
    with pytest.raises(ValidationError, match="entered in error first"):
        services.record_nkda(by=alice, patient=pat)
    assert not NoKnownDrugAllergies.objects.exists()


def test_after_the_only_allergy_is_withdrawn_the_chart_says_not_recorded(alice: Any, pat: Any) -> None:
    allergy = services.add_allergy(by=alice, patient=pat, substance="penicillin")
    services.mark_entered_in_error(by=alice, row=allergy, reason="wrong patient")
    assert allergy_status(pat).state == "not_recorded"
    services.record_nkda(by=alice, patient=pat)
    assert allergy_status(pat).state == "nkda"


def test_front_desk_cannot_record_nkda(carol: Any, pat: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.record_nkda(by=carol, patient=pat)


def test_an_allergy_needs_a_substance(alice: Any, pat: Any) -> None:
    with pytest.raises(ValidationError, match="Name the substance"):
        services.add_allergy(by=alice, patient=pat, substance="   ")


def test_nkda_form_records_and_the_banner_says_who_and_when(client: Any, alice: Any, pat: Any) -> None:
    sign_in(client, alice)
    url = reverse("patients:nkda_create", args=[pat.pk])
    response = client.post(url, {"confirmed": ""})
    assert response.status_code == 200 and not NoKnownDrugAllergies.objects.exists()
    assert "Tick the box" in response.content.decode()
    response = client.post(url, {"confirmed": "on"}, follow=True)
    page = response.content.decode()
    assert "No known drug allergies" in page and "recorded by Alice" in page


def test_the_banner_shows_allergies_in_words_on_the_chart(client: Any, alice: Any, pat: Any) -> None:
    sign_in(client, alice)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "Allergies not recorded" in page
    services.add_allergy(by=alice, patient=pat, substance="Ondansetron", reaction="hives", severity="severe")
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert 'class="allergy-line allergy-has"' in page
    assert "<strong>Ondansetron</strong> — hives" in page and ">severe<" in page


def test_the_front_desk_banner_shows_no_clinical_allergy_line(client: Any, alice: Any, carol: Any, pat: Any) -> None:
    services.add_allergy(by=alice, patient=pat, substance="Ondansetron")
    sign_in(client, carol)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "banner-allergies" not in page
