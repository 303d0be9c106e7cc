"""The signed session note as a PDF through the one document path: the signed text, the letterhead and the patient's
identifiers on every page, "Page X of Y", who produced it; only once signed; audited; another location's nurse 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from tests.consents.conftest import pdf_pages, pdf_tools_available
from tests.infusions.conftest import fresh
from tests.infusions.test_discharge import (  # noqa: F401  (fixtures used by name)
    clock,
    discharge,
    dosed_esk,
    observed_iv,
    vitals,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not pdf_tools_available(), reason="PDF TESTS NOT RUN: pango is missing"),
]


def test_the_signed_note_downloads_as_a_pdf(client_as: Any, alice: Any, bob: Any, erin: Any, observed_iv: Any) -> None:  # noqa: F811
    session = discharge(observed_iv, alice)
    url = reverse("infusions:note_pdf", args=[session.pk])
    assert client_as(alice).get(url).status_code == 404  # a draft note is not filed as a document
    services.sign_note(by=bob, session=session, version=session.version)
    response = client_as(alice).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="session-note-')
    assert response["X-Content-Type-Options"] == "nosniff"
    pages = pdf_pages(response.content)
    patient = session.patient
    for number, text in enumerate(pages, start=1):
        for expected in (
            "Test Clinic",
            "Patient: Pat Rivera",
            f"MRN {patient.mrn}",
            "DOB 1980-04-30",
            f"Page {number} of {len(pages)}",
            "Produced by Alice Test, RN on",
        ):
            assert expected in text, (number, expected)
    whole = "\n".join(pages)
    assert "TREATMENT SESSION NOTE" in whole and "Signed by Bob Test, MD" in whole
    assert AuditEvent.objects.filter(action="session.note.pdf", actor=alice, patient_id=patient.pk).exists()
    assert client_as(erin).get(url).status_code == 404


def test_the_submitted_rems_form_downloads_as_a_copy(
    client_as: Any,
    alice: Any,
    bob: Any,
    dosed_esk: Any,  # noqa: F811
    clock: Any,  # noqa: F811
) -> None:
    clock.shift(dt.timedelta(minutes=40))
    vitals(dosed_esk, alice, systolic_mmhg=140)
    clock.shift(dt.timedelta(minutes=81))
    vitals(dosed_esk, alice, systolic_mmhg=128)
    session = services.sign_note(by=bob, session=discharge(dosed_esk, alice), version=None)
    url = reverse("infusions:rems_pdf", args=[session.pk])
    assert client_as(alice).get(url).status_code == 404  # not yet submitted
    session = services.submit_rems(by=alice, session=fresh(session), version=None, confirmation="RMS-0042")
    response = client_as(bob).get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    text = " ".join(" ".join(page.split()) for page in pdf_pages(response.content))
    for expected in (
        "Spravato REMS Patient Monitoring Form (copy)",
        "RMS-0042",
        "140/",
        "128/",
        "ESK7",
        f"MRN {session.patient.mrn}",
        "Page 1 of",
        "Produced by Bob Test, MD",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="session.rems.pdf", actor=bob).exists()
