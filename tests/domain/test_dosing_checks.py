"""Protocol dose checks, esketamine dose rules and schedules, IV induction series (clinical-rules.md §3)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from ketaclinic.domain import protocols
from ketaclinic.domain.dosing import (
    DOSE_FINDING_CODES,
    check_dose,
    check_esketamine_dose,
    esketamine_administration,
    esketamine_allowed_doses_mg,
    esketamine_schedule,
    induction_series_dates,
)

IV = protocols.get("depression_iv")
IM = protocols.get("depression_im")
CRPS = protocols.get("crps_outpatient")
FIBRO = protocols.get("fibromyalgia_test_dose")
ORAL = protocols.get("oral")
SL = protocols.get("sublingual")
ESK = protocols.get("esketamine")
MONDAY = date(2025, 1, 6)


def codes(check) -> tuple[str, ...]:
    return tuple(f.code for f in check.findings)


def test_every_finding_code_maps_to_a_protocol_limit():
    assert set(DOSE_FINDING_CODES.values()) <= set(protocols.LIMIT_NAMES)


# --- Depression IV --------------------------------------------------------------------------------------------------


def test_worked_example_passes_the_iv_protocol():
    check = check_dose(IV, dose_mg=40, dosing_weight_kg=80)
    assert check.findings == ()
    assert not check.blocked
    assert (check.dose_mg, check.mg_per_kg, check.rate_mg_per_h, check.rate_mg_per_kg_per_h) == (
        Decimal("40.0"),
        Decimal("0.500"),
        Decimal("60.0"),
        Decimal("0.750"),
    )


def test_low_dose_ceiling_is_a_hard_stop_a_prescriber_may_override():
    # 0.75 mg/kg (top of the studied range) over 40 min = 1.125 mg/kg/h > 1 mg/kg/h
    check = check_dose(IV, dose_mg=60, dosing_weight_kg=80, duration_min=40)
    (finding,) = check.findings
    assert finding.code == "infusion_ceiling_exceeded"
    assert finding.severity == "override_allowed"
    assert (finding.value, finding.limit, finding.unit) == (Decimal("1.125"), Decimal("1.0"), "mg/kg/h")
    assert finding.message == (
        "1.125 mg/kg/h is above the low-dose infusion ceiling of 1 mg/kg/h. "
        "Above the protocol's range: needs a written reason and a second prescriber's co-signature."
    )
    assert finding.needs_cosignature and check.needs_cosignature
    assert "Pennsylvania" in finding.source
    assert check.blocked and finding.blocking
    assert check.requires_override == ("infusion_ceiling_exceeded",)

    overridden = check_dose(
        IV,
        dose_mg=60,
        dosing_weight_kg=80,
        overrides={"infusion_ceiling_exceeded": "  Partial response at 0.5 mg/kg; tolerated 0.75 before.  "},
    )
    assert not overridden.blocked
    assert overridden.requires_override == ()
    assert overridden.findings[0].override_reason == "Partial response at 0.5 mg/kg; tolerated 0.75 before."


@pytest.mark.parametrize(("duration", "fires"), [(45, False), (44, True)])
def test_ceiling_boundary_exactly_1_mg_per_kg_per_h(duration, fires):
    # 60 mg / 80 kg over 45 min = 1.000 mg/kg/h
    assert (
        "infusion_ceiling_exceeded" in codes(check_dose(IV, dose_mg=60, dosing_weight_kg=80, duration_min=duration))
    ) is fires


@pytest.mark.parametrize(
    ("dose", "expected"),
    [(8, ()), (Decimal("7.9"), ("dose_below_range",)), (60, ()), (Decimal("60.1"), ("dose_above_range",))],
)
def test_iv_dose_range_0_1_to_0_75_mg_per_kg(dose, expected):
    assert codes(check_dose(IV, dose_mg=dose, dosing_weight_kg=80, duration_min=60)) == expected


def test_range_finding_cites_the_protocol_and_names_the_range():
    (finding,) = check_dose(IV, dose_mg=4, dosing_weight_kg=80).findings
    assert finding.code == "dose_below_range"
    assert (finding.value, finding.limit, finding.unit) == (Decimal("0.05"), Decimal("0.1"), "mg/kg")
    assert finding.message.startswith("0.05 mg/kg is below the protocol range (0.1–0.75 mg/kg).")
    assert finding.source == IV.sources[0]


@pytest.mark.parametrize(("dose", "fires"), [(40, False), (Decimal("40.1"), True)])
def test_iv_bolus_ceiling_half_a_mg_per_kg(dose, fires):
    check = check_dose(IV, dose_mg=dose, dosing_weight_kg=80, duration_min=0)
    assert ("bolus_ceiling_exceeded" in codes(check)) is fires
    assert check.rate_mg_per_h is None


def test_iv_needs_the_dosing_weight():
    with pytest.raises(ValueError, match=r"^dosing_weight_kg:"):
        check_dose(IV, dose_mg=40)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"dose_mg": 0, "dosing_weight_kg": 80}, "dose_mg"),
        ({"dose_mg": -40, "dosing_weight_kg": 80}, "dose_mg"),
        ({"dose_mg": 40, "dosing_weight_kg": -80}, "dosing_weight_kg"),
        ({"dose_mg": 40, "dosing_weight_kg": 80, "duration_min": -1}, "duration_min"),
        ({"dose_mg": 40, "dosing_weight_kg": 80, "daily_mg_before": -1}, "daily_mg_before"),
        ({"dose_mg": 40, "dosing_weight_kg": 80, "course_mg_before": "x"}, "course_mg_before"),
    ],
)
def test_check_dose_bad_input(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        check_dose(IV, **kwargs)


def test_esketamine_protocol_is_checked_elsewhere():
    with pytest.raises(ValueError, match=r"^protocol: 'esketamine' is esketamine"):
        check_dose(ESK, dose_mg=56)


# --- Overrides ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"magic": "because"}, "unknown finding code 'magic'"),
        ({"infusion_ceiling_exceeded": "   "}, "needs a written reason"),
        ({"infusion_ceiling_exceeded": None}, "needs a written reason"),
    ],
)
def test_bad_overrides(overrides, problem):
    with pytest.raises(ValueError, match=f"^overrides: .*{problem}"):
        check_dose(IV, dose_mg=60, dosing_weight_kg=80, overrides=overrides)


def test_a_hard_stop_cannot_be_overridden():
    strict = protocols.apply_overrides(CRPS, {"limit_severity": {"daily_mg_max": "hard_stop"}})
    check = check_dose(strict, dose_mg=98, dosing_weight_kg=70, daily_mg_before=10)
    assert check.findings[0].severity == "hard_stop"
    assert check.blocked
    assert check.requires_override == ()
    with pytest.raises(ValueError, match="hard stop and cannot be overridden"):
        check_dose(
            strict, dose_mg=98, dosing_weight_kg=70, daily_mg_before=10, overrides={"daily_total_above_max": "x"}
        )


def test_an_override_of_a_caution_changes_nothing():
    caution = dataclasses.replace(
        CRPS,
        limit_severity=tuple(
            (name, "caution" if name == "bolus_mg_per_kg_max" else severity) for name, severity in CRPS.limit_severity
        ),
    )
    check = check_dose(
        caution, dose_mg=30, dosing_weight_kg=70, duration_min=0, overrides={"bolus_ceiling_exceeded": "x"}
    )
    (finding,) = check.findings
    assert (finding.severity, finding.override_reason, finding.blocking) == ("caution", None, False)


def test_overrides_for_cautions_or_absent_findings_change_nothing():
    check = check_dose(
        CRPS,
        dose_mg=70,
        dosing_weight_kg=50,
        overrides={"bolus_ceiling_exceeded": "not needed"},
    )
    assert check.findings == ()
    assert not check.blocked


def test_findings_are_frozen():
    check = check_dose(IV, dose_mg=60, dosing_weight_kg=80)
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.findings[0].severity = "caution"  # type: ignore[misc]


# --- CRPS outpatient ------------------------------------------------------------------------------------------------


def test_crps_default_session_passes():
    # 70 kg × 0.35 mg/kg/h = 24.5 mg/h for 4 h = 98 mg
    check = check_dose(CRPS, dose_mg=98, dosing_weight_kg=70)
    assert check.findings == ()
    assert (check.rate_mg_per_h, check.rate_mg_per_kg_per_h) == (Decimal("24.5"), Decimal("0.350"))


def test_crps_25_mg_per_h_and_100_mg_per_day_caps():
    # 80 kg × 0.35 = 28 mg/h for 4 h = 112 mg
    check = check_dose(CRPS, dose_mg=112, dosing_weight_kg=80)
    assert codes(check) == ("rate_above_max", "daily_total_above_max")
    assert check.findings[0].message.startswith("28 mg/h is above the maximum of 25 mg/h.")
    assert check.findings[1].message.startswith("112 mg in total today is above the maximum of 100 mg.")
    assert all(f.severity == "override_allowed" for f in check.findings)


@pytest.mark.parametrize(("rate_per_kg", "fires"), [(Decimal("0.35"), False), (Decimal("0.36"), True)])
def test_crps_0_35_mg_per_kg_per_h(rate_per_kg, fires):
    dose = rate_per_kg * 50 * 4  # 50 kg for 4 h
    check = check_dose(CRPS, dose_mg=dose, dosing_weight_kg=50)
    assert ("rate_per_kg_above_max" in codes(check)) is fires


@pytest.mark.parametrize(("before", "fires"), [(0, False), (2, False), (Decimal("2.1"), True)])
def test_crps_daily_cap_boundary(before, fires):
    assert (
        "daily_total_above_max" in codes(check_dose(CRPS, dose_mg=98, dosing_weight_kg=70, daily_mg_before=before))
    ) is fires


@pytest.mark.parametrize(("before", "fires"), [(900, False), (902, False), (903, True)])
def test_crps_course_cap_1000_mg(before, fires):
    check = check_dose(CRPS, dose_mg=98, dosing_weight_kg=70, course_mg_before=before)
    assert ("course_total_above_max" in codes(check)) is fires


@pytest.mark.parametrize(("dose", "duration"), [(Decimal("79.9"), 240), (80, 119), (40, 90), (70, 240)])
def test_the_withdrawn_pain_infusion_minimum_is_gone(dose, duration):
    """Issue 16 item 14: the "≥ 2 h and ≥ 80 mg" pain-infusion minimum could not be found in the ASRA/AAPM/ASA
    guideline text (Cohen 2018 gives no fixed minimum) and is withdrawn: no finding for a short or small infusion."""
    check = check_dose(CRPS, dose_mg=dose, dosing_weight_kg=100, duration_min=duration)
    assert not any(f.code.startswith("pain_infusion") for f in check.findings)
    assert "pain_infusion_too_short" not in DOSE_FINDING_CODES
    assert "pain_infusion_total_too_low" not in DOSE_FINDING_CODES


@pytest.mark.parametrize("protocol", [CRPS, FIBRO], ids=["crps", "fibromyalgia"])
@pytest.mark.parametrize(("dose_mg", "fires"), [(Decimal("24.5"), False), (Decimal("24.6"), True)])
def test_pain_protocol_bolus_limit_is_0_35_mg_per_kg_schwenk_2018(protocol, dose_mg, fires):
    """Schwenk ES et al. (ASRA/AAPM/ASA acute-pain consensus), Reg Anesth Pain Med 2018;43:456: bolus ≤ 0.35 mg/kg
    without intensive monitoring. 70 kg: 24.5 mg passes, 24.6 mg needs an override (0.5 mg/kg before issue 16)."""
    check = check_dose(protocol, dose_mg=dose_mg, dosing_weight_kg=70, duration_min=0)
    found = [f for f in check.findings if f.code == "bolus_ceiling_exceeded"]
    assert bool(found) is fires
    if found:
        assert found[0].limit == Decimal("0.35")
        assert found[0].severity == "override_allowed"
        assert "Schwenk 2018" in found[0].source and ".md" not in found[0].source
        assert "pain-protocol bolus limit of 0.35 mg/kg" in found[0].message


def test_pain_protocol_bolus_limit_is_a_clinic_setting_within_the_hard_ceiling():
    """The 0.35 mg/kg default may be tuned by the clinic (protocol tuning), never above the 0.5 mg/kg low-dose
    ceiling (Pennsylvania low-dose ketamine guideline 2020)."""
    tuned = protocols.apply_overrides(CRPS, {"bolus_mg_per_kg_max": "0.3"})
    assert tuned.bolus_mg_per_kg_max == Decimal("0.3")
    assert "bolus_ceiling_exceeded" in codes(check_dose(tuned, dose_mg=22, dosing_weight_kg=70, duration_min=0))
    with pytest.raises(protocols.ProtocolError):
        protocols.apply_overrides(CRPS, {"bolus_mg_per_kg_max": "0.6"})


# --- Fibromyalgia, IM, oral, sublingual -----------------------------------------------------------------------------


def test_fibromyalgia_half_mg_per_kg_over_30_min_is_exactly_the_ceiling():
    assert check_dose(FIBRO, dose_mg=35, dosing_weight_kg=70).findings == ()
    check = check_dose(FIBRO, dose_mg=Decimal("38.5"), dosing_weight_kg=70)
    assert codes(check) == ("dose_above_range", "infusion_ceiling_exceeded")


def test_im_range_and_no_bolus_ceiling():
    assert check_dose(IM, dose_mg=70, dosing_weight_kg=70).findings == ()  # 1.0 mg/kg
    assert codes(check_dose(IM, dose_mg=77, dosing_weight_kg=70)) == ("dose_above_range",)
    assert codes(check_dose(IM, dose_mg=17, dosing_weight_kg=70, duration_min=0)) == ("dose_below_range",)


def test_im_needs_weight_and_takes_no_duration():
    with pytest.raises(ValueError, match=r"^dosing_weight_kg:"):
        check_dose(IM, dose_mg=35)
    with pytest.raises(ValueError, match=r"^duration_min: only IV"):
        check_dose(IM, dose_mg=35, dosing_weight_kg=70, duration_min=10)


def test_a_clinic_bolus_limit_applies_to_im():
    clinic = protocols.apply_overrides(
        IM, {"bolus_mg_per_kg_max": 0.5, "limit_severity": {"bolus_mg_per_kg_max": "override_allowed"}}
    )
    (finding,) = check_dose(clinic, dose_mg=Decimal("52.5"), dosing_weight_kg=70).findings
    assert finding.code == "bolus_ceiling_exceeded"
    assert finding.message.startswith("A bolus of 0.75 mg/kg is above the ceiling of 0.5 mg/kg.")


def test_oral_accepts_a_dose_inside_either_range():
    assert check_dose(ORAL, dose_mg=200).findings == ()
    assert check_dose(ORAL, dose_mg=400, dosing_weight_kg=70).findings == ()  # 5.7 mg/kg
    assert check_dose(ORAL, dose_mg=20, dosing_weight_kg=40).findings == ()  # 0.5 mg/kg
    (finding,) = check_dose(ORAL, dose_mg=400).findings
    assert (finding.code, finding.unit, finding.limit) == ("dose_above_range", "mg", 300)


def test_oral_outside_both_ranges_names_both():
    (finding,) = check_dose(ORAL, dose_mg=20, dosing_weight_kg=100).findings
    assert finding.code == "dose_below_range"
    assert finding.unit == "mg/kg"
    assert "(0.25–7 mg/kg or 25–300 mg)" in finding.message


@pytest.mark.parametrize(
    ("dose", "expected"), [(25, ()), (450, ()), (10, ("dose_below_range",)), (451, ("dose_above_range",))]
)
def test_sublingual_fixed_25_to_450_mg(dose, expected):
    check = check_dose(SL, dose_mg=dose)
    assert codes(check) == expected
    assert check.mg_per_kg is None


# --- Esketamine doses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "indication", "first", "allowed"),
    [
        (45, "treatment_resistant_depression", True, (56,)),
        (45, "treatment_resistant_depression", False, (56, 84)),
        (64, "treatment_resistant_depression", False, (56, 84)),
        (65, "treatment_resistant_depression", True, (28,)),
        (65, "treatment_resistant_depression", False, (28, 56, 84)),
        (18, "depression_with_suicidal_ideation", True, (84,)),
        (64, "depression_with_suicidal_ideation", False, (56, 84)),
    ],
)
def test_esketamine_allowed_doses(age, indication, first, allowed):
    """The ≥ 65 rows are the EU/UK SmPC's (§4.2); under it a 65-year-old starts at 28 mg."""
    jurisdiction = "eu" if age >= 65 else "us"
    found = esketamine_allowed_doses_mg(
        ESK, age_years=age, indication=indication, first_dose=first, jurisdiction=jurisdiction
    )
    assert found == allowed


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"age_years": 17}, "age_years"),
        ({"age_years": 45.0}, "age_years"),
        ({"age_years": True}, "age_years"),
        ({"age_years": 65, "indication": "depression_with_suicidal_ideation", "jurisdiction": "eu"}, "age_years"),
        ({"age_years": 45, "indication": "crps"}, "indication"),
        ({"age_years": 45, "indication": "major_depression"}, "indication"),
    ],
)
def test_esketamine_allowed_doses_bad_input(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        esketamine_allowed_doses_mg(ESK, **kwargs)


def test_esketamine_functions_need_the_esketamine_protocol():
    with pytest.raises(ValueError, match=r"^protocol: 'depression_iv' is not an esketamine protocol"):
        esketamine_allowed_doses_mg(IV, age_years=45)


@pytest.mark.parametrize(
    ("dose", "age", "first", "indication", "message"),
    [
        (56, 45, True, "treatment_resistant_depression", None),
        (84, 45, False, "treatment_resistant_depression", None),
        (28, 65, False, "treatment_resistant_depression", None),
        (
            28,
            64,
            False,
            "treatment_resistant_depression",
            "28 mg is only for patients 65 and over; this patient may have 56 mg or 84 mg.",
        ),
        (70, 45, False, "treatment_resistant_depression", "70 mg is not an esketamine dose (28, 56 or 84 mg only)."),
        (Decimal("56.5"), 70, False, "treatment_resistant_depression", "56.5 mg is not an esketamine dose"),
        (
            84,
            45,
            True,
            "treatment_resistant_depression",
            "The first esketamine dose for this patient is 56 mg, not 84 mg.",
        ),
        (
            56,
            65,
            True,
            "treatment_resistant_depression",
            "The first esketamine dose for this patient is 28 mg, not 56 mg.",
        ),
        (
            28,
            40,
            False,
            "depression_with_suicidal_ideation",
            "For depression with suicidal ideation the dose is 56 mg or 84 mg",
        ),
    ],
)
def test_esketamine_dose_validation_is_a_hard_stop(dose, age, first, indication, message):
    check = check_esketamine_dose(
        ESK, dose_mg=dose, age_years=age, first_dose=first, indication=indication, jurisdiction="eu"
    )
    if message is None:
        assert check.findings == ()
        assert not check.blocked
        return
    (finding,) = check.findings
    assert finding.code == "esketamine_dose_not_allowed"
    assert finding.severity == "hard_stop"
    assert finding.message.startswith(message.replace("65 and over;", "65 and over (EU/UK SmPC);"))
    assert finding.message.endswith("Not allowed.")
    assert "Spravato" in finding.source
    assert check.blocked
    assert check.requires_override == ()


@pytest.mark.parametrize(("dose", "devices", "offsets"), [(28, 1, (0,)), (56, 2, (0, 5)), (84, 3, (0, 5, 10))])
def test_esketamine_devices_28_mg_each_5_min_apart(dose, devices, offsets):
    administration = esketamine_administration(ESK, dose)
    assert (administration.devices, administration.device_offsets_min) == (devices, offsets)
    assert administration.dose_mg == dose


def test_esketamine_administration_rejects_other_doses():
    with pytest.raises(ValueError, match=r"^dose_mg: 42 mg is not an esketamine dose"):
        esketamine_administration(ESK, 42)


# --- Esketamine schedule --------------------------------------------------------------------------------------------


def test_trd_schedule_under_65_through_week_8():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=45)
    assert [s.date for s in sessions] == [
        date(2025, 1, 6),
        date(2025, 1, 9),
        date(2025, 1, 13),
        date(2025, 1, 16),
        date(2025, 1, 20),
        date(2025, 1, 23),
        date(2025, 1, 27),
        date(2025, 1, 30),
        date(2025, 2, 3),
        date(2025, 2, 10),
        date(2025, 2, 17),
        date(2025, 2, 24),
    ]
    assert [s.number for s in sessions] == list(range(1, 13))
    assert [s.week for s in sessions] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8]
    assert [s.phase for s in sessions] == ["induction"] * 8 + ["early_maintenance"] * 4
    assert sessions[0].allowed_doses_mg == (56,)
    assert {s.allowed_doses_mg for s in sessions[1:]} == {(56, 84)}


