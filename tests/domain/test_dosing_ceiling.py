"""The absolute maximum (the Ketalar US label §2.2 anaesthetic doses), the co-signature tier and the container fit.

Issue 15 item 1: a 50 mg/kg IV plan (4,100 mg over 40 min for 82 kg) was signable with a one-line reason and its order
read "410 mL of 10 mg/mL into a 100 mL bag". clinical-rules.md §3: IV bolus ≥ 1 mg/kg, IV delivered at ≥ 0.5 mg/kg/min
and IM ≥ 6.5 mg/kg are never signable; above the protocol's range, a written reason and a second prescriber.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaclinic.domain import protocols
from ketaclinic.domain.dosing import (
    ABSOLUTE_FINDING_CODES,
    COSIGN_FINDING_CODES,
    DOSE_FINDING_CODES,
    check_dose,
    container_fit_problem,
)
from ketaclinic.domain.protocols import ProtocolError, apply_overrides

D = Decimal
IV = protocols.get("depression_iv")
IM = protocols.get("depression_im")
ORAL = protocols.get("oral")
SL = protocols.get("sublingual")
STRENGTHS = (D("10"), D("50"), D("100"))


def test_the_label_figures_and_their_source():
    assert D("1") == protocols.LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG
    assert D("0.5") == protocols.LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN
    assert D("6.5") == protocols.LABEL_ANAESTHETIC_IM_MG_PER_KG
    assert "Ketalar US label §2.2" in protocols.LABEL_ANAESTHETIC_SOURCE
    assert set(ABSOLUTE_FINDING_CODES.values()) == set(protocols.ABSOLUTE_MAXIMA)
    assert set(DOSE_FINDING_CODES) >= COSIGN_FINDING_CODES
    for p in protocols.all():
        if p.route == "iv":
            assert (p.absolute_bolus_mg_per_kg, p.absolute_rate_mg_per_kg_per_min) == (D("1"), D("0.5"))
        if p.route == "im":
            assert p.absolute_im_mg_per_kg == D("6.5")


def test_the_reported_plan_50_mg_per_kg_over_40_min_is_never_signable():
    check = check_dose(IV, dose_mg=4100, dosing_weight_kg=82, duration_min=40)
    first = check.findings[0]
    assert first.code == "anaesthetic_rate" and first.severity == "hard_stop"
    assert (first.value, first.limit, first.unit) == (D("1.25"), D("0.5"), "mg/kg/min")
    assert first.message.startswith("Above the label's anaesthetic dose: cannot be signed.")
    assert "Ketalar US label §2.2" in first.source
    with pytest.raises(ValueError, match="hard stop and cannot be overridden"):
        check_dose(IV, dose_mg=4100, dosing_weight_kg=82, duration_min=40, overrides={"anaesthetic_rate": "urgent"})


def test_the_rate_threshold_is_inclusive():
    # 20 mg/kg over 40 min = 0.5 mg/kg/min exactly: the label's induction rate
    at = check_dose(IV, dose_mg=1600, dosing_weight_kg=80, duration_min=40)
    assert "anaesthetic_rate" in {f.code for f in at.findings}
    below = check_dose(IV, dose_mg=1599, dosing_weight_kg=80, duration_min=40)
    assert "anaesthetic_rate" not in {f.code for f in below.findings}
    assert below.blocked and below.needs_cosignature  # above the range: reason + second prescriber


def test_an_iv_bolus_of_1_mg_per_kg_is_never_signable():
    check = check_dose(IV, dose_mg=80, dosing_weight_kg=80, duration_min=0)
    assert check.findings[0].code == "anaesthetic_bolus"
    assert check.findings[0].message.endswith("An IV bolus of 1 mg/kg is at or above the anaesthetic dose of 1 mg/kg.")
    assert "anaesthetic_bolus" not in {
        f.code for f in check_dose(IV, dose_mg=79, dosing_weight_kg=80, duration_min=0).findings
    }


def test_an_im_dose_of_6_5_mg_per_kg_is_never_signable():
    check = check_dose(IM, dose_mg=520, dosing_weight_kg=80)
    assert check.findings[0].code == "anaesthetic_im_dose"
    assert check.findings[0].limit == D("6.5")
    under = check_dose(IM, dose_mg=519, dosing_weight_kg=80)
    assert [f.code for f in under.findings] == ["dose_above_range"]
    assert under.findings[0].needs_cosignature
    assert "second prescriber" in under.findings[0].message
    assert under.findings[0].source.startswith("Depression, IM")  # the range's own source


def test_routes_without_a_label_maximum_have_no_absolute_finding():
    assert "anaesthetic_im_dose" not in {f.code for f in check_dose(ORAL, dose_mg=300, dosing_weight_kg=80).findings}
    assert check_dose(SL, dose_mg=100).findings == ()


def test_below_the_range_needs_a_reason_but_no_second_prescriber():
    check = check_dose(IV, dose_mg=4, dosing_weight_kg=80, duration_min=40)
    assert [f.code for f in check.findings] == ["dose_below_range"]
    assert check.blocked and not check.needs_cosignature


def test_a_clinic_may_lower_the_absolute_maximum_never_raise_it():
    lowered = apply_overrides(IV, {"absolute_rate_mg_per_kg_per_min": "0.1", "absolute_bolus_mg_per_kg": "0.75"})
    assert lowered.absolute_rate_mg_per_kg_per_min == D("0.1")
    # 5 mg/kg over 40 min = 0.125 mg/kg/min: under the label's 0.5, over the clinic's 0.1
    assert check_dose(lowered, dose_mg=400, dosing_weight_kg=80, duration_min=40).findings[0].code == "anaesthetic_rate"
    for name, value in (
        ("absolute_rate_mg_per_kg_per_min", "0.6"),
        ("absolute_bolus_mg_per_kg", "1.5"),
    ):
        with pytest.raises(ProtocolError, match=r"above the label's anaesthetic dose .* never raise it") as info:
            apply_overrides(IV, {name: value})
        assert info.value.field == name
    with pytest.raises(ProtocolError, match=r"absolute_im_mg_per_kg: 13 is above the label's anaesthetic dose 6.5"):
        apply_overrides(IM, {"absolute_im_mg_per_kg": 13})


def test_the_absolute_maximum_belongs_to_its_route_and_is_required_there():
    with pytest.raises(ProtocolError, match="absolute_im_mg_per_kg: applies to the im route only"):
        apply_overrides(IV, {"absolute_im_mg_per_kg": 6})
    with pytest.raises(ProtocolError, match="absolute_bolus_mg_per_kg: is required for iv protocols"):
        apply_overrides(IV, {"absolute_bolus_mg_per_kg": None})


def test_the_maximum_cannot_make_the_protocols_own_default_unsignable():
    # depression_iv default 0.5 mg/kg over 40 min = 0.0125 mg/kg/min
    with pytest.raises(ProtocolError, match="would make the default \\(dose_mg_per_kg_default\\) unsignable"):
        apply_overrides(IV, {"absolute_rate_mg_per_kg_per_min": "0.0125"})
    crps = protocols.get("crps_outpatient")  # 0.35 mg/kg/h default rate
    with pytest.raises(ProtocolError, match="rate_mg_per_kg_per_h_default"):
        apply_overrides(crps, {"absolute_rate_mg_per_kg_per_min": "0.005"})
    with pytest.raises(ProtocolError, match=r"absolute_im_mg_per_kg: 0.5 mg/kg would make the default dose"):
        apply_overrides(IM, {"absolute_im_mg_per_kg": "0.5"})
    assert apply_overrides(IM, {"absolute_im_mg_per_kg": "2", "dose_mg_per_kg_default": None}).absolute_im_mg_per_kg


def test_the_drug_must_fit_its_container():
    assert container_fit_problem(40, 10, 100, strengths_mg_per_ml=STRENGTHS) is None
    assert container_fit_problem(1000, 10, 100, strengths_mg_per_ml=STRENGTHS) is None  # exactly full
    assert container_fit_problem(4100, 10, 100, strengths_mg_per_ml=STRENGTHS) == (
        "410.00 mL of 10 mg/mL ketamine does not fit a 100 mL bag. "
        "It would fit at 50 mg/mL (82.00 mL) or 100 mg/mL (41.00 mL)."
    )
    assert container_fit_problem(4100, 10, 20, strengths_mg_per_ml=STRENGTHS, container="syringe") == (
        "410.00 mL of 10 mg/mL ketamine does not fit a 20 mL syringe. "
        "No strength fits: even 100 mg/mL is 41.00 mL; use a syringe of at least 41.00 mL."
    )
