"""Back and resubmit (or a double click) saves an intake row once and says so plainly (issue 15): every create form
carries the one-time token of ``accounts.forms.OnceForm``, the mechanism the chair forms already use."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.urls import reverse

from ketaclinic.accounts.errors import ALREADY_SAVED
from ketaclinic.intake.models import ConsultationEvent, EligibilityDecision, InstrumentResponse
from ketaclinic.intake.services import assessment as intake
from ketaclinic.intake.services import consultation
from ketaclinic.patients.models import Patient
from tests.conftest import sign_in
from tests.intake.factories import PHQ9_MILD, consultation_request, submitted_intake


def _token(client: Any, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    token = str(form["token"].value())
    assert f'name="token" value="{token}"' in page.content.decode()  # the hidden input is on the page
    return token


def _twice(client: Any, url: str, data: dict[str, Any]) -> tuple[Any, Any]:
    first = client.post(url, data)
    again = client.post(url, data)
    return first, again


def _said_already_saved(client: Any, response: Any) -> bool:
    return ALREADY_SAVED in [str(m) for m in get_messages(response.wsgi_request)]


def test_a_resubmitted_trial_is_saved_once_and_the_user_is_told(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    url = reverse("intake:trial_create", args=[draft.pk])
    post = {
        "drug": "sertraline",
        "dose": "150 mg",
        "weeks_at_dose": "8",
        "adequate_dose": "on",
        "outcome": "no_response",
        "current_episode": "on",
        "token": _token(client, url),
    }
    first, again = _twice(client, url, post)
    assert first.status_code == 302 and again.status_code == 302
    assert again.url == first.url  # back where the first submission went
    assert draft.trials.count() == 1
    assert _said_already_saved(client, again)
    page = client.get(again.url).content.decode()
    assert "Already saved" in page and "Nothing was changed or added" in page


def test_a_resubmitted_medication_line_and_scale_are_saved_once(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    url = reverse("intake:medications", args=[draft.pk])
    post = {"action": "add", "generic_name": "Bupropion", "dose": "150 mg", "frequency": "daily"}
    _twice(client, url, {**post, "token": _token(client, url)})
    assert draft.medications.filter(generic_name="bupropion").count() == 1

    url = reverse("intake:instrument", args=[draft.pk, "phq9"])
    answers = {f"item_{n}": str(v) for n, v in enumerate(PHQ9_MILD, start=1)}
    first, again = _twice(client, url, {**answers, "token": _token(client, url)})
    assert first.status_code == again.status_code == 302
    # Re-entering a scale replaces the earlier entry: a replay would have withdrawn the first and stored a second.
    assert InstrumentResponse.objects.filter(assessment=draft, instrument="phq9").count() == 1
    assert _said_already_saved(client, again)


def test_a_mistake_then_a_corrected_resubmit_with_the_same_token_saves(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    url = reverse("intake:trial_create", args=[draft.pk])
    token = _token(client, url)
    bad = client.post(url, {"drug": "sertraline", "weeks_at_dose": "8", "outcome": "no_response", "token": token})
    assert bad.status_code == 200 and not draft.trials.exists()
    good = {"drug": "sertraline", "dose": "100 mg", "weeks_at_dose": "8", "outcome": "no_response", "token": token}
    assert client.post(url, good).status_code == 302
    assert draft.trials.count() == 1


def test_a_resubmitted_triage_note_and_conversion_happen_once(carol: Any, main_st: Any, client: Any) -> None:
    item = consultation_request(main_st)
    consultation.change_status(by=carol, request=item, to_status="contacted")
    sign_in(client, carol)
    detail = reverse("intake:request_detail", args=[item.pk])
    token = str(client.get(detail).context["note_form"]["token"].value())
    url = reverse("intake:request_note", args=[item.pk])
    _twice(client, url, {"note": "Left a voicemail.", "token": token})
    assert ConsultationEvent.objects.filter(request=item, note="Left a voicemail.").count() == 1

    url = reverse("intake:request_convert", args=[item.pk])
    page = client.get(url)
    form = page.context["form"]
    item.refresh_from_db()
    post = {
        "given_name": "Jordan",
        "family_name": "Avery",
        "date_of_birth": "1986-06-14",
        "sex": "female",
        "location": str(main_st.pk),
        "version": str(item.version),
        "token": str(form["token"].value()),
    }
    first, again = _twice(client, url, post)
    assert first.status_code == again.status_code == 302 and again.url == first.url
    assert _said_already_saved(client, again)
    assert Patient.objects.filter(given_name="Jordan", family_name="Avery").count() == 1


def test_a_signature_sent_twice_signs_one_version(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    submitted_intake(patient=pat, clinician=alice)
    sign_in(client, bob)
    url = reverse("intake:eligibility_review", args=[pat.pk])
    token = _token(client, url)
    post = {"outcome": "eligible", "routes": ["iv"], "token": token}
    first, again = _twice(client, url, post)
    assert first.status_code == again.status_code == 302 and again.url == first.url
    assert EligibilityDecision.objects.filter(patient=pat).count() == 1
    assert _said_already_saved(client, again)
