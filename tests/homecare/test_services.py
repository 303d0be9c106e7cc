"""The home programme's services: enrolment, prescriptions, the release, the balance; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.homecare import queries, services
from ketaclinic.homecare.models import HomeCheckIn, HomeDose, HomeProgramme
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients.models import clinic_date
from tests.homecare.conftest import GOOD, sign_agreement, sign_eligibility, witness

pytestmark = pytest.mark.django_db


def enrol(pat: Any, bob: Any, **changes: Any) -> Any:
    data = {
        "route": "sublingual_troche",
        "monitor_name": "Sam Rivera",
        "monitor_date_of_birth": dt.date(1978, 1, 1),
        "monitor_phone": "555 0100",
        **changes,
    }
    return services.enrol(by=bob, patient=pat, **data)


def test_enrol_needs_eligibility_for_the_route(pat: Any, bob: Any) -> None:
    sign_agreement(pat)
    with pytest.raises(ServiceError, match="eligib"):
        enrol(pat, bob)
    sign_eligibility(pat, bob, ["iv"])
    with pytest.raises(ServiceError, match="eligib"):
        enrol(pat, bob)
    assert not HomeProgramme.objects.exists()


def test_enrol_needs_the_agreement(pat: Any, bob: Any) -> None:
    sign_eligibility(pat, bob, ["sublingual"])
    with pytest.raises(ServiceError, match="agreement"):
        enrol(pat, bob)


def test_monitor_who_is_the_patient_refused(pat: Any, bob: Any) -> None:
    sign_eligibility(pat, bob, ["sublingual"])
    sign_agreement(pat)
    with pytest.raises(ServiceError, match="cannot be the patient") as caught:
        enrol(pat, bob, monitor_name="pat rivera", monitor_date_of_birth=pat.date_of_birth)
    assert caught.value.field == "monitor_name"
    with pytest.raises(ServiceError, match="18 or older"):
        enrol(pat, bob, monitor_date_of_birth=dt.date.today() - dt.timedelta(days=365 * 17))
    with pytest.raises(ServiceError, match="phone number or an e-mail"):
        enrol(pat, bob, monitor_phone="")
    assert not HomeProgramme.objects.exists()


def test_only_a_prescriber_enrols(pat: Any, alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        enrol(pat, alice)


def test_refills_within_the_schedule_iii_limit(programme: Any, bob: Any) -> None:
    today = clinic_date(programme.patient)
    with pytest.raises(ServiceError, match=r"1306\.22") as caught:
        services.prescribe(
            by=bob, programme=programme, route="oral", strength_mg=Decimal(100), dose_mg=Decimal(100), sessions=6,
            refills_authorised=6, issued_on=today, pdmp_checked_on=today, pdmp_note="clear",
        )  # fmt: skip
    assert caught.value.field == "refills_authorised"
    with pytest.raises(ServiceError, match="PDMP"):
        services.prescribe(
            by=bob, programme=programme, route="oral", strength_mg=Decimal(100), dose_mg=Decimal(100), sessions=6,
            refills_authorised=1, issued_on=today, pdmp_checked_on=None, pdmp_note="",
        )  # fmt: skip
    assert not programme.prescriptions.exists()


def test_refill_counted_and_limited(prescription: Any, alice: Any) -> None:
    today = prescription.issued_on
    refill = services.dispense(
        by=alice, prescription=prescription, source="pharmacy", dispenser="Main St Pharmacy", dispensed_on=today,
        doses=6, rx_number="RX-2",
    )  # fmt: skip
    assert refill.is_refill
    with pytest.raises(ServiceError, match="authorised refill"):
        services.dispense(
            by=alice, prescription=prescription, source="pharmacy", dispenser="Main St Pharmacy", dispensed_on=today,
            doses=6, rx_number="RX-3",
        )  # fmt: skip


def test_cleared_check_in_releases_one_dose(prescription: Any, pat: Any) -> None:
    row, decision = services.check_in(by=None, prescription=prescription, **GOOD)
    assert decision.cleared and row.cleared and row.reasons == []
    dose = services.take_dose(by=None, check_in=row)
    services.post_dose_check(by=None, dose=dose, sedation_resolved=True, side_effects="")
    with pytest.raises(ServiceError, match="already"):
        services.take_dose(by=None, check_in=row)
    assert queries.balance(prescription).expected == Decimal(5)


def test_high_blood_pressure_refused_and_no_dose(prescription: Any) -> None:
    row, decision = services.check_in(by=None, prescription=prescription, **{**GOOD, "systolic_mmhg": 172})
    assert not decision.cleared and "above the clinic's limit" in row.reasons[0]
    with pytest.raises(ServiceError, match="did not clear"):
        services.take_dose(by=None, check_in=row)
    assert not HomeDose.objects.exists()


def test_second_dose_same_day_refused(prescription: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    _, again = services.check_in(by=None, prescription=prescription, **GOOD)
    assert not again.cleared and "already taken 1" in again.reasons[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"systolic_mmhg": 400}, "systolic_mmhg"),
        ({"heart_rate_per_min": 5}, "heart_rate_per_min"),
        ({"diastolic_mmhg": "eighty"}, "diastolic_mmhg"),
        ({"symptoms": ["dizzy"]}, "symptoms"),
    ],
)
def test_implausible_reading_writes_nothing(prescription: Any, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ServiceError) as caught:
        services.check_in(by=None, prescription=prescription, **{**GOOD, **change})
    assert caught.value.field == field
    assert not HomeCheckIn.objects.exists()


def test_check_in_after_prescription_ran_out(prescription: Any, bob: Any) -> None:
    prescription.refills_authorised = 0
    prescription.sessions = 1
    prescription.save()
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    HomeDose.objects.update(taken_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # yesterday or earlier
    _, decision = services.check_in(by=None, prescription=prescription, **GOOD)
    assert not decision.cleared and decision.reasons == (
        "Your prescription has no doses left: contact the clinic for a renewal.",
    )


def test_unset_thresholds_block(programme: Any, bob: Any, alice: Any) -> None:
    today = clinic_date(programme.patient)
    rx = services.prescribe(
        by=bob, programme=programme, route="sublingual_troche", strength_mg=Decimal(100), dose_mg=Decimal(100),
        sessions=6, refills_authorised=0, issued_on=today, pdmp_checked_on=today, pdmp_note="clear",
    )  # fmt: skip
    _, decision = services.check_in(by=None, prescription=rx, **GOOD)
    assert not decision.cleared and any("has not set" in reason for reason in decision.reasons)


def test_suicidality_raises_the_safety_alert(prescription: Any, pat: Any) -> None:
    row, decision = services.check_in(by=None, prescription=prescription, **{**GOOD, "symptoms": ["suicidal_thoughts"]})
    assert not decision.cleared
    alert = SafetyAlert.objects.get(patient=pat)
    assert alert.kind == "suicidality" and alert.source_id == row.pk


def test_the_alert_page_shows_a_home_check_in_alert(client_as: Any, bob: Any, prescription: Any, pat: Any) -> None:
    services.check_in(by=None, prescription=prescription, **{**GOOD, "symptoms": ["suicidal_thoughts"]})
    alert = SafetyAlert.objects.get(patient=pat)
    page = client_as(bob).get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200 and "Home pre-dose check-in" in page.content.decode()


def test_balance_and_discrepancy(prescription: Any, alice: Any, bob: Any) -> None:
    services.record_stock(
        by=alice, prescription=prescription, kind="waste", doses="1", note="dropped", witness=witness(bob, alice)
    )
    assert queries.balance(prescription).discrepancy is None
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="3")
    balance = queries.balance(prescription)
    assert balance.expected == Decimal(5) and balance.counted == Decimal(3) and balance.discrepancy is True
    with pytest.raises(ServiceError) as caught:
        services.record_stock(by=alice, prescription=prescription, kind="count", doses="-2")
    assert caught.value.field == "doses"


def test_two_cleared_check_ins_release_one_dose(prescription: Any) -> None:
    first, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    second, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=first)
    with pytest.raises(ServiceError, match="already taken 1"):
        services.take_dose(by=None, check_in=second)
    assert HomeDose.objects.count() == 1


def test_no_fill_after_six_months(programme: Any, bob: Any, alice: Any, thresholds: Any) -> None:
    today = clinic_date(programme.patient)
    rx = services.prescribe(
        by=bob, programme=programme, route="oral", strength_mg=Decimal(100), dose_mg=Decimal(100), sessions=6,
        refills_authorised=0, issued_on=today - dt.timedelta(days=200), pdmp_checked_on=today - dt.timedelta(days=200),
        pdmp_note="clear",
    )  # fmt: skip
    with pytest.raises(ServiceError, match="six months") as caught:
        services.dispense(
            by=alice, prescription=rx, source="pharmacy", dispenser="P", dispensed_on=today, doses=6, rx_number="R1"
        )
    assert caught.value.field == "dispensed_on"
