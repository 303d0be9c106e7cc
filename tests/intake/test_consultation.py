"""The public consultation request and front-desk triage: validation, honeypot, rate limit, red flags, history,
duplicates and conversion — through the real form, views and services."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import ConsultationEvent, ConsultationRequest
from ketaclinic.intake.services import consultation
from ketaclinic.patients.models import Patient
from tests.conftest import make_patient, sign_in
from tests.intake.factories import consultation_request

URL = "/consultation/"


def form_data(where: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "location": where.pk,
        "given_name": "Jordan",
        "family_name": "Avery",
        "date_of_birth": "1986-06-14",
        "sex": "female",
        "phone": "(217) 555-0177",
        "email": "jordan.avery@example.org",
        "preferred_contact_method": "phone",
        "preferred_contact_time": "morning",
        "concern": "depression",
        "pain_type": "",
        "details": "",
        "antidepressants_tried": "two_or_more",
        "in_psychiatric_care": "yes",
        "in_medical_care": "no",
        "pregnancy": "no",
        "consent_to_contact": "on",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_form_stores_the_request_shows_a_reference_and_sends_a_confirmation(
    main_st: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    page = client.get(URL)
    assert page.status_code == 200 and 'name="website"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(main_st))
    assert response.status_code == 302 and response["Location"] == reverse("consultation:thanks")
    request = ConsultationRequest.objects.get()
    assert (request.family_name, request.status, request.needs_clinical_review, request.red_flags) == (
        "Avery",
        "new",
        False,
        [],
    )
    assert request.client_hash and "127.0.0.1" not in request.client_hash  # a salted hash, never the address
    assert list(request.events.values_list("action", "to_status")) == [("submitted", "new")]
    assert AuditEvent.objects.filter(action="consultation.submit", object_id=str(request.pk)).exists()
    thanks = client.get(reverse("consultation:thanks")).content.decode()
    assert request.reference in thanks
    assert len(mail.outbox) == 1 and request.reference in mail.outbox[0].subject
    assert mail.outbox[0].to == ["jordan.avery@example.org"] and "988" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth"),
        ({"date_of_birth": "not a date"}, "date_of_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"preferred_contact_method": "email", "email": ""}, "email"),
        ({"preferred_contact_method": "text", "phone": ""}, "phone"),
        ({"preferred_contact_method": "pigeon"}, "preferred_contact_method"),
        ({"concern": "pain", "pain_type": ""}, "pain_type"),
        ({"concern": ""}, "concern"),
        ({"antidepressants_tried": "many"}, "antidepressants_tried"),
        ({"in_psychiatric_care": None}, "in_psychiatric_care"),
        ({"pregnancy": None}, "pregnancy"),
        ({"contraindications": "nonsense"}, "contraindications"),
        ({"consent_to_contact": None}, "consent_to_contact"),
        ({"details": "x" * 2001}, "details"),
        ({"location": "999999"}, "location"),
    ],
)
def test_bad_input_shows_the_field_error_and_writes_nothing(
    changes: dict[str, Any], field: str, main_st: Any, lakeside: Any
) -> None:
    before = AuditEvent.objects.count()
    response = Client().post(URL, form_data(main_st, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    assert not ConsultationRequest.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_form_needs_the_csrf_token(main_st: Any) -> None:
    response = Client(enforce_csrf_checks=True).post(URL, form_data(main_st))
    assert response.status_code == 403
    assert not ConsultationRequest.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_stores_nothing_and_is_audited(
    main_st: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(main_st, website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == reverse("consultation:thanks")
    thanks = client.get(reverse("consultation:thanks")).content.decode()
    assert "Your reference is" in thanks
    assert not ConsultationRequest.objects.exists() and mail.outbox == []
    event = AuditEvent.objects.get(action="consultation.honeypot")
    assert event.outcome == "denied" and event.object_id == ""


def test_the_rate_limit_refuses_with_a_readable_message_and_writes_nothing(main_st: Any, settings: Any) -> None:
    settings.KETACLINIC_CONSULTATION_RATE_LIMIT = 2
    client = Client(REMOTE_ADDR="198.51.100.20")
    for number in range(2):
        assert client.post(URL, form_data(main_st, family_name=f"Avery{number}")).status_code == 302
    refused = client.post(URL, form_data(main_st, family_name="Third"))
    assert refused.status_code == 429
    assert "several requests from your connection" in refused.content.decode()
    assert ConsultationRequest.objects.count() == 2
    assert AuditEvent.objects.filter(action="consultation.rate_limited", outcome="denied").count() == 1
    # Another address is not affected; the window passing frees the first one.
    assert Client(REMOTE_ADDR="198.51.100.21").post(URL, form_data(main_st)).status_code == 302
    ConsultationRequest.objects.update(submitted_at=timezone.now() - dt.timedelta(minutes=61))
    assert client.post(URL, form_data(main_st, family_name="Later")).status_code == 302


def test_red_flags_mark_the_request_for_clinical_review_and_never_reject(main_st: Any) -> None:
    response = Client().post(
        URL,
        form_data(
            main_st,
            contraindications=["brain_blood_vessels", "psychosis"],
            pregnancy="unsure",
            date_of_birth=(timezone.localdate() - dt.timedelta(days=365 * 17)).isoformat(),
        ),
    )
    assert response.status_code == 302
    request = ConsultationRequest.objects.get()
    assert request.status == "new" and request.needs_clinical_review
    assert [flag["code"] for flag in request.red_flags] == [
        "brain_blood_vessels",
        "psychosis",
        "pregnancy",
        "age_under_18",
    ]


def test_front_desk_moves_a_request_along_and_the_history_shows_every_step(
    carol: Any, alice: Any, main_st: Any, client: Any
) -> None:
    request = consultation_request(main_st)
    sign_in(client, carol)
    detail = reverse("intake:request_detail", args=[request.pk])
    assert (
        client.post(
            reverse("intake:request_status", args=[request.pk]), {"status": "contacted", "note": "Left a voicemail"}
        ).status_code
        == 302
    )
    when = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("intake:request_status", args=[request.pk]), {"status": "booked", "consultation_at": when}
    )
    assert response.status_code == 302
    client.post(reverse("intake:request_note", args=[request.pk]), {"note": "Prefers afternoons after all."})
    request.refresh_from_db()
    assert request.status == "booked" and request.consultation_at is not None and request.version == 3
    page = client.get(detail).content.decode()
    for text in (
        "Left a voicemail",
        "Prefers afternoons after all.",
        "contacted → <strong>booked</strong>",
        "Submitted",
    ):
        assert text in page
    assert AuditEvent.objects.filter(action="consultation.view", actor=carol).exists()
    assert list(request.events.values_list("action", flat=True)) == ["submitted", "status", "status", "note"]


@pytest.mark.parametrize(
    ("post", "field"),
    [
        ({"status": "converted"}, "status"),
        ({"status": "booked"}, "consultation_at"),
        ({"status": "declined"}, "decline_reason"),
        ({"status": "declined", "decline_reason": "other"}, "note"),
        ({"status": "declined", "decline_reason": "clinically_unsuitable"}, "decline_reason"),
        ({"status": "contacted", "note": "x" * 2001}, "note"),
    ],
)
def test_bad_triage_input_shows_the_field_error_and_changes_nothing(
    post: dict[str, str], field: str, carol: Any, main_st: Any, client: Any
) -> None:
    request = consultation_request(main_st)
    sign_in(client, carol)
    response = client.post(reverse("intake:request_status", args=[request.pk]), post)
    assert response.status_code == 200
    assert field in response.context["status_form"].errors, response.context["status_form"].errors
    request.refresh_from_db()
    assert request.status == "new" and request.version == 1 and request.events.count() == 1


def test_only_a_clinician_reviews_and_only_then_may_the_request_be_declined_as_unsuitable(
    carol: Any, alice: Any, main_st: Any
) -> None:
    request = consultation_request(main_st, contraindications=["liver_disease"])
    with pytest.raises(PermissionDenied):
        consultation.record_clinical_review(by=carol, request=request, note="Looks fine")
    consultation.record_clinical_review(by=alice, request=request, note="Severe cirrhosis: not a candidate.")
    declined = consultation.change_status(
        by=carol, request=request, to_status="declined", decline_reason="clinically_unsuitable"
    )
    assert declined.status == "declined" and declined.clinical_reviewed_by == alice
    with pytest.raises(Exception, match="cannot move"):
        consultation.change_status(by=carol, request=declined, to_status="contacted")


def test_a_request_at_another_location_is_404(erin: Any, lakeside: Any, main_st: Any, client: Any) -> None:
    request = consultation_request(main_st)
    sign_in(client, erin)
    assert client.get(reverse("intake:request_detail", args=[request.pk])).status_code == 404
    assert client.post(reverse("intake:request_status", args=[request.pk]), {"status": "contacted"}).status_code == 404
    assert client.get(reverse("intake:request_list")).context["page"].paginator.count == 0


def test_converting_registers_the_patient_without_retyping(carol: Any, bob: Any, main_st: Any, client: Any) -> None:
    request = consultation_request(main_st)
    request = consultation.change_status(by=carol, request=request, to_status="contacted")
    sign_in(client, carol)
    url = reverse("intake:request_convert", args=[request.pk])
    page = client.get(url)
    form = page.context["form"]
    assert (form["given_name"].value(), form["family_name"].value(), form["email"].value()) == (
        "Jordan",
        "Avery",
        "jordan.avery@example.org",
    )
    data = {name: form[name].value() or "" for name in form.fields if name != "acknowledge_duplicates"}
    data.update(location=main_st.pk, primary_clinician=bob.pk, date_of_birth="1986-06-14", version=request.version)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    patient = Patient.objects.get(family_name="Avery")
    assert response.status_code == 302 and response["Location"] == reverse("patients:chart", args=[patient.pk])
    assert (patient.date_of_birth, patient.sex, patient.phone, patient.primary_clinician) == (
        dt.date(1986, 6, 14),
        "female",
        "(217) 555-0177",
        bob,
    )
    request.refresh_from_db()
    assert request.status == "converted" and request.patient == patient
    assert request.events.last().action == "converted"
    assert AuditEvent.objects.filter(action="consultation.convert", patient_id=patient.pk).exists()


def test_duplicates_are_detected_and_must_be_acknowledged_or_linked(carol: Any, main_st: Any, lakeside: Any) -> None:
    existing = make_patient(main_st, given_name="Jordan", family_name="Avery", date_of_birth=dt.date(1986, 6, 14))
    make_patient(lakeside, given_name="Other", family_name="Person", email="jordan.avery@example.org")
    request = consultation_request(main_st)
    duplicates = consultation.find_duplicates(request, carol)
    assert duplicates.visible == [existing] and duplicates.elsewhere == 1
    consultation.change_status(by=carol, request=request, to_status="contacted")
    data = consultation.patient_data_from(request)
    with pytest.raises(Exception, match="Possible existing patient"):
        consultation.convert_request(by=carol, request=request, location=main_st, data=data)
    assert Patient.objects.filter(family_name="Avery").count() == 1
    linked = consultation.link_to_patient(by=carol, request=request, patient=existing)
    assert linked.status == "converted" and linked.patient == existing
    assert ConsultationEvent.objects.filter(request=request, action="linked").exists()


def test_a_different_person_with_the_same_name_can_still_be_registered(carol: Any, main_st: Any) -> None:
    make_patient(main_st, given_name="Jordan", family_name="Avery", date_of_birth=dt.date(1986, 6, 14))
    request = consultation_request(main_st)
    consultation.change_status(by=carol, request=request, to_status="booked", consultation_at=timezone.now())
    patient = consultation.convert_request(
        by=carol,
        request=request,
        location=main_st,
        data=consultation.patient_data_from(request),
        acknowledge_duplicates=True,
    )
    assert Patient.objects.filter(family_name="Avery").count() == 2 and patient.mrn


def test_a_new_request_cannot_be_converted_before_contact(carol: Any, main_st: Any, client: Any) -> None:
    request = consultation_request(main_st)
    sign_in(client, carol)
    response = client.get(reverse("intake:request_convert", args=[request.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("intake:request_detail", args=[request.pk])


def test_the_queue_filters_and_searches(carol: Any, main_st: Any, client: Any) -> None:
    consultation_request(main_st, family_name="Flagged", contraindications=["psychosis"], client_ip="203.0.113.1")
    quiet = consultation_request(main_st, family_name="Quiet", client_ip="203.0.113.2")
    consultation.change_status(
        by=carol, request=quiet, to_status="declined", decline_reason="withdrew", note="Changed their mind"
    )
    sign_in(client, carol)
    names = lambda response: [r.family_name for r in response.context["page"].object_list]  # noqa: E731
    assert names(client.get(reverse("intake:request_list"))) == ["Flagged"]
    assert names(client.get(reverse("intake:request_list"), {"status": ""})) == ["Quiet", "Flagged"]
    assert names(client.get(reverse("intake:request_list"), {"status": "", "review": "on"})) == ["Flagged"]
    assert names(client.get(reverse("intake:request_list"), {"status": "", "q": "quie"})) == ["Quiet"]
    dashboard = client.get(reverse("web:dashboard")).content.decode()
    assert "need clinical review" in dashboard


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"email": "nope"}, "email"), ({"state": "Illinois"}, "state"), ({"given_name": ""}, "given_name")],
)
def test_the_convert_form_shows_field_errors_and_registers_nobody(
    changes: dict[str, str], field: str, carol: Any, main_st: Any, client: Any
) -> None:
    request = consultation.change_status(by=carol, request=consultation_request(main_st), to_status="contacted")
    sign_in(client, carol)
    data = {
        **{key: str(value) for key, value in consultation.patient_data_from(request).items()},
        "location": main_st.pk,
        "version": request.version,
        **changes,
    }
    response = client.post(reverse("intake:request_convert", args=[request.pk]), data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Patient.objects.exists()
    request.refresh_from_db()
    assert request.status == "contacted"


def test_empty_notes_and_reviews_are_refused(carol: Any, alice: Any, main_st: Any, client: Any) -> None:
    request = consultation_request(main_st, contraindications=["psychosis"])
    sign_in(client, carol)
    response = client.post(reverse("intake:request_note", args=[request.pk]), {"note": ""})
    assert response.status_code == 200 and "note" in response.context["note_form"].errors
    assert client.post(reverse("intake:request_review", args=[request.pk]), {"note": "ok"}).status_code == 403
    sign_in(client, alice)
    response = client.post(reverse("intake:request_review", args=[request.pk]), {"note": ""})
    assert response.status_code == 200 and "note" in response.context["review_form"].errors
    assert request.events.count() == 1 and not ConsultationRequest.objects.get().is_clinically_reviewed
    response = client.post(reverse("intake:request_review", args=[request.pk]), {"note": "Book with a prescriber."})
    assert response.status_code == 302 and ConsultationRequest.objects.get().is_clinically_reviewed


def test_a_double_click_on_the_public_form_stores_one_request_and_says_so(main_st: Any, settings: Any) -> None:
    client = Client(REMOTE_ADDR="198.51.100.30")
    page = client.get(URL)
    token = str(page.context["form"]["token"].value())
    assert f'name="token" value="{token}"' in page.content.decode()
    data = {**form_data(main_st), "token": token}
    first = client.post(URL, data)
    again = client.post(URL, data)
    assert first.status_code == again.status_code == 302
    assert ConsultationRequest.objects.count() == 1
    thanks = client.get(reverse("consultation:thanks")).content.decode()
    assert "Already saved" in thanks and "Nothing was changed or added" in thanks


def test_the_rate_limit_is_audited_when_the_form_carries_its_token(main_st: Any, settings: Any) -> None:
    settings.KETACLINIC_CONSULTATION_RATE_LIMIT = 1
    client = Client(REMOTE_ADDR="198.51.100.31")
    assert client.post(URL, {**form_data(main_st), "token": str(uuid.uuid4())}).status_code == 302
    refused = client.post(URL, {**form_data(main_st, family_name="Again"), "token": str(uuid.uuid4())})
    assert refused.status_code == 429
    assert AuditEvent.objects.filter(action="consultation.rate_limited", outcome="denied").count() == 1
