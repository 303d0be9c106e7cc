"""Issue 15, alert fatigue at the chair: one reading is one alert listing its findings, an unchanged sedation state is
not raised again, IV alerts never talk about esketamine reporting, and a stop-and-evaluate alert needs a note."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.models import SessionAlert
from ketaclinic.infusions.services import monitoring
from tests.infusions.conftest import check_in, complete_check_in, fresh, start_esk, start_iv

NORMAL = {
    "systolic_mmhg": 126,
    "diastolic_mmhg": 80,
    "heart_rate_per_min": 74,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
    "moaas": 5,
}


@pytest.fixture
def infusing(alice: Any, iv_order: Any, stock: Any) -> Any:
    return start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)


@pytest.fixture
def esketamine(alice: Any, esk_order: Any, stock: Any) -> Any:
    return start_esk(complete_check_in(check_in(esk_order, alice), alice), alice, stock)


def record(session: Any, nurse: Any, **values: Any) -> Any:
    return services.record_vitals(by=nurse, session=fresh(session), version=None, values={**NORMAL, **values})


@pytest.mark.django_db
def test_one_reading_of_186_over_114_is_one_alert_listing_every_finding(alice: Any, infusing: Any) -> None:
    reading = record(infusing, alice, systolic_mmhg=186, diastolic_mmhg=114, heart_rate_per_min=128)
    (alert,) = monitoring.open_alerts(fresh(infusing))
    assert alert.level == "stop" and len(alert.rows) == 5
    assert len(alert.summary.messages) == 5
    for finding in ("Systolic BP 186", "Diastolic BP 114", "Heart rate 128"):
        assert finding in alert.message
    assert alert.headline.startswith("Systolic BP 186") and alert.headline.endswith("(+4 more findings)")
    # one acknowledgement closes the whole reading, with the same note, in one audit event
    before = AuditEvent.objects.filter(action="session.alert.acknowledge").count()
    services.acknowledge_alert(
        by=alice, session=fresh(infusing), version=None, alert=alert.rows[2], note="Stopped; Dr Bob evaluated"
    )
    assert not reading.alerts.filter(acknowledged_at__isnull=True).exists()
    assert set(reading.alerts.values_list("acknowledgement_note", flat=True)) == {"Stopped; Dr Bob evaluated"}
    assert AuditEvent.objects.filter(action="session.alert.acknowledge").count() == before + 1
    assert monitoring.open_alerts(fresh(infusing)) == []


@pytest.mark.django_db
def test_an_unchanged_sedation_state_raises_no_new_alert(alice: Any, infusing: Any) -> None:
    first = record(infusing, alice, moaas=3)
    assert [a.code for a in first.alerts.all()] == ["moaas_sedation"]
    services.acknowledge_alert(
        by=alice, session=fresh(infusing), version=None, alert=first.alerts.get(), note="Stays with her"
    )
    assert not record(infusing, alice, moaas=3).alerts.exists()  # same state as the acknowledged alert
    assert not record(infusing, alice, moaas=3, spo2_percent=91).alerts.filter(code="moaas_sedation").exists()
    assert SessionAlert.objects.filter(session=infusing, code="moaas_sedation").count() == 1
    assert record(infusing, alice, moaas=2).alerts.filter(code="moaas_sedation").exists()  # deeper: a new alert
    record(infusing, alice, moaas=5)  # woke up
    assert record(infusing, alice, moaas=2).alerts.filter(code="moaas_sedation").exists()  # sedated again: new


@pytest.mark.django_db
def test_iv_alerts_do_not_mention_esketamine_or_rems(alice: Any, infusing: Any) -> None:
    reading = record(infusing, alice, systolic_mmhg=186, diastolic_mmhg=114)
    assert {a.code for a in reading.alerts.all()} >= {"systolic_rise", "systolic_high"}
    for alert in reading.alerts.all():
        text = f"{alert.message} {alert.action} {alert.source}".lower()
        assert "esketamine" not in text and "rems" not in text and "spravato" not in text
        assert ".md" not in alert.source  # a published source, not a file name


@pytest.mark.django_db
def test_esketamine_alerts_keep_the_label_and_reporting_wording(alice: Any, esketamine: Any) -> None:
    reading = record(esketamine, alice, systolic_mmhg=186, diastolic_mmhg=114)
    rise = reading.alerts.get(code="systolic_rise")
    assert "reportable for esketamine" in rise.action and "Spravato" in rise.source
    assert "Spravato" in reading.alerts.get(code="systolic_high").source


@pytest.mark.django_db
def test_a_stop_alert_is_not_acknowledged_without_a_note(alice: Any, infusing: Any) -> None:
    reading = record(infusing, alice, spo2_percent=88)
    alert = reading.alerts.get()
    assert alert.level == "stop"
    version = fresh(infusing).version
    for note in ("", "   "):
        with pytest.raises(ValidationError) as info:
            services.acknowledge_alert(by=alice, session=fresh(infusing), version=None, alert=alert, note=note)
        assert "written note" in info.value.message_dict["note"][0]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None and fresh(infusing).version == version  # nothing changed
    services.acknowledge_alert(by=alice, session=fresh(infusing), version=None, alert=alert, note="O2 2 L; SpO2 95")
    alert.refresh_from_db()
    assert alert.acknowledged_by == alice


@pytest.mark.django_db
def test_an_alert_level_alert_may_still_be_acknowledged_without_a_note(alice: Any, infusing: Any) -> None:
    alert = record(infusing, alice, spo2_percent=91).alerts.get()
    (shown,) = monitoring.open_alerts(fresh(infusing))
    assert shown.headline == alert.message and shown.get_level_display() == "Alert" and not shown.needs_prescriber
    assert services.acknowledge_alert(by=alice, session=fresh(infusing), version=None, alert=alert).acknowledged_by


@pytest.mark.django_db
def test_the_safety_alert_page_records_the_cssrs_at_the_check_in(alice: Any, iv_order: Any, client: Any) -> None:
    from django.urls import reverse

    from ketaclinic.outcomes.models import SafetyAlert
    from tests.conftest import sign_in

    session = check_in(iv_order, alice)
    services.record_score(by=alice, session=session, version=None, instrument="phq9", answers=[1] * 9)
    alert = SafetyAlert.objects.get(patient=session.patient)
    sign_in(client, alice)
    page = client.get(reverse("outcomes:alert_detail", args=[alert.pk])).content.decode()
    assert f'href="{reverse("infusions:scale", args=[session.pk, "cssrs_screener"])}"' in page
