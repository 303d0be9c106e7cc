"""Issue 15 item 1, "any IV dose can be signed": the label's anaesthetic dose is never signable, above the protocol's
range needs a written reason AND a second prescriber's co-signature, and the drug must fit its bag."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import evaluate
from ketaclinic.plans.models import PlanVersion, SessionOrder
from tests.plans.conftest import cosign, iv_input, make_second_prescriber

D = Decimal
REASON = "Partial response at 0.5 mg/kg after 4 infusions; discussed with patient"


def test_the_reported_50_mg_per_kg_plan_can_never_be_signed(bob: Any, frank: Any, ready: Any) -> None:
    """80 kg × 50 mg/kg = 4,000 mg over 40 min = 1.25 mg/kg/min, above the label's 0.5 mg/kg/min (Ketalar §2.2)."""
    everything = dict.fromkeys(("dose_above_range", "infusion_ceiling_exceeded", "anaesthetic_rate"), "Clinical need")
    data = iv_input(dose_mg_per_kg=D("50"), concentration_mg_per_ml=D("100"), overrides=everything)
    version = services.save_draft(by=bob, patient=ready, data=data)
    blocking = [f for f in version.findings if f["blocking"]]
    assert [f["code"] for f in blocking] == ["anaesthetic_rate"]
    assert blocking[0]["absolute"] and "cannot be signed" in blocking[0]["message"]
    assert "Ketalar US label §2.2" in blocking[0]["source"]
    with pytest.raises(ValidationError, match="Cannot sign: Above the label's anaesthetic dose"):
        services.sign(by=bob, version=version, cosignature=cosign(frank, bob, ready))
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.DRAFT and not SessionOrder.objects.exists()


def test_a_drug_volume_that_does_not_fit_the_bag_is_refused_naming_what_would_fit(bob: Any, ready: Any) -> None:
    """The reported order read "410 mL of 10 mg/mL into a 100 mL bag"."""
    data = iv_input(dose_mg_per_kg=D("0.5"), bag_volume_ml=D("2"))  # 40 mg = 4 mL of 10 mg/mL
    with pytest.raises(ValidationError) as refused:
        services.save_draft(by=bob, patient=ready, data=data)
    assert refused.value.message_dict["concentration_mg_per_ml"] == [
        "4.00 mL of 10 mg/mL ketamine does not fit a 2 mL bag. It would fit at 50 mg/mL (0.80 mL) or 100 mg/mL "
        "(0.40 mL)."
    ]
    assert not PlanVersion.objects.exists()


def test_above_the_range_needs_the_reason_and_a_second_prescribers_cosignature(
    bob: Any, frank: Any, alice: Any, ready: Any
) -> None:
    """0.75 mg/kg over 40 min = 1.125 mg/kg/h, above the low-dose ceiling (Pennsylvania guideline 2020; §3)."""
    data = iv_input(dose_mg_per_kg=D("0.75"), overrides={"infusion_ceiling_exceeded": REASON})
    version = services.save_draft(by=bob, patient=ready, data=data)
    # Besides the dose finding, the caution that this patient's allergies are not recorded (issue 15 item 4).
    (finding,) = [f for f in version.findings if f["code"] != "allergies_not_recorded"]
    assert finding["cosign"] and not finding["blocking"]
    assert evaluate(patient=ready, clinic=bob.clinic, data=data).needs_cosignature

    with pytest.raises(ValidationError, match="a second prescriber must co-sign"):
        services.sign(by=bob, version=version)
    with pytest.raises(ServiceError, match="Co-signer: the co-signer must be a second prescriber"):
        cosign(bob, bob, ready)
    with pytest.raises(ServiceError, match="Co-signer: alice is not a prescriber"):
        cosign(alice, bob, ready)
    unlicensed = make_second_prescriber(bob.clinic, ready.location, "gina", licensed=False)
    with pytest.raises(ServiceError, match="Co-signer: gina holds no current prescribing licence"):
        cosign(unlicensed, bob, ready)
    with pytest.raises(ServiceError, match="do not match an active account"):
        cosign(frank, bob, ready, password="wrong password")
    assert AuditEvent.objects.filter(action="plan.cosign.rejected", outcome="denied").count() == 4
    assert not SessionOrder.objects.exists()

    signed = services.sign(by=bob, version=version, cosignature=cosign(frank, bob, ready))
    assert signed.status == PlanVersion.Status.SIGNED
    assert (signed.signed_by, signed.cosigned_by) == (bob, frank) and signed.cosigned_at == signed.signed_at
    assert signed.overrides == {"infusion_ceiling_exceeded": REASON}
    sign_event = AuditEvent.objects.get(action="plan.sign")
    assert sign_event.detail["cosigned_by"] == "frank"
    assert sign_event.detail["reasons"] == {"infusion_ceiling_exceeded": REASON}
    cosign_event = AuditEvent.objects.get(action="plan.cosign")
    assert cosign_event.actor_id == frank.pk and cosign_event.detail["findings"] == ["infusion_ceiling_exceeded"]
    assert AuditEvent.objects.filter(action="plan.cosign.signed").exists()


