"""Portal fixtures: pat (Main) with a booked esketamine visit, and a second Main patient, other, with her own visit
and questionnaire; every object made through the real services (STYLE.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from ketaclinic.outcomes import sms
from tests.conftest import make_patient
from tests.scheduling.conftest import day, esk_order, floor, local, ready  # noqa: F401  (fixtures used here)

LINK = re.compile(r"https?://[^/\s]+(/portal/login/[\w-]+/)")
PAT_DOB = dt.date(1980, 4, 30)


@pytest.fixture(autouse=True)
def outboxes(settings: Any) -> None:
    settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.LocmemSmsBackend.outbox.clear()


@pytest.fixture
def visit(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], esk_order: Any, day: dt.date) -> Any:  # noqa: F811
    from ketaclinic.scheduling import services

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


@pytest.fixture
def other(main_st: Any) -> Any:
    return make_patient(
        main_st,
        given_name="Olive",
        family_name="Other",
        email="olive@example.org",
        phone="(217) 555-0188",
        date_of_birth=dt.date(1970, 1, 15),
    )


@pytest.fixture
def other_visit(carol: Any, other: Any, main_st: Any, floor: dict[str, Any], day: dt.date) -> Any:  # noqa: F811
    from ketaclinic.scheduling import services

    return services.book(by=carol, patient=other, kind="consultation", location=main_st, start=local(day, 11))


def questionnaire_for(patient: Any, key: str) -> Any:
    from ketaclinic.followup.services import questionnaires

    return questionnaires.issue_link(
        by=None,
        patient=patient,
        purpose="follow_up",
        scales=["phq9"],
        schedule_key=key,
        due_on=timezone.localdate(),
        expires_at=timezone.now() + dt.timedelta(days=2),
    ).link


def link_from_outbox() -> str:
    found = LINK.search(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def ask_for_link(client: Any, address: str) -> Any:
    """POST the sign-in form; the link is sent once the transaction commits (``on_commit``), which tests run here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/portal/login/", {"address": address})


def sign_in_as(client: Any, patient: Any, dob: dt.date | None = None) -> Any:
    """Sign in through the real flow: ask for a link by e-mail, open it, give the date of birth."""
    ask_for_link(client, patient.email)
    path = link_from_outbox()
    response = client.post(path, {"date_of_birth": (dob or patient.date_of_birth).isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
