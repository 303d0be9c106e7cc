"""The signed-in patient's pages (ketaclinic/portal/views/pages.py): appointments with the pre-visit checklist,
requests to the front desk, questionnaires and scores; every page audited; another patient's ids are 404 and
write nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consents import services as consent_documents
from ketaclinic.consents.models import ElectronicSignature
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.infusions import services as infusions
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.models import Message
from ketaclinic.scheduling.models import AppointmentMessage, PreVisitConfirmation, SchedulingSettings
from tests.conftest import sign_in, tiny_pdf
from tests.consents.conftest import publish, sign
from tests.consents.test_services import make_clinic_with_admin
from tests.portal.conftest import questionnaire_for, sign_in_as
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db
GOOD = {"fasting": "on", "ride_home_name": "Sam Rivera", "ride_home_phone": "(217) 555-0199"}


def views_of(patient: Any, page: str) -> int:
    return AuditEvent.objects.filter(action="portal.view", patient_id=patient.pk, actor=None, detail__page=page).count()


class TestPages:
    def test_home_shows_the_next_appointment_and_what_is_due(self, client: Client, pat: Any, visit: Any) -> None:
        questionnaire_for(pat, "due-1")
        sign_in_as(client, pat)
        body = client.get("/portal/").content.decode()
        assert "Hello Pat" in body and "at 09:00" in body
        assert "1 questionnaire to fill in" in body
        assert "988" in body  # crisis resources on every page
        assert views_of(pat, "home") == 1
        assert "no-store" in client.get("/portal/")["Cache-Control"]

    def test_appointments_upcoming_in_the_locations_zone(self, client: Client, pat: Any, visit: Any) -> None:
        sign_in_as(client, pat)
        body = client.get("/portal/appointments/").content.decode()
        assert "at 09:00" in body and "Treatment visit at Main" in body and "not confirmed yet" in body
        assert views_of(pat, "appointments") == 1

    def test_the_appointment_shows_its_checklist_with_sources(self, client: Client, pat: Any, visit: Any) -> None:
        sign_in_as(client, pat)
        body = client.get(f"/portal/appointments/{visit.pk}/").content.decode()
        assert "Do not eat anything for 2 hours" in body and "[S32]" not in body  # no reference keys on screen
        assert "Name of the person taking you home" in body
        assert AuditEvent.objects.filter(action="portal.view", object_id=str(visit.pk), patient_id=pat.pk).exists()


class TestConfirming:
    def test_confirm_with_the_checklist(self, client: Client, pat: Any, visit: Any, carol: Any) -> None:
        sign_in_as(client, pat)
        response = client.post(f"/portal/appointments/{visit.pk}/confirm/", GOOD)
        assert response.status_code == 302
        done = PreVisitConfirmation.objects.get(appointment=visit)
        assert done.fasting_as_instructed is True and done.medicines_held is None
        assert (done.ride_home_name, done.ride_home_phone) == ("Sam Rivera", "(217) 555-0199")
        assert "Do not eat anything for 2 hours before your visit." in done.checklist
        message = AppointmentMessage.objects.get(appointment=visit, kind="portal")
        assert message.response == "confirmed"
        assert AuditEvent.objects.filter(action="schedule.patient_confirmed", patient_id=pat.pk, actor=None).exists()
        page = client.get(f"/portal/appointments/{visit.pk}/").content.decode()
        assert "You confirmed this appointment" in page and "Sam Rivera will take you home" in page
        again = client.post(f"/portal/appointments/{visit.pk}/confirm/", GOOD)
        assert again.status_code == 422 and "already confirmed" in again.content.decode()
        assert PreVisitConfirmation.objects.count() == 1

    @pytest.mark.parametrize(
        ("data", "says"),
        [
            ({**GOOD, "fasting": ""}, "Please confirm you will fast"),
            ({**GOOD, "ride_home_name": ""}, "Enter the name of the person who will take you home"),
            ({**GOOD, "ride_home_name": "<script>x</script>"}, "please write plain text"),
            ({**GOOD, "ride_home_phone": "<b>call</b>"}, "Enter your driver&#x27;s phone number"),
        ],
    )
    def test_missing_or_bad_answers_write_nothing(
        self, client: Client, pat: Any, visit: Any, data: dict[str, str], says: str
    ) -> None:
        sign_in_as(client, pat)
        before = AuditEvent.objects.exclude(action="portal.view").count()
        response = client.post(f"/portal/appointments/{visit.pk}/confirm/", data)
        body = response.content.decode()
        assert response.status_code == 422 and says in body
        assert "<script>x" not in body and "<b>call" not in body
        assert not PreVisitConfirmation.objects.exists() and not AppointmentMessage.objects.filter(kind="portal")
        assert AuditEvent.objects.exclude(action="portal.view").count() == before

    def test_the_chair_check_in_shows_it(self, client: Client, pat: Any, visit: Any, alice: Any, day: dt.date) -> None:
        sign_in_as(client, pat)
        client.post(f"/portal/appointments/{visit.pk}/confirm/", GOOD)
        with time_machine.travel(local(day, 8), tick=False):
            session = infusions.check_in_appointment(by=alice, appointment=visit)
            staff = sign_in(Client(), alice)
            page = staff.get(f"/sessions/{session.pk}/").content.decode()
        assert "Confirmed by the patient at" in page and "Ride home: Sam Rivera, (217) 555-0199" in page

    def test_the_day_view_shows_it_confirmed(self, client: Client, pat: Any, visit: Any, carol: Any, day: Any) -> None:
        from ketaclinic.scheduling.services import reminders

        sign_in_as(client, pat)
        client.post(f"/portal/appointments/{visit.pk}/confirm/", GOOD)
        assert visit.pk in reminders.confirmed_ids(visit.location_id, local(day, 0), local(day, 23))


class TestAskingTheFrontDesk:
    @pytest.mark.parametrize("answer", ["reschedule", "cancel"])
    def test_the_request_reaches_the_front_desk_queue(
        self, client: Client, pat: Any, visit: Any, carol: Any, day: dt.date, answer: str
    ) -> None:
        sign_in_as(client, pat)
        response = client.post(f"/portal/appointments/{visit.pk}/request/", {"answer": answer, "note": "Fridays"})
        assert response.status_code == 302
        page = client.get(f"/portal/appointments/{visit.pk}/").content.decode()
        assert "The front desk will contact you" in page
        desk = sign_in(Client(), carol)
        day_view = desk.get(f"/schedule/?date={day:%Y-%m-%d}&location={visit.location_id}").content.decode()
        assert "Patients asking for another time (1)" in day_view and "“Fridays”" in day_view
        assert ("asked to cancel" in day_view) == (answer == "cancel") and "(patient portal)" in day_view
        assert AuditEvent.objects.filter(action=f"schedule.patient_{answer}", patient_id=pat.pk).exists()
        again = client.post(f"/portal/appointments/{visit.pk}/request/", {"answer": answer})
        assert again.status_code == 422 and "already asked" in again.content.decode()

    @pytest.mark.parametrize(
        ("data", "says"),
        [
            ({"answer": "reschedule", "note": "<img src=x onerror=alert(1)>"}, "please write plain text"),
            ({"answer": "reschedule", "note": "x" * 301}, "300 characters"),
            ({"answer": "delete"}, "Select a valid choice"),
        ],
    )
    def test_bad_requests_write_nothing(self, client: Client, pat: Any, visit: Any, data: Any, says: str) -> None:
        sign_in_as(client, pat)
        response = client.post(f"/portal/appointments/{visit.pk}/request/", data)
        assert response.status_code == 422 and says in response.content.decode()
        assert "<img src=x" not in response.content.decode()
        assert not AppointmentMessage.objects.filter(kind="portal").exists()

    def test_inside_the_clinics_notice_period_the_patient_is_asked_to_call(
        self, client: Client, pat: Any, visit: Any, day: dt.date
    ) -> None:
        SchedulingSettings.objects.filter(clinic=visit.location.clinic).update(late_cancel_notice_h=24)
        sign_in_as(client, pat)
        with time_machine.travel(local(day, 9) - dt.timedelta(hours=20), tick=False):
            sign_in_as(client, pat)
            page = client.get(f"/portal/appointments/{visit.pk}/").content.decode()
            assert "too close to your appointment" in page and 'id="ask-form"' not in page
            refused = client.post(f"/portal/appointments/{visit.pk}/request/", {"answer": "cancel"})
        assert refused.status_code == 422 and "Please call the clinic" in refused.content.decode()
        assert not AppointmentMessage.objects.filter(kind="portal").exists()


class TestQuestionnaires:
    def test_fill_a_due_questionnaire_and_see_the_score_in_words(self, client: Client, pat: Any) -> None:
        link = questionnaire_for(pat, "due-1")
        sign_in_as(client, pat)
        listing = client.get("/portal/questionnaires/").content.decode()
        assert f"/portal/questionnaires/{link.pk}/" in listing and "No scores yet" in listing
        answers = {f"phq9_{n}": "1" for n in range(1, 10)} | {"phq9_9": "0"}
        response = client.post(f"/portal/questionnaires/{link.pk}/", answers)
        assert response.status_code == 302
        link.refresh_from_db()
        assert link.completed_at is not None
        assert Measurement.objects.get(patient=pat).total == 8
        page = client.get("/portal/questionnaires/").content.decode()
        assert "Thank you" in page and "PHQ-9 (depression): 8 out of 27, in the “mild” range" in page
        assert "44261-6" not in page  # no codes
        assert client.get(f"/portal/questionnaires/{link.pk}/").status_code == 410

    def test_a_partial_answer_is_refused_and_writes_nothing(self, client: Client, pat: Any) -> None:
        link = questionnaire_for(pat, "due-1")
        sign_in_as(client, pat)
        response = client.post(f"/portal/questionnaires/{link.pk}/", {"phq9_1": "1"})
        assert response.status_code == 422 and "Please choose an answer" in response.content.decode()
        assert not Measurement.objects.exists()


def olives_paid_bill(admin: Any, other: Any) -> tuple[Any, Any]:
    """Olive's package invoice with one payment (self-pay billing)."""
    from ketaclinic.billing.services import invoices, payments
    from tests.billing.selfpay_scene import make_fees

    schedule = make_fees(admin, other.location)
    bill = invoices.invoice_package(
        by=admin, patient=other, fee=schedule.fees.get(service="package:protocol:depression_iv")
    )
    return bill, payments.record_payment(by=admin, invoice=bill, method="cash", amount="100.00")


