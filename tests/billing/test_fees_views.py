"""The fee schedule pages: a new version starts as a copy of the latest; a negative fee is refused with a message and
nothing is written; the history lists every version."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketaclinic.billing.models import FeeSchedule


def _post_rows(schedule: Any, **amounts: str) -> dict[str, Any]:
    fees = list(schedule.fees.all())
    return {
        "effective_from": "2027-01-01",
        "note": "New year",
        "service": [f.service for f in fees],
        "label": [f.label for f in fees],
        "code": [f.code for f in fees],
        "sessions": [str(f.sessions) for f in fees],
        "covers": [f.covers for f in fees],
        "amount": [amounts.get(f.service.replace(":", "_"), str(f.amount)) for f in fees],
    }


def test_new_version_from_the_form(client_as: Any, dave: Any, schedule: Any) -> None:
    client = client_as(dave)
    url = reverse("billing:fee_schedule_create") + f"?location={schedule.location_id}"
    form = client.get(url)
    assert b'value="2400.00"' in form.content and b"Copied from version 1" in form.content
    answer = client.post(url, _post_rows(schedule, consultation="275.00"))
    new = FeeSchedule.objects.get(version=2)
    assert answer["Location"] == reverse("billing:fee_schedule", args=[new.pk])
    assert new.fees.get(service="consultation").amount == 275
    history = client.get(reverse("billing:fee_schedules") + f"?location={schedule.location_id}")
    assert b"v1" in history.content and b"v2" in history.content


def test_negative_fee_is_refused_on_the_page(client_as: Any, dave: Any, schedule: Any) -> None:
    url = reverse("billing:fee_schedule_create") + f"?location={schedule.location_id}"
    answer = client_as(dave).post(url, _post_rows(schedule, consultation="-5"))
    assert answer.status_code == 400 and b"cannot be negative" in answer.content
    assert FeeSchedule.objects.count() == 1
