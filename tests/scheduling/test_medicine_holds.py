"""Medicines to hold before each visit, per plan version: the prescriber lists them on the draft (in their own
words; no published hold times exist), they lock with the signed version, carry into an amendment, appear in the
pre-visit checklist of confirmations and reminders, and at the chair's check-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.plans import services as plans
from ketaclinic.plans.models import PlanVersion
from ketaclinic.scheduling import services
from ketaclinic.scheduling.services import reminders
from tests.conftest import make_user, sign_in
from tests.infusions.conftest import clinic_zone, first_order
from tests.plans.conftest import iv_input
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db

BZD = ("clonazepam", "skip the evening dose before your visit")


@pytest.fixture
def draft(ready: Any, bob: Any) -> PlanVersion:
    with clinic_zone(ready):
        return plans.save_draft(by=bob, patient=ready, data=iv_input())


def _signed_with_hold(draft: PlanVersion, bob: Any) -> PlanVersion:
    plans.add_medicine_hold(by=bob, version=draft, medicine=BZD[0], instruction=BZD[1])
    with clinic_zone(draft.plan.patient):
        return plans.sign(by=bob, version=draft)


def test_the_prescriber_lists_holds_on_the_draft_audited(bob: Any, draft: PlanVersion) -> None:
    version = plans.add_medicine_hold(by=bob, version=draft, medicine="  clonazepam ", instruction=BZD[1])
    version = plans.add_medicine_hold(
        by=bob, version=version, medicine="Lisdexamfetamine", instruction="skip the morning dose on the day"
    )
    assert [h["medicine"] for h in PlanVersion.objects.get(pk=draft.pk).medicine_holds] == [
        "clonazepam",
        "Lisdexamfetamine",
    ]
    assert AuditEvent.objects.filter(action="plan.hold_add", object_id=str(draft.pk)).count() == 2
    version = plans.remove_medicine_hold(by=bob, version=version, index=1)
    assert version.medicine_holds == [{"medicine": BZD[0], "instruction": BZD[1]}]
    assert AuditEvent.objects.get(action="plan.hold_remove").detail["medicine"] == "Lisdexamfetamine"


@pytest.mark.parametrize(
    ("medicine", "instruction", "field"),
    [("", "skip", "medicine"), ("clonazepam", " ", "instruction"), ("x" * 101, "skip", "medicine")],
)
def test_bad_holds_are_refused_and_change_nothing(
    bob: Any, draft: PlanVersion, medicine: str, instruction: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        plans.add_medicine_hold(by=bob, version=draft, medicine=medicine, instruction=instruction)
    assert field in info.value.message_dict
    assert PlanVersion.objects.get(pk=draft.pk).medicine_holds == []


def test_a_medicine_is_listed_once(bob: Any, draft: PlanVersion) -> None:
    plans.add_medicine_hold(by=bob, version=draft, medicine=BZD[0], instruction=BZD[1])
    with pytest.raises(ValidationError, match="already listed"):
        plans.add_medicine_hold(by=bob, version=draft, medicine="Clonazepam", instruction="none the day before")


def test_signed_means_locked_and_an_amendment_carries_them(bob: Any, alice: Any, draft: PlanVersion) -> None:
    signed = _signed_with_hold(draft, bob)
    with pytest.raises(ValidationError, match="locked"):
        plans.add_medicine_hold(by=bob, version=signed, medicine="alprazolam", instruction="skip")
    with pytest.raises(ValidationError, match="locked"):
        plans.remove_medicine_hold(by=bob, version=signed, index=0)
    with pytest.raises(PermissionDenied, match=r"plans\.write"):
        plans.add_medicine_hold(by=alice, version=draft, medicine="alprazolam", instruction="skip")
    with clinic_zone(signed.plan.patient):
        amendment = plans.amend(by=bob, signed=signed, data=iv_input(), reason="review")
    assert amendment.medicine_holds == [{"medicine": BZD[0], "instruction": BZD[1]}]
    plans.remove_medicine_hold(by=bob, version=amendment, index=0)
    assert PlanVersion.objects.get(pk=signed.pk).medicine_holds == [{"medicine": BZD[0], "instruction": BZD[1]}]


def test_the_domain_checklist_puts_the_prescribers_holds_first() -> None:
    items = plan.checklist("infusion_iv", holds=[BZD, ("alprazolam", "none on the day!")])
    assert items[0] == plan.ChecklistItem("clonazepam: skip the evening dose before your visit.", plan.HOLD_SOURCE)
    assert items[1].text == "alprazolam: none on the day!"
    assert "take you home" in items[2].text
    assert plan.checklist("consultation", holds=[]) == ()


def test_confirmations_and_reminders_include_them(
    carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], draft: PlanVersion, day: Any
) -> None:
    order = first_order(_signed_with_hold(draft, bob))
    appointment = services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 9),
        chair=floor["chair1"],
        order=order,
    )
    text = reminders.compose(appointment, "confirmation", "https://clinic.example/a/x/")
    # A message others may read never lists the medicines: it sends the patient to the visit page, which does.
    assert "clonazepam" not in text.email and "clonazepam" not in text.sms
    assert "- Your prescriber has asked you to hold 1 medicine before this visit" in text.email
    assert "hold 1 medicine before this visit" in text.sms
    page_items = [item.text for item in reminders.checklist_for(appointment)]
    assert page_items[0] == "clonazepam: skip the evening dose before your visit."
    consult = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 12))
    assert "clonazepam" not in reminders.compose(consult, "confirmation", "https://clinic.example/a/y/").email


def test_the_chairs_check_in_shows_them(client: Any, alice: Any, bob: Any, draft: PlanVersion) -> None:
    from ketaclinic.infusions import services as infusions

    order = first_order(_signed_with_hold(draft, bob))
    session = infusions.create_session(by=alice, order=order, chair="Chair 3")
    sign_in(client, alice)
    page = client.get(reverse("infusions:session", args=[session.pk])).content.decode()
    assert "Medicines to hold before the visit" in page and 'data-testid="checkin-holds"' in page
    assert "<strong>clonazepam</strong>: skip the evening dose before your visit" in page


class TestPlanPage:
    def test_the_prescriber_adds_and_removes_on_the_page(self, client: Any, bob: Any, draft: PlanVersion) -> None:
        sign_in(client, bob)
        page = client.get(reverse("plans:version", args=[draft.pk])).content.decode()
        assert "Medicines to hold before each visit" in page and "No published hold times exist" in page
        response = client.post(
            reverse("plans:hold_add", args=[draft.pk]), {"medicine": BZD[0], "instruction": BZD[1]}, follow=True
        )
        assert "Added clonazepam to the medicines to hold." in response.content.decode()
        response = client.post(reverse("plans:hold_add", args=[draft.pk]), {"medicine": "diazepam"})
        assert response.status_code == 422 and "This field is required." in response.content.decode()
        client.post(reverse("plans:hold_remove", args=[draft.pk, 0]))
        assert PlanVersion.objects.get(pk=draft.pk).medicine_holds == []

    def test_a_signed_version_shows_them_locked(self, client: Any, bob: Any, draft: PlanVersion) -> None:
        signed = _signed_with_hold(draft, bob)
        sign_in(client, bob)
        page = client.get(reverse("plans:version", args=[signed.pk])).content.decode()
        assert "<strong>clonazepam</strong>: skip the evening dose before your visit" in page
        assert "Locked with the signed version" in page and reverse("plans:hold_add", args=[signed.pk]) not in page
        response = client.post(reverse("plans:hold_add", args=[signed.pk]), {"medicine": "x", "instruction": "y"})
        assert response.status_code == 422 and "signed and locked" in response.content.decode()

    def test_access_a_nurse_403_another_location_404(
        self, client: Any, alice: Any, clinic: Any, lakeside: Any, draft: PlanVersion
    ) -> None:
        url = reverse("plans:hold_add", args=[draft.pk])
        sign_in(client, alice)
        assert client.post(url, {"medicine": "x", "instruction": "y"}).status_code == 403
        client.logout()
        from ketaclinic.accounts import services as accounts

        gail = make_user("gail", "prescriber", clinic, [lakeside], title="MD")
        accounts.add_licence(
            by=None,
            user=gail,
            kind="medical",
            number="036.777777",
            state="IL",
            expires_on=dt.date.today() + dt.timedelta(days=365),
        )
        sign_in(client, gail)
        assert client.post(url, {"medicine": "x", "instruction": "y"}).status_code == 404
        assert client.post(reverse("plans:hold_remove", args=[draft.pk, 0])).status_code == 404
        assert PlanVersion.objects.get(pk=draft.pk).medicine_holds == []
