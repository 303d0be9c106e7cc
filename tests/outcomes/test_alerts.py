"""Safety alerts: raised at intake, shown on the addressee's dashboard until a clinician acknowledges them with a
follow-up note; scoped to the patient's location; audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import services
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients import services as patients
from tests.conftest import sign_in
from tests.intake.factories import draft_intake

HIGH = [True, True, False, False, True, False, None]


def test_the_alert_stays_on_the_dashboard_until_acknowledged(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})
    draft_intake(patient=pat, clinician=alice, scales={"cssrs_screener": HIGH})
    alert = SafetyAlert.objects.get()
    assert (alert.severity, alert.assigned_to) == ("high", bob)
    sign_in(client, bob)
    dashboard = client.get(reverse("web:dashboard")).content.decode()
    assert "Safety alerts for you (1)" in dashboard and "Same-day psychiatric evaluation" in dashboard
    sign_in(client, alice)
    assert "Safety alerts for you" not in client.get(reverse("web:dashboard")).content.decode()  # addressed to bob
    sign_in(client, bob)
    url = reverse("outcomes:alert_detail", args=[alert.pk])
    page = client.get(url)
    assert page.status_code == 200 and "988" in page.content.decode()
    assert AuditEvent.objects.filter(action="alert.view", patient_id=pat.pk, actor=bob).exists()
    refused = client.post(url, {"follow_up_note": ""})
    assert refused.status_code == 200 and "follow_up_note" in refused.context["form"].errors
    assert client.post(url, {"follow_up_note": "Saw her today; safety plan; psychiatry tomorrow."}).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == bob and alert.follow_up_note.startswith("Saw her today")
    assert "Safety alerts for you" not in client.get(reverse("web:dashboard")).content.decode()
    assert client.post(url, {"follow_up_note": "again"}).status_code == 409
    listing = client.get(reverse("outcomes:alert_list"), {"show": "all"})
    assert listing.context["page"].paginator.count == 1


def test_an_unaddressable_alert_shows_to_every_clinician_at_the_location(alice: Any, carol: Any, pat: Any) -> None:
    alert = services.raise_alert(
        by=carol,  # front desk cannot receive alerts, and there is no primary clinician
        patient=pat,
        kind="suicidality",
        severity="moderate",
        instrument="cssrs_screener",
        score_total=2,
        score_band="moderate",
        source=pat,
        message="m",
        recommended_action="a",
    )
    assert (alert.assigned_to, alert.assignment) == (None, "unassigned")
    from ketaclinic.outcomes.queries import open_alerts_for

    assert list(open_alerts_for(alice)) == [alert]


def test_acknowledging_needs_a_clinician_and_a_note(alice: Any, carol: Any, pat: Any) -> None:
    draft_intake(patient=pat, clinician=alice, scales={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 3]})
    alert = SafetyAlert.objects.get()
    with pytest.raises(PermissionDenied):
        services.acknowledge_alert(by=carol, alert=alert, follow_up_note="ok")
    with pytest.raises(ValidationError):
        services.acknowledge_alert(by=alice, alert=alert, follow_up_note="   ")
    with pytest.raises(ValidationError):
        services.acknowledge_alert(by=alice, alert=alert, follow_up_note="x" * 2001)
    with pytest.raises(ValueError, match="kind"):
        services.raise_alert(
            by=alice,
            patient=pat,
            kind="other",
            severity="low",
            instrument="phq9",
            score_total=1,
            score_band="",
            source=pat,
            message="m",
            recommended_action="a",
        )
    with pytest.raises(ValueError, match="severity"):
        services.raise_alert(
            by=alice,
            patient=pat,
            kind="suicidality",
            severity="extreme",
            instrument="phq9",
            score_total=1,
            score_band="",
            source=pat,
            message="m",
            recommended_action="a",
        )


def test_alerts_of_another_location_are_404(alice: Any, erin: Any, lake: Any, client: Any) -> None:
    draft_intake(patient=lake, clinician=erin, scales={"cssrs_screener": HIGH})
    alert = SafetyAlert.objects.get()
    sign_in(client, alice)
    assert client.get(reverse("outcomes:alert_detail", args=[alert.pk])).status_code == 404
    assert client.get(reverse("outcomes:alert_list"), {"show": "all"}).context["page"].paginator.count == 0


@pytest.mark.parametrize(
    ("instrument", "label"),
    [("phq9", "PHQ-9"), ("cssrs_screener", "C-SSRS"), ("gad7", "GAD-7"), ("unknown", "unknown")],
)
def test_the_alert_names_the_scale_by_its_short_name(instrument: str, label: str) -> None:
    assert SafetyAlert(instrument=instrument).instrument_label == label