class TestAnotherPatientsIds:
    def test_every_portal_url_with_another_patients_ids_is_404_and_writes_nothing(
        self,
        client: Client,
        pat: Any,
        visit: Any,
        other: Any,
        other_visit: Any,
        dave: Any,
        settings: Any,
        tmp_path: Any,
    ) -> None:
        settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
        hers = questionnaire_for(other, "hers")
        her_file = uploads.upload_by_patient(patient=other, content=tiny_pdf(), patient_says="labs")
        her_signature = sign(other, publish(dave, other.location.clinic), typed_name="Olive Other")
        draft = consent_documents.create_document(
            by=dave,
            clinic=other.location.clinic,
            kind="telehealth",
            title="T",
            body="B",
            effective_on=dt.date(2026, 1, 1),
        )
        foreign_admin = make_clinic_with_admin()
        foreign = publish(foreign_admin, foreign_admin.clinic)
        her_thread = messaging.start_thread(patient=other, subject="Olive's question", text="Olive's words")
        her_bill, her_payment = olives_paid_bill(dave, other)
        sign_in_as(client, pat)

        def counts() -> tuple[int, ...]:
            return (
                PreVisitConfirmation.objects.count(),
                AppointmentMessage.objects.count(),
                Measurement.objects.count(),
                AuditEvent.objects.filter(patient_id=other.pk).count(),
                QuestionnaireLink.objects.filter(opened_at__isnull=False).count(),
                ChartDocument.objects.count(),
                ElectronicSignature.objects.count(),
                AuditEvent.objects.exclude(action="portal.view").count(),
                Message.objects.count(),
                Message.objects.filter(read_at__isnull=False).count(),
            )

        before = counts()
        walks = [
            ("get", f"/portal/appointments/{other_visit.pk}/", {}),
            ("post", f"/portal/appointments/{other_visit.pk}/confirm/", GOOD),
            ("post", f"/portal/appointments/{other_visit.pk}/request/", {"answer": "cancel"}),
            ("get", f"/portal/questionnaires/{hers.pk}/", {}),
            ("post", f"/portal/questionnaires/{hers.pk}/", {f"phq9_{n}": "0" for n in range(1, 10)}),
            ("get", f"/portal/documents/{her_file.pk}/", {}),
            ("get", f"/portal/consents/signed/{her_signature.pk}/", {}),
            ("get", f"/portal/consents/signed/{her_signature.pk}/pdf/", {}),
            ("get", f"/portal/consents/{draft.pk}/", {}),
            ("post", f"/portal/consents/{draft.pk}/", {"typed_name": "Pat Rivera", "agreed": "on"}),
            ("get", f"/portal/consents/{foreign.pk}/", {}),
            ("post", f"/portal/consents/{foreign.pk}/", {"typed_name": "Pat Rivera", "agreed": "on"}),
            ("get", f"/portal/messages/{her_thread.pk}/", {}),
            ("post", f"/portal/messages/{her_thread.pk}/", {"text": "Hello"}),
            ("get", f"/portal/bills/{her_bill.pk}/pdf/", {}),
            ("get", f"/portal/bills/receipts/{her_payment.pk}/pdf/", {}),
        ]
        for method, path, data in walks:
            response = getattr(client, method)(path, data)
            assert response.status_code == 404, path
            assert "Olive" not in response.content.decode()
        assert counts() == before
        hers.refresh_from_db()
        assert hers.completed_at is None
