"""Alert review without alert fatigue (issue 15): one reading is one alert, unchanged sedation is not re-raised, and a
stop-and-evaluate alert needs a note. Levels from the default alert table (Spravato PI for esketamine; Sanacora 2017
consensus defaults for racemic ketamine)."""

from __future__ import annotations

import pytest

from ketaclinic.domain.monitoring import (
    SEDATION_CODES,
    SedationState,
    VitalSigns,
    acknowledgement_refusal,
    check_vitals,
    sedation_state,
    sedation_unchanged,
    summarise,
    without_sedation,
)

PRE_DOSE = VitalSigns(systolic_mmhg=120, diastolic_mmhg=75, heart_rate_per_min=72, moaas=5)


def test_a_reading_of_186_over_114_is_one_stop_alert_listing_every_finding():
    findings = check_vitals(VitalSigns(systolic_mmhg=186, diastolic_mmhg=114), baseline=PRE_DOSE)
    assert [f.code for f in findings] == ["systolic_high", "diastolic_high", "systolic_rise", "diastolic_rise"]
    summary = summarise(findings)
    assert summary.level == "stop" and summary.label == "Stop and evaluate" and summary.note_required
    assert summary.messages == tuple(f.message for f in findings)
    assert summary.action.startswith("Stop the infusion") and "Repeat the reading" not in summary.action
    assert len(summary.sources) == 1 and "Sanacora" in summary.sources[0]  # each source once


def test_alert_level_findings_list_each_action_once():
    findings = check_vitals(VitalSigns(heart_rate_per_min=130, spo2_percent=91))
    summary = summarise(findings)
    assert summary.level == "alert" and not summary.note_required
    assert summary.action.count("Repeat the reading") == 1


def test_summarise_needs_a_finding():
    with pytest.raises(ValueError, match="findings"):
        summarise(())


def test_iv_alerts_never_mention_esketamine_or_rems():
    for finding in check_vitals(VitalSigns(systolic_mmhg=186, diastolic_mmhg=114), baseline=PRE_DOSE):
        text = f"{finding.message} {finding.action} {finding.source}".lower()
        assert "esketamine" not in text and "rems" not in text and "spravato" not in text


def test_sedation_state_is_none_without_a_sedation_score():
    assert sedation_state(VitalSigns(systolic_mmhg=120)) is None
    assert sedation_state(VitalSigns(moaas=3)) == SedationState(moaas=3, rass=None)


@pytest.mark.parametrize(
    ("current", "last", "since", "unchanged"),
    [
        (SedationState(3, None), None, (), False),  # no earlier sedation alert
        (SedationState(3, None), SedationState(3, None), (), True),
        (SedationState(3, None), SedationState(3, None), (SedationState(3, None),), True),
        (SedationState(2, None), SedationState(3, None), (), False),  # deeper
        (SedationState(3, None), SedationState(3, None), (SedationState(5, None),), False),  # woke up in between
    ],
)
def test_sedation_unchanged(current, last, since, unchanged):
    assert sedation_unchanged(current, last_alerted=last, since=since) is unchanged


def test_without_sedation_keeps_the_other_findings():
    findings = check_vitals(VitalSigns(moaas=3, spo2_percent=91), baseline=PRE_DOSE)
    assert {f.code for f in findings} == {"spo2_low", "moaas_sedation"}
    assert [f.code for f in without_sedation(findings)] == ["spo2_low"]
    assert "rass_sedation" in SEDATION_CODES


def test_a_stop_needs_a_written_note():
    refusal = acknowledgement_refusal("stop", "  ")
    assert refusal is not None and "written note" in refusal and "Nothing was acknowledged" in refusal
    assert acknowledgement_refusal("stop", "Infusion stopped; Dr Bob evaluated, BP 150/90 at 10 min") is None
    assert acknowledgement_refusal("alert", "") is None
