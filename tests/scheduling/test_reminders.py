"""Appointment confirmations and reminders (scheduling/services/reminders.py; issue 17 "Patients"): what is sent,
when, once; the pre-visit checklist; privacy of the text message; the one-time confirm/reschedule link; the front
desk's queue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import sms
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import AppointmentMessage, SchedulingSettings
from ketaclinic.scheduling.services import reminders
from tests.conftest import sign_in
from tests.scheduling.conftest import CHI, local

pytestmark = pytest.mark.django_db
BASE = "https://clinic.example"
LINK = re.compile(r"https://clinic\.example/a/([\w-]+)/")


@pytest.fixture(autouse=True)
def outboxes(settings: Any) -> None:
    settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.LocmemSmsBackend.outbox.clear()


@pytest.fixture
def esk_visit(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], esk_order: Any, day: dt.date) -> Any:
    main_st.phone = "(217) 555-0100"
    main_st.save()
    return services.book(
        by=carol,
        patient=pat,
        kind="esketamine",
        location=main_st,
        start=local(day, 9),
        chair=floor["chair1"],
        order=esk_order,
    )


def sms_only(patient: Any) -> None:
    patient.email = ""
    patient.save()


def run(at: dt.datetime) -> reminders.Report:
    return reminders.run_reminders(base_url=BASE, now=at)


def kinds(appointment: Any) -> list[str]:
    return sorted(AppointmentMessage.objects.filter(appointment=appointment).values_list("kind", flat=True))


class TestWhatIsSentWhen:
    def test_confirmation_then_48h_then_day_before_each_once(self, esk_visit: Any) -> None:
        start = esk_visit.starts_at
        now = start - dt.timedelta(days=6)
        assert run(now).sent == [f"confirmation #{esk_visit.pk}"]
        assert run(now).sent == []  # a second run sends nothing
        assert run(start - dt.timedelta(hours=49)).sent == []
        assert run(start - dt.timedelta(hours=47)).sent == [f"early #{esk_visit.pk}"]
        assert run(start - dt.timedelta(hours=30)).sent == []
        assert run(start - dt.timedelta(hours=23)).sent == [f"day_before #{esk_visit.pk}"]
        assert run(start - dt.timedelta(hours=1)).sent == []
        assert kinds(esk_visit) == ["confirmation", "day_before", "early"]
        assert len(mail.outbox) == 3 and sms.LocmemSmsBackend.outbox == []
        assert AuditEvent.objects.filter(action="schedule.message_sent").count() == 3

    def test_offsets_are_clinic_settings(self, esk_visit: Any) -> None:
        assert SchedulingSettings._meta.get_field("reminder_early_hours").default == 48
        assert SchedulingSettings._meta.get_field("reminder_day_before_hours").default == 24
        SchedulingSettings.objects.filter(clinic=esk_visit.location.clinic).update(
            reminder_early_hours=72, reminder_day_before_hours=12
        )
        start = esk_visit.starts_at
        run(start - dt.timedelta(days=6))
        assert run(start - dt.timedelta(hours=71)).sent == [f"early #{esk_visit.pk}"]
        assert run(start - dt.timedelta(hours=20)).sent == []
        assert run(start - dt.timedelta(hours=11)).sent == [f"day_before #{esk_visit.pk}"]

    def test_cancelled_appointment_gets_nothing_more(self, esk_visit: Any, carol: Any) -> None:
        run(esk_visit.starts_at - dt.timedelta(days=6))
        services.cancel(by=carol, appointment=esk_visit, reason="Patient called")
        assert run(esk_visit.starts_at - dt.timedelta(hours=47)).sent == []

    def test_the_jobs_runner_runs_it(self, esk_visit: Any) -> None:
        from ketaclinic.cli import SCHEDULED_JOBS

        assert ("send_reminders",) in SCHEDULED_JOBS
        call_command("send_reminders", "--base-url", BASE)
        assert kinds(esk_visit) == ["confirmation"]
        call_command("send_reminders", "--base-url", BASE)
        assert len(mail.outbox) == 1

    def test_a_failed_delivery_is_recorded_and_retried(self, esk_visit: Any, settings: Any, pat: Any) -> None:
        sms_only(pat)
        settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.NoSmsBackend"
        now = esk_visit.starts_at - dt.timedelta(days=6)
        assert run(now).failed == [f"confirmation #{esk_visit.pk}"]
        message = AppointmentMessage.objects.get(appointment=esk_visit)
        assert message.sent_at is None and message.last_error == "Delivery failed (SmsNotConfigured)."
        settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.LocmemSmsBackend"
        assert run(now).sent == [f"confirmation #{esk_visit.pk} (retry)"]
        assert len(sms.LocmemSmsBackend.outbox) == 1
        assert run(now).sent == []


class TestWhatTheMessageSays:
    def test_email_has_checklist_clinic_phone_and_link(self, esk_visit: Any) -> None:
        run(esk_visit.starts_at - dt.timedelta(days=6))
        (email,) = mail.outbox
        body = email.body
        assert body.startswith("Hello Pat,")
        assert "Do not eat anything for 2 hours" in body and "30 minutes" in body
        assert "drive you home" in body and "next day" in body
        assert "(217) 555-0100" in body and esk_visit.location.clinic.name in body
        assert LINK.search(body)
        for secret in ("Rivera", "esketamine", "Esketamine", "depress", "ketamine"):
            assert secret not in body and secret not in email.subject

    def test_sms_first_name_only_no_diagnosis_or_drug(self, esk_visit: Any, pat: Any) -> None:
        sms_only(pat)
        run(esk_visit.starts_at - dt.timedelta(days=6))
        (text,) = sms.LocmemSmsBackend.outbox
        assert text.to == pat.phone and text.body.startswith("Hello Pat,")
        assert "2 hours" in text.body and LINK.search(text.body)
        for secret in ("Rivera", "esketamine", "Esketamine", "Spravato", "depress", "ketamine", "1980"):
            assert secret not in text.body

    def test_nasal_medicines_named_from_the_medication_list(self, esk_visit: Any, pat: Any, bob: Any) -> None:
        from ketaclinic.patients.models import Medication

        Medication.objects.create(
            patient=pat, generic_name="Fluticasone", dose="50 mcg", frequency="daily", recorded_by=bob
        )
        texts = [item.text for item in reminders.checklist_for(esk_visit)]
        assert any("fluticasone" in t and "1 hour before" in t for t in texts)

    def test_token_is_stored_hashed(self, esk_visit: Any) -> None:
        run(esk_visit.starts_at - dt.timedelta(days=6))
        token = LINK.search(mail.outbox[0].body).group(1)  # type: ignore[union-attr]
        message = AppointmentMessage.objects.get(appointment=esk_visit)
        assert message.token_hash == reminders.hash_token(token) and token not in message.token_hash
        assert message.expires_at == esk_visit.starts_at and message.sent_to == "p***@example.org"


def token_of(esk_visit: Any, at: dt.datetime | None = None) -> str:
    run(at or esk_visit.starts_at - dt.timedelta(days=6))
    return LINK.search(mail.outbox[-1].body).group(1)  # type: ignore[union-attr]


class TestPublicPage:
    def test_confirm(self, client: Any, esk_visit: Any) -> None:
        url = reverse("visit:respond", kwargs={"token": token_of(esk_visit)})
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Hello Pat" in html and "Rivera" not in html and "Do not eat anything" in html
        done = client.post(url, {"answer": "confirmed"})
        assert done.status_code == 200 and "We have your confirmation" in done.content.decode()
        message = AppointmentMessage.objects.get(appointment=esk_visit)
        assert message.response == "confirmed" and message.used_at is not None
        assert AuditEvent.objects.filter(action="schedule.patient_confirmed").count() == 1
        again = client.post(url, {"answer": "reschedule"})  # one-time
        assert again.status_code == 410 and "cannot be used" in again.content.decode()
        assert AppointmentMessage.objects.get(appointment=esk_visit).response == "confirmed"

    def test_the_day_view_shows_the_confirmation(self, client: Any, esk_visit: Any, carol: Any) -> None:
        client.post(reverse("visit:respond", kwargs={"token": token_of(esk_visit)}), {"answer": "confirmed"})
        sign_in(client, carol)
        local_day = esk_visit.starts_at.astimezone(CHI).date().isoformat()
        page = client.get(reverse("schedule:day"), {"date": local_day, "location": esk_visit.location_id})
        assert "confirmed by patient" in page.content.decode()

    def test_reschedule_reaches_the_front_desk_queue(self, client: Any, esk_visit: Any, carol: Any) -> None:
        url = reverse("visit:respond", kwargs={"token": token_of(esk_visit)})
        client.post(url, {"answer": "reschedule", "note": "Thursdays are better"})
        esk_visit.refresh_from_db()
        assert esk_visit.status == "booked"  # stays booked until the front desk moves it
        (request,) = reminders.reschedule_requests(esk_visit.location_id)
        assert request.patient_note == "Thursdays are better"
        sign_in(client, carol)
        day = client.get(
            reverse("schedule:day"), {"date": esk_visit.starts_at.date().isoformat(), "location": esk_visit.location_id}
        )
        html = day.content.decode()
        assert "Patients asking for another time (1)" in html and "Thursdays are better" in html
        client.post(reverse("schedule:request_done", kwargs={"message_id": request.pk}))
        assert reminders.reschedule_requests(esk_visit.location_id) == []
        assert AuditEvent.objects.filter(action="schedule.reschedule_handled").count() == 1

    def test_bad_token_changes_nothing(self, client: Any, esk_visit: Any) -> None:
        token_of(esk_visit)
        for method in (client.get, client.post):
            page = method(reverse("visit:respond", kwargs={"token": "not-a-real-token"}), {"answer": "confirmed"})
            assert page.status_code == 410 and "This link cannot be used" in page.content.decode()
        assert not AppointmentMessage.objects.exclude(response="").exists()

    def test_expired_token_changes_nothing(self, client: Any, esk_visit: Any) -> None:
        url = reverse("visit:respond", kwargs={"token": token_of(esk_visit)})
        AppointmentMessage.objects.update(expires_at=esk_visit.starts_at - dt.timedelta(days=30))
        page = client.post(url, {"answer": "confirmed"})
        assert page.status_code == 410 and "Nothing has been changed" in page.content.decode()
        assert AppointmentMessage.objects.get().used_at is None

    def test_cancelled_appointment_link_is_dead(self, client: Any, esk_visit: Any, carol: Any) -> None:
        url = reverse("visit:respond", kwargs={"token": token_of(esk_visit)})
        services.cancel(by=carol, appointment=esk_visit, reason="Clinic closed")
        assert client.get(url).status_code == 410

    def test_bad_answer_and_long_note_change_nothing(self, client: Any, esk_visit: Any) -> None:
        url = reverse("visit:respond", kwargs={"token": token_of(esk_visit)})
        assert client.post(url, {"answer": "delete"}).status_code == 422
        page = client.post(url, {"answer": "reschedule", "note": "x" * 301})
        assert page.status_code == 422 and "under 300 characters" in page.content.decode()
        assert AppointmentMessage.objects.get().used_at is None
