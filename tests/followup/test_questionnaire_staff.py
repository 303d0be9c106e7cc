"""Staff side of questionnaire links: the patient's links page (send now, revoke with a reason) and the REST API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup.models import QuestionnaireLink
from tests.conftest import sign_in
from tests.followup.questionnaire_factories import send_link

pytestmark = pytest.mark.django_db
API = "/api/v1/outcomes/questionnaire-links"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def links_url(patient: Any) -> str:
    return reverse("questionnaires:patient_links", kwargs={"patient_id": patient.pk})


def test_a_nurse_sends_a_link_now_and_sees_its_status(pat: Any, alice: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(links_url(pat), {"instruments": ["phq9", "pain_nrs"]})
    assert response.status_code == 302
    link = QuestionnaireLink.objects.get()
    assert (link.purpose, link.instruments, link.created_by) == ("manual", ["phq9", "pain_nrs"], alice)
    assert mail.outbox[-1].to == [pat.email]
    page = client.get(links_url(pat)).content.decode()
    assert "Questionnaire link sent (E-mail)" in page and "q-status-sent" in page and "p***@example.org" in page
    assert AuditEvent.objects.filter(action="questionnaire.list", actor=alice, patient_id=pat.pk).exists()


def test_choosing_no_scale_is_refused(pat: Any, alice: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(links_url(pat), {})
    assert response.status_code == 200 and "instruments" in response.context["form"].errors
    assert not QuestionnaireLink.objects.exists()


def test_revoking_needs_a_reason_and_shows_as_revoked(pat: Any, alice: Any, client: Any) -> None:
    link, _ = send_link(pat)
    sign_in(client, alice)
    url = reverse("questionnaires:revoke", kwargs={"patient_id": pat.pk})
    client.post(url, {"link": link.pk, "reason": ""})
    link.refresh_from_db()
    assert link.revoked_at is None
    assert client.post(url, {"link": link.pk, "reason": "Wrong address"}).status_code == 302
    link.refresh_from_db()
    assert (link.revoked_by, link.revoked_reason) == (alice, "Wrong address")
    page = client.get(links_url(pat)).content.decode()
    assert "q-status-revoked" in page and "Wrong address" in page
    client.post(url, {"link": link.pk, "reason": "again"})
    assert "already completed or revoked" in client.get(links_url(pat)).content.decode()


def test_other_locations_are_404_and_front_desk_is_403(
    pat: Any, lake: Any, alice: Any, carol: Any, erin: Any, client: Any
) -> None:
    link, _ = send_link(pat)
    sign_in(client, erin)
    assert client.get(links_url(pat)).status_code == 404
    revoke = reverse("questionnaires:revoke", kwargs={"patient_id": pat.pk})
    assert client.post(revoke, {"link": link.pk, "reason": "x"}).status_code == 404
    sign_in(client, alice)
    other = reverse("questionnaires:revoke", kwargs={"patient_id": pat.pk})
    assert client.post(other, {"link": 999999, "reason": "x"}).status_code == 404
    sign_in(client, carol)
    assert client.get(links_url(pat)).status_code == 403
    assert client.post(revoke, {"link": link.pk, "reason": "x"}).status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_api_lists_links_without_tokens_and_sends_one(pat: Any, alice: Any) -> None:
    _, token = send_link(pat)
    api = Client()
    listed = api.get(f"{API}/patient/{pat.pk}", **bearer(alice))
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1 and body["items"][0]["status"] == "sent"
    assert token not in listed.content.decode() and "token" not in listed.content.decode()
    url, key = f"{API}/patient/{pat.pk}/send", {"HTTP_IDEMPOTENCY_KEY": "send-gad7-1"}
    assert api.post(url, {"instruments": ["gad7"]}, content_type="application/json", **bearer(alice)).status_code == 400
    sent = api.post(url, {"instruments": ["gad7"]}, content_type="application/json", **key, **bearer(alice))
    assert sent.status_code == 201 and sent.json()["instruments"] == ["gad7"]
    assert sent.json()["channel"] == "email" and "token" not in sent.content.decode()
    # A retry (a lost response) replays the answer: no second message, no second link.
    messages = len(mail.outbox)
    again = api.post(url, {"instruments": ["gad7"]}, content_type="application/json", **key, **bearer(alice))
    assert again.status_code == 201 and again.json()["id"] == sent.json()["id"] and len(mail.outbox) == messages


def test_the_api_refusals(pat: Any, lake: Any, alice: Any, carol: Any) -> None:
    api = Client()
    assert api.get(f"{API}/patient/{pat.pk}").status_code == 401
    assert api.get(f"{API}/patient/{pat.pk}", **bearer(carol)).status_code == 403
    assert api.get(f"{API}/patient/{lake.pk}", **bearer(alice)).status_code == 404
    bad = api.post(
        f"{API}/patient/{pat.pk}/send",
        {"instruments": ["madrs"]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="bad-1",
        **bearer(alice),
    )
    assert bad.status_code == 422 and "instruments" in bad.content.decode()
    assert not QuestionnaireLink.objects.exists()


def test_the_routes_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths[f"{API}/patient/{{patient_id}}"]) == {"get"}
    assert set(paths[f"{API}/patient/{{patient_id}}/send"]) == {"post"}
    schema = paths[f"{API}/patient/{{patient_id}}/send"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(schema["responses"])