def test_a_ledger_witness_signature_cannot_co_sign_a_plan(bob: Any, frank: Any, ready: Any) -> None:
    from tests.ledger.conftest import sign as ledger_sign

    data = iv_input(dose_mg_per_kg=D("0.75"), overrides={"infusion_ceiling_exceeded": REASON})
    version = services.save_draft(by=bob, patient=ready, data=data)
    witness = ledger_sign(frank, bob, ready.location)
    with pytest.raises(ServiceError, match="does not belong to this entry"):
        services.sign(by=bob, version=version, cosignature=witness)


def test_a_tuning_above_the_label_maximum_is_refused_with_a_message(dave: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.tune_protocol(
            by=dave,
            clinic=dave.clinic,
            protocol_id="depression_iv",
            overrides={"absolute_rate_mg_per_kg_per_min": "0.6"},
            reason="Faster",
        )
    (message,) = refused.value.message_dict["absolute_rate_mg_per_kg_per_min"]
    assert "above the label's anaesthetic dose 0.5" in message and "never raise it" in message
    lowered = services.tune_protocol(
        by=dave,
        clinic=dave.clinic,
        protocol_id="depression_iv",
        overrides={"absolute_rate_mg_per_kg_per_min": "0.25"},
        reason="Clinic policy: half the label's induction rate",
    )
    assert lowered.version == 1


def test_the_tuning_screen_refuses_a_maximum_above_the_label_with_its_message(dave: Any, client: Any) -> None:
    from django.urls import reverse

    from ketaclinic.plans.models import ProtocolTuning
    from tests.conftest import sign_in

    sign_in(client, dave)
    url = reverse("plans:protocol_detail", args=["depression_iv"])
    page = client.get(url).content.decode()
    assert "absolute rate mg per kg per min" in page  # the clinic can see (and lower) the maximum
    response = client.post(url, {"field": "absolute_bolus_mg_per_kg", "value": "2", "reason": "Deeper sedation"})
    assert response.status_code == 200
    assert "above the label&#x27;s anaesthetic dose 1" in response.content.decode()
    assert "never raise it" in response.content.decode()
    assert not ProtocolTuning.objects.exists()


def test_the_api_cannot_sign_a_plan_that_needs_a_second_prescriber(bob: Any, ready: Any) -> None:
    from django.test import Client

    from ketaclinic.accounts import services as accounts

    data = iv_input(dose_mg_per_kg=D("0.75"), overrides={"infusion_ceiling_exceeded": REASON})
    version = services.save_draft(by=bob, patient=ready, data=data)
    token = accounts.create_api_token(by=None, user=bob)
    response = Client().post(f"/api/v1/plans/versions/{version.pk}/sign", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (400, 422), response.content
    assert "second prescriber" in response.content.decode()
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.DRAFT and not SessionOrder.objects.exists()


def test_an_im_dose_that_does_not_fit_the_syringe_is_refused(bob: Any, pat: Any) -> None:
    from ketaclinic.patients import services as patients
    from tests.plans.conftest import sign_eligibility

    sign_eligibility(pat, bob, ["im"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=D("80"), height_cm=D("170"))
    # 0.5 mg/kg × 80 kg = 40 mg = 4 mL of 10 mg/mL, into a 3 mL syringe
    data = iv_input(protocol_id="depression_im", bag_volume_ml=None, syringe_volume_ml=D("3"))
    with pytest.raises(ValidationError) as refused:
        services.save_draft(by=bob, patient=pat, data=data)
    assert refused.value.message_dict["syringe_volume_ml"] == [
        "4.00 mL of 10 mg/mL ketamine does not fit a 3 mL syringe. It would fit at 50 mg/mL (0.80 mL) or 100 mg/mL "
        "(0.40 mL)."
    ]
    data.concentration_mg_per_ml = D("50")
    version = services.save_draft(by=bob, patient=pat, data=data)
    assert (version.route, version.syringe_volume_ml, version.bag_volume_ml) == ("im", D("3"), None)
