"""Helpers for the questionnaire tests: links issued and sent through the real services, the token read back from the
message the patient received (the only place it exists)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core import mail
from django.utils import timezone

BASE = "http://testserver"
PHQ9_ITEM9 = [0, 1, 0, 1, 0, 0, 1, 0, 1]  # total 4, item 9 "several days"
PHQ9_CALM = [1, 1, 0, 0, 1, 0, 0, 0, 0]
GAD7 = [1, 1, 1, 0, 0, 1, 0]
TOKEN_IN_URL = re.compile(r"/q/([A-Za-z0-9_-]+)/")


def token_from(body: str) -> str:
    found = TOKEN_IN_URL.search(body)
    assert found, body
    return found.group(1)


def send_link(
    patient: Any,
    *,
    scales: tuple[str, ...] = ("phq9", "gad7"),
    key: str | None = None,
    expires_in: dt.timedelta = dt.timedelta(hours=72),
) -> tuple[Any, str]:
    """Issue a manual link and send it by e-mail; return (link, raw token)."""
    from ketaclinic.followup.services import questionnaires as service

    issued = service.issue_link(
        by=None,
        patient=patient,
        purpose="manual",
        scales=scales,
        schedule_key=key or f"test:{timezone.now().timestamp()}:{len(mail.outbox)}",
        due_on=timezone.localdate(),
        expires_at=timezone.now() + expires_in,
    )
    delivery = service.send_link(by=None, link=issued.link, base_url=BASE)
    assert delivery.sent, delivery.error
    issued.link.refresh_from_db()
    return issued.link, token_from(mail.outbox[-1].body)


def form_data(answers: dict[str, list[Any]]) -> dict[str, str]:
    data = {}
    for scale, values in answers.items():
        for number, value in enumerate(values, start=1):
            if value is not None:
                data[f"{scale}_{number}"] = str(value)
    return data


def signed_plan(patient: Any, prescriber: Any, **changes: Any) -> Any:
    """A signed IV plan (session 1 today in the clinic's zone); returns the signed version."""
    from ketaclinic.plans import services as plans
    from tests.infusions.conftest import clinic_zone, make_ready_patient
    from tests.plans.conftest import iv_input

    make_ready_patient(patient, prescriber)
    with clinic_zone(patient):
        version = plans.save_draft(by=prescriber, patient=patient, data=iv_input(**changes))
        return plans.sign(by=prescriber, version=version)
