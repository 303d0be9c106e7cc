"""Reconciliation: a count discrepancy (or a balance below zero) opens one clinician task, closed only with a note;
documented waste needs a re-authenticated witness; a wrong check-in or dose is entered in error and leaves the balance.
Bad input writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.homecare import queries, services
from ketaclinic.homecare.models import HomeCheckIn, HomeDiscrepancyReview, HomeDose, HomeStockEntry
from ketaclinic.ledger.services.witnesses import WitnessRejected
from tests.homecare.conftest import GOOD, witness

pytestmark = pytest.mark.django_db


def dose(prescription: Any) -> HomeDose:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    return services.take_dose(by=None, check_in=row)


def test_count_discrepancy_opens_one_task_for_the_prescriber(prescription: Any, alice: Any, bob: Any) -> None:
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="6")  # matches: no task
    assert not HomeDiscrepancyReview.objects.exists()
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="4")
    review = HomeDiscrepancyReview.objects.get()
    assert review.status == "open" and review.assigned_to == bob
    assert review.expected == Decimal(6) and review.counted == Decimal(4)
    assert "Count 4 where 6 doses" in review.reason
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="3")  # still open: no second
    assert HomeDiscrepancyReview.objects.count() == 1
    assert AuditEvent.objects.filter(action="homecare.discrepancy_opened").count() == 1


def test_below_tolerance_opens_nothing(prescription: Any, alice: Any) -> None:
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="5.5")  # tolerance 1 dose
    assert not HomeDiscrepancyReview.objects.exists()


def test_review_needs_a_note_then_closes(prescription: Any, alice: Any, bob: Any, carol: Any) -> None:
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="3")
    review = HomeDiscrepancyReview.objects.get()
    with pytest.raises(ServiceError, match="Say what the review found") as caught:
        services.review_discrepancy(by=bob, review=review, note="   ")
    assert caught.value.field == "note"
    with pytest.raises(PermissionDenied):
        services.review_discrepancy(by=carol, review=review, note="checked")
    review.refresh_from_db()
    assert review.status == "open" and review.review_note == ""
    services.review_discrepancy(by=bob, review=review, note="Recount on video: 3 troches; 3 were lost, PDMP clear.")
    review.refresh_from_db()
    assert review.status == "reviewed" and review.reviewed_by == bob and review.reviewed_at is not None
    assert AuditEvent.objects.filter(action="homecare.discrepancy_reviewed", actor=bob).exists()
    with pytest.raises(ServiceError, match="already been reviewed"):
        services.review_discrepancy(by=bob, review=review, note="again")
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="2")  # a new gap: a new task
    assert HomeDiscrepancyReview.objects.filter(status="open").count() == 1


def test_more_taken_than_dispensed_opens_a_task(programme: Any, bob: Any, alice: Any, thresholds: Any) -> None:
    from ketaclinic.patients.models import clinic_date

    today = clinic_date(programme.patient)
    rx = services.prescribe(
        by=bob, programme=programme, route="sublingual_troche", strength_mg=Decimal(100), dose_mg=Decimal(100),
        sessions=6, refills_authorised=0, issued_on=today, pdmp_checked_on=today, pdmp_note="clear",
    )  # fmt: skip
    dose(rx)  # nothing dispensed yet: the balance goes below zero
    review = HomeDiscrepancyReview.objects.get()
    assert review.expected == Decimal(-1) and "More doses taken" in review.reason


def test_waste_needs_a_witness_who_is_not_the_recorder(prescription: Any, alice: Any, bob: Any) -> None:
    with pytest.raises(WitnessRejected, match="needs a witness"):
        services.record_stock(by=alice, prescription=prescription, kind="waste", doses="1", note="dropped")
    with pytest.raises(ServiceError, match="Say what happened"):
        services.record_stock(
            by=alice, prescription=prescription, kind="waste", doses="1", note="", witness=witness(bob, alice)
        )
    with pytest.raises(ServiceError, match="more than 0"):
        services.record_stock(
            by=alice, prescription=prescription, kind="waste", doses="0", note="x", witness=witness(bob, alice)
        )
    assert not HomeStockEntry.objects.exists()
    row = services.record_stock(
        by=alice, prescription=prescription, kind="waste", doses="1", note="Troche dropped and flushed",
        witness=witness(bob, alice),
    )  # fmt: skip
    assert row.witness == bob and row.witness_method == "password + one-time code"
    assert queries.balance(prescription).wasted == Decimal(1)


def test_a_ledger_signature_is_refused_for_home_waste(prescription: Any, alice: Any, bob: Any) -> None:
    from tests.ledger.conftest import licence, sign

    licence(alice)
    ledger_signature = sign(bob, alice, alice.locations.first())
    with pytest.raises(WitnessRejected, match="does not belong"):
        services.record_stock(
            by=alice, prescription=prescription, kind="waste", doses="1", note="dropped", witness=ledger_signature
        )
    assert not HomeStockEntry.objects.exists()


@pytest.mark.parametrize("bad", ["-1", "abc", "1000", "0.001", "NaN"])
def test_bad_counts_write_nothing(prescription: Any, alice: Any, bad: str) -> None:
    with pytest.raises(ServiceError) as caught:
        services.record_stock(by=alice, prescription=prescription, kind="count", doses=bad)
    assert caught.value.field == "doses"
    assert not HomeStockEntry.objects.exists()


def test_entered_in_error_check_in_withdraws_its_dose(prescription: Any, alice: Any, bob: Any) -> None:
    taken = dose(prescription)
    assert queries.balance(prescription).expected == Decimal(5)
    with pytest.raises(ServiceError, match="Say why") as caught:
        services.mark_entered_in_error(by=alice, row=taken.check_in, reason=" ")
    assert caught.value.field == "reason"
    assert not HomeCheckIn.objects.filter(entered_in_error=True).exists()
    services.mark_entered_in_error(by=alice, row=taken.check_in, reason="Entered for the wrong patient")
    check_in, withdrawn = HomeCheckIn.objects.get(), HomeDose.objects.get()
    assert check_in.entered_in_error and withdrawn.entered_in_error
    assert (
        withdrawn.entered_in_error_reason == "Entered for the wrong patient" and withdrawn.entered_in_error_by == alice
    )
    balance = queries.balance(prescription)
    assert balance.expected == Decimal(6) and balance.sessions_remaining == prescription.sessions_authorised
    assert queries.doses_taken_today(prescription.programme.patient) == 0
    with pytest.raises(ServiceError, match="already"):
        services.mark_entered_in_error(by=alice, row=check_in, reason="again")
    assert AuditEvent.objects.filter(action="homecare.entered_in_error").count() == 1


def test_only_clinical_staff_mark_entered_in_error(prescription: Any, carol: Any) -> None:
    taken = dose(prescription)
    with pytest.raises(PermissionDenied):
        services.mark_entered_in_error(by=carol, row=taken, reason="wrong")
    assert not HomeDose.objects.get().entered_in_error


def test_programme_page_and_dashboard_show_the_open_task(
    client_as: Any, prescription: Any, alice: Any, bob: Any, erin: Any
) -> None:
    patient_id = prescription.programme.patient_id
    client = client_as(bob)
    client.post(f"/homecare/patient/{patient_id}/record/", {"prescription": prescription.pk, "doses": "3"})
    review = HomeDiscrepancyReview.objects.get()
    page = client.get(f"/homecare/patient/{patient_id}/").content.decode()
    assert 'data-testid="discrepancy-review"' in page and "Count 3 where 6 doses" in page
    dashboard = client.get("/staff/").content.decode()
    assert 'data-testid="dashboard-home-reviews"' in dashboard and f"/homecare/patient/{patient_id}/" in dashboard
    empty = client.post(f"/homecare/patient/{patient_id}/review/{review.pk}/", {"note": ""})
    assert empty.status_code == 302
    review.refresh_from_db()
    assert review.status == "open"
    client.post(f"/homecare/patient/{patient_id}/review/{review.pk}/", {"note": "Recounted with the monitor: 3."})
    review.refresh_from_db()
    assert review.status == "reviewed"
    assert 'data-testid="dashboard-home-reviews"' not in client.get("/staff/").content.decode()
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="2")  # open again
    assert 'data-testid="dashboard-home-reviews"' not in client_as(erin).get("/staff/").content.decode()  # Lakeside


def test_waste_page_signs_the_witness(client_as: Any, prescription: Any, alice: Any, bob: Any) -> None:
    from tests.conftest import PASSWORD
    from tests.ledger.conftest import code_for, licence

    licence(alice)
    patient_id = prescription.programme.patient_id
    url = f"/homecare/patient/{patient_id}/rx/{prescription.pk}/waste/"
    client = client_as(alice)
    data = {"doses": "1", "note": "Troche dropped", "witness_username": "bob", "witness_password": "wrong"}
    refused = client.post(url, {**data, "witness_otp_token": code_for(bob)})
    assert refused.status_code == 200 and "do not match" in refused.content.decode()
    assert "wrong" not in refused.content.decode().split("witness_password")[1][:200]  # the password is not echoed
    assert not HomeStockEntry.objects.exists()
    done = client.post(url, {**data, "witness_password": PASSWORD, "witness_otp_token": code_for(bob)})
    assert done.status_code == 302
    assert HomeStockEntry.objects.get().witness == bob


def test_entered_in_error_from_the_page(client_as: Any, prescription: Any, alice: Any) -> None:
    taken = dose(prescription)
    patient_id = prescription.programme.patient_id
    client = client_as(alice)
    url = f"/homecare/patient/{patient_id}/entered-in-error/check-in/{taken.check_in_id}/"
    client.post(url, {"reason": ""})
    assert not HomeCheckIn.objects.get().entered_in_error
    client.post(url, {"reason": "Typed the wrong reading"})
    assert HomeCheckIn.objects.get().entered_in_error
    page = client.get(f"/homecare/patient/{patient_id}/").content.decode()
    assert "entered in error: Typed the wrong reading" in page
    assert client.post(f"/homecare/patient/{patient_id}/entered-in-error/other/1/", {"reason": "x"}).status_code == 404


def test_a_withdrawn_check_in_releases_no_dose(prescription: Any, alice: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.mark_entered_in_error(by=alice, row=row, reason="Reading typed for the wrong day")
    with pytest.raises(ServiceError, match="withdrawn"):
        services.take_dose(by=None, check_in=row)
    assert not HomeDose.objects.exists()


def test_a_dose_alone_entered_in_error_from_the_page(client_as: Any, prescription: Any, alice: Any) -> None:
    taken = dose(prescription)
    patient_id = prescription.programme.patient_id
    client = client_as(alice)
    page = client.get(f"/homecare/patient/{patient_id}/").content.decode()
    assert f"/entered-in-error/dose/{taken.pk}/" in page
    client.post(f"/homecare/patient/{patient_id}/entered-in-error/dose/{taken.pk}/", {"reason": "Dose not taken"})
    assert HomeDose.objects.get().entered_in_error and not HomeCheckIn.objects.get().entered_in_error
    assert queries.balance(prescription).taken == Decimal(0)