def test_trd_schedule_65_plus_starts_at_28_under_the_eu_smpc():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=65, jurisdiction="eu")
    assert sessions[0].allowed_doses_mg == (28,)
    assert {s.allowed_doses_mg for s in sessions[1:]} == {(28, 56, 84)}


def test_maintenance_every_2_weeks_by_default():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=45, through_week=13)
    maintenance = [(s.week, s.date) for s in sessions if s.phase == "maintenance"]
    assert maintenance == [(9, date(2025, 3, 3)), (11, date(2025, 3, 17)), (13, date(2025, 3, 31))]


def test_maintenance_weekly_when_chosen():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=45, through_week=12, maintenance_interval_weeks=1)
    assert [s.week for s in sessions if s.phase == "maintenance"] == [9, 10, 11, 12]


def test_suicidal_ideation_regimen_is_twice_weekly_for_4_weeks():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=30, indication="depression_with_suicidal_ideation")
    assert len(sessions) == 8
    assert sessions[-1].date == date(2025, 1, 30)
    assert {s.phase for s in sessions} == {"induction"}
    assert sessions[0].allowed_doses_mg == (84,)
    assert {s.allowed_doses_mg for s in sessions[1:]} == {(56, 84)}


def test_short_horizon_and_custom_weekdays():
    sessions = esketamine_schedule(ESK, MONDAY, age_years=45, through_week=2, twice_weekly_offsets_days=(1, 4))
    assert [s.date for s in sessions] == [date(2025, 1, 7), date(2025, 1, 10), date(2025, 1, 14), date(2025, 1, 17)]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"through_week": 0}, "through_week"),
        ({"through_week": True}, "through_week"),
        ({"through_week": 5, "indication": "depression_with_suicidal_ideation"}, "through_week"),
        ({"maintenance_interval_weeks": 3}, "maintenance_interval_weeks"),
        ({"twice_weekly_offsets_days": (0,)}, "twice_weekly_offsets_days"),
        ({"twice_weekly_offsets_days": (3, 0)}, "twice_weekly_offsets_days"),
        ({"twice_weekly_offsets_days": (0, 7)}, "twice_weekly_offsets_days"),
        ({"twice_weekly_offsets_days": (0, 0)}, "twice_weekly_offsets_days"),
        ({"twice_weekly_offsets_days": (False, 3)}, "twice_weekly_offsets_days"),
        ({"age_years": 70, "indication": "depression_with_suicidal_ideation", "jurisdiction": "eu"}, "age_years"),
        ({"age_years": 16}, "age_years"),
    ],
)
def test_schedule_bad_input(kwargs, argument):
    kwargs = {"age_years": 45, **kwargs}
    with pytest.raises(ValueError, match=f"^{argument}:"):
        esketamine_schedule(ESK, MONDAY, **kwargs)


