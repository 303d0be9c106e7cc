"""Prior authorisations: recording, refusals that write nothing, withdrawal, the clinic's window and counting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import PriorAuthorisation
from ketaclinic.billing.services import authorisations as service
from tests.billing.authorisation_helpers import authorise, clinic_today, cover, make_payer

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(clinic: Any) -> Any:
    return make_payer(clinic)


def test_front_desk_records_an_authorisation_and_it_is_audited(carol: Any, pat: Any, payer: Any) -> None:
    authorisation = authorise(carol, pat, payer, approved_devices=23, note="Letter of 1 Dec")
    assert authorisation.status == "active" and authorisation.approved_devices == 23
    event = AuditEvent.objects.filter(action="billing.prior_auth_recorded").get()
    assert event.patient_id == pat.pk and event.detail["reference"] == "PA123"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": "  "}, "reference"),
        ({"valid_to": dt.date(2000, 1, 1), "valid_from": dt.date(2000, 2, 1)}, "valid_to"),
        ({"approved_sessions": 0}, "approved_sessions"),
        ({"service": "iv_infusion", "approved_devices": 6}, "approved_devices"),
        ({"service": "im"}, "service"),
        ({"reference": "X" * 51}, "reference"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    carol: Any, pat: Any, payer: Any, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        authorise(carol, pat, payer, **changes)
    assert field in refused.value.message_dict
    assert "Nothing was saved" in " ".join(refused.value.message_dict[field])
    assert not PriorAuthorisation.objects.exists()
    assert not AuditEvent.objects.filter(action="billing.prior_auth_recorded").exists()


def test_another_clinics_payer_and_a_second_copy_are_refused(carol: Any, pat: Any, payer: Any) -> None:
    from ketaclinic.accounts import services as accounts

    elsewhere = accounts.create_clinic(by=None, name="Elsewhere Clinic", timezone_name="America/Chicago")
    other = make_payer(elsewhere, name="Elsewhere")
    with pytest.raises(ValidationError, match="this clinic's active payers"):
        authorise(carol, pat, other)
    authorise(carol, pat, payer)
    with pytest.raises(ValidationError, match="already on file"):
        authorise(carol, pat, payer, reference="pa123")
    assert PriorAuthorisation.objects.count() == 1


def test_clinicians_read_but_do_not_record(alice: Any, bob: Any, pat: Any, payer: Any) -> None:
    for clinician in (alice, bob):
        with pytest.raises(PermissionDenied):
            authorise(clinician, pat, payer)
    assert not PriorAuthorisation.objects.exists()


def test_withdrawing_needs_a_reason_keeps_the_row_and_happens_once(carol: Any, pat: Any, payer: Any) -> None:
    authorisation = authorise(carol, pat, payer)
    with pytest.raises(ValidationError, match="Say why"):
        service.withdraw(by=carol, authorisation=authorisation, reason=" ")
    assert PriorAuthorisation.objects.get().status == "active"
    done = service.withdraw(by=carol, authorisation=authorisation, reason="Entered for the wrong patient")
    assert done.status == "withdrawn" and done.withdrawn_by == carol
    with pytest.raises(ValidationError, match="already withdrawn"):
        service.withdraw(by=carol, authorisation=authorisation, reason="Again")
    assert PriorAuthorisation.objects.count() == 1
    # A withdrawn reference may be recorded again (the corrected approval).
    authorise(carol, pat, payer)


def test_an_active_authorisation_past_its_last_day_reads_expired(carol: Any, pat: Any, payer: Any) -> None:
    authorisation = authorise(carol, pat, payer)
    assert authorisation.status_on(authorisation.valid_to) == "active"
    assert authorisation.status_on(authorisation.valid_to + dt.timedelta(days=1)) == "expired"


def test_the_clinic_window_is_set_by_a_clinic_admin_only(carol: Any, dave: Any, clinic: Any) -> None:
    with pytest.raises(PermissionDenied):
        service.save_policy(by=carol, clinic=clinic, running_out_days=30, running_out_left=None)
    with pytest.raises(ValidationError):
        service.save_policy(by=dave, clinic=clinic, running_out_days=0, running_out_left=None)
    with pytest.raises(ValidationError):
        service.save_policy(by=dave, clinic=clinic, running_out_days=None, running_out_left=101)
    assert service.policy_for(clinic) is None
    policy = service.save_policy(by=dave, clinic=clinic, running_out_days=21, running_out_left=2)
    assert (policy.running_out_days, policy.running_out_left) == (21, 2)


def test_running_out_lists_by_end_date_or_by_what_is_left(carol: Any, pat: Any, payer: Any) -> None:
    from tests.conftest import make_patient

    today = clinic_today(pat)
    soon = authorise(carol, pat, payer, reference="SOON", valid_to=today + dt.timedelta(days=10))
    other = make_patient(pat.location, given_name="Max", family_name="Moss", email="max@example.org")
    later = authorise(carol, other, payer, reference="LATER", approved_sessions=1)
    patients = type(pat).objects.all()
    assert service.running_out(patients, today=today, days=None, left=None) == []
    assert [r.authorisation for r in service.running_out(patients, today=today, days=14, left=None)] == [soon]
    both = service.running_out(patients, today=today, days=14, left=1)
    assert [r.authorisation for r in both] == [soon, later]
    service.withdraw(by=carol, authorisation=soon, reason="Payer withdrew it")
    assert service.running_out(patients, today=today, days=14, left=None) == []


def test_devices_come_from_the_order_or_the_dose() -> None:
    from decimal import Decimal

    assert service.devices_for(Decimal("84"), None) == 3
    assert service.devices_for(Decimal("56"), 2) == 2
    assert service.devices_for(Decimal("30"), None) == 2  # a part device is a device used
    assert service.devices_for(None, None) == 0


def test_usage_counts_live_appointments_within_the_dates(
    carol: Any, dave: Any, alice: Any, bob: Any, pat: Any, payer: Any, main_st: Any
) -> None:
    from ketaclinic.scheduling import services as calendar
    from tests.infusions.conftest import make_esk_order, make_ready_patient
    from tests.scheduling.conftest import local, roster, set_up_location

    chairs = set_up_location(dave, main_st)
    order = make_esk_order(make_ready_patient(pat, bob), bob)
    cover(pat, payer)
    day = clinic_today(pat) + dt.timedelta(days=3)
    roster(dave, main_st, day, alice, bob)
    authorisation = authorise(carol, pat, payer, approved_devices=23)
    booked = calendar.book(
        by=carol,
        patient=pat,
        kind="esketamine",
        location=main_st,
        start=local(day, 9),
        chair=chairs["chair1"],
        order=order,
    )
    row = service.usage(authorisation, clinic_today(pat))
    assert (row.sessions_used, row.devices_used) == (1, order.devices)
    assert row.sessions_left == 7 and row.devices_left == 23 - order.devices and row.least_left == 7
    calendar.cancel(by=carol, appointment=booked, reason="Patient ill")
    assert service.usage(authorisation, clinic_today(pat)).sessions_used == 0