def test_schedule_needs_a_date():
    with pytest.raises(ValueError, match=r"^start_date:"):
        esketamine_schedule(ESK, "2025-01-06", age_years=45)  # type: ignore[arg-type]


# --- IV induction series --------------------------------------------------------------------------------------------


def test_six_infusions_three_a_week_over_two_weeks_by_default():
    assert induction_series_dates(IV, MONDAY) == (
        date(2025, 1, 6),
        date(2025, 1, 8),
        date(2025, 1, 10),
        date(2025, 1, 13),
        date(2025, 1, 15),
        date(2025, 1, 17),
    )


def test_six_infusions_twice_a_week_over_three_weeks():
    assert induction_series_dates(IV, MONDAY, sessions_per_week=2) == (
        date(2025, 1, 6),
        date(2025, 1, 9),
        date(2025, 1, 13),
        date(2025, 1, 16),
        date(2025, 1, 20),
        date(2025, 1, 23),
    )


def test_series_is_configurable():
    assert induction_series_dates(IV, MONDAY, sessions=4, week_offsets_days=(0, 1, 2)) == (
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
        date(2025, 1, 13),
    )
    assert len(induction_series_dates(IV, MONDAY, sessions=5, sessions_per_week=2)) == 5


@pytest.mark.parametrize(
    ("protocol", "kwargs", "argument"),
    [
        (IV, {"sessions_per_week": 4}, "sessions_per_week"),
        (IV, {"sessions_per_week": 1}, "sessions_per_week"),
        (IV, {"sessions": 0}, "sessions"),
        (IV, {"sessions": "6"}, "sessions"),
        (IV, {"week_offsets_days": (0, 3)}, "week_offsets_days"),
        (ORAL, {}, "protocol"),
        (CRPS, {}, "protocol"),
    ],
)
def test_series_bad_input(protocol, kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        induction_series_dates(protocol, MONDAY, **kwargs)


def test_series_needs_a_date():
    with pytest.raises(ValueError, match=r"^start_date:"):
        induction_series_dates(IV, None)  # type: ignore[arg-type]
