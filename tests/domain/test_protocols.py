"""The protocol library: shipped TOML files, validation, malformed files and clinic overrides."""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from ketaclinic.domain import monitoring, protocols
from ketaclinic.domain.protocols import Protocol, ProtocolError, apply_overrides, loads

SHIPPED = (
    "crps_outpatient",
    "depression_im",
    "depression_iv",
    "esketamine",
    "fibromyalgia_test_dose",
    "oral",
    "sublingual",
)


def shipped_text(protocol_id: str) -> str:
    return resources.files("ketaclinic.domain.protocols").joinpath(f"{protocol_id}.toml").read_text(encoding="utf-8")


def shipped_raw(protocol_id: str) -> dict[str, object]:
    return tomllib.loads(shipped_text(protocol_id))


def dump(data: dict[str, object]) -> str:
    """A tiny TOML writer for the test edits (strings, numbers, booleans, lists, one level of tables)."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(item) for item in v) + "]"
        return str(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines.extend(f"{kk} = {value(vv)}" for kk, vv in v.items())
    return "\n".join(lines) + "\n"


def edited(protocol_id: str, section: str | None, key: str, new: object) -> str:
    data = shipped_raw(protocol_id)
    target = data if section is None else data.setdefault(section, {})
    assert isinstance(target, dict)
    if new is _DELETE:
        del target[key]
    else:
        target[key] = new
    return dump(data)


_DELETE = object()


# --- The shipped library --------------------------------------------------------------------------------------------


def test_all_returns_every_shipped_protocol_sorted():
    assert tuple(p.id for p in protocols.all()) == SHIPPED
    assert protocols.ids() == SHIPPED


def test_get_and_unknown_id():
    assert protocols.get("depression_iv").route == "iv"
    with pytest.raises(ValueError, match="unknown protocol 'ketamine_magic'"):
        protocols.get("ketamine_magic")


def test_protocols_are_frozen_and_hashable():
    p = protocols.get("esketamine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.discharge_score_min = 8  # type: ignore[misc]
    hash(p)


@pytest.mark.parametrize("protocol_id", SHIPPED)
def test_every_protocol_has_the_required_parts(protocol_id):
    p = protocols.get(protocol_id)
    assert p.name and p.summary and p.indications and p.sources
    # Sources are shown to clinicians: published works and labels (or the clinic's default), never a repository file.
    assert all(source and ".md" not in source for source in p.sources)
    assert p.dosing_weight_basis == "total"
    assert p.discharge_score_min == monitoring.DISCHARGE_SCORE_THRESHOLD == 9
    assert p.overridden == ()
    assert p.limit_severity
    assert loads(shipped_text(protocol_id), origin="again") == p


def test_depression_iv_numbers():
    p = protocols.get("depression_iv")
    assert (p.dose_mg_per_kg_min, p.dose_mg_per_kg_default, p.dose_mg_per_kg_max) == (
        Decimal("0.1"),
        Decimal("0.5"),
        Decimal("0.75"),
    )
    assert p.infusion_duration_min == 40
    assert p.infusion_mg_per_kg_per_h_max == protocols.LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H == 1
    assert p.bolus_mg_per_kg_max == protocols.LOW_DOSE_BOLUS_CEILING_MG_PER_KG == Decimal("0.5")
    assert (p.series_sessions, p.series_sessions_per_week_min, p.series_sessions_per_week_max) == (6, 2, 3)
    assert (p.series_weeks_min, p.series_weeks_max) == (2, 3)
    assert (p.booster_interval_weeks_min, p.booster_interval_weeks_max) == (1, 12)
    assert (p.vitals_during_infusion_every_min, p.vitals_after_infusion_every_min) == (10, 15)
    assert p.continuous_pulse_oximetry is True
    assert p.severity("infusion_mg_per_kg_per_h_max") == "override_allowed"
    assert p.regulatory == "off_label"


def test_depression_im_numbers():
    p = protocols.get("depression_im")
    assert (p.dose_mg_per_kg_min, p.dose_mg_per_kg_default, p.dose_mg_per_kg_max) == (
        Decimal("0.25"),
        Decimal("0.5"),
        Decimal("1.0"),
    )
    assert p.bolus_mg_per_kg_max is None


def test_esketamine_numbers():
    p = protocols.get("esketamine")
    assert p.allowed_doses_mg == protocols.ESKETAMINE_ALLOWED_DOSES_MG == (28, 56, 84)
    assert p.severity("allowed_doses_mg") == "hard_stop"
    assert p.regulatory == "label"
    assert p.min_observation_min == monitoring.ESKETAMINE_MIN_OBSERVATION_MIN == 120
    assert p.vitals_checkpoints_min == (0, 40)
    r = p.esketamine
    assert r is not None
    assert (r.device_mg, r.device_interval_min) == (28, 5)
    assert (r.day_one_dose_mg, r.day_one_dose_older_adult_mg, r.older_adult_age_years) == (56, 28, 65)
    assert (r.induction_weeks, r.induction_sessions_per_week) == (4, 2)
    assert (r.early_maintenance_last_week, r.early_maintenance_sessions_per_week) == (8, 1)
    assert r.maintenance_interval_weeks == (1, 2)
    assert (r.suicidal_ideation_dose_mg, r.suicidal_ideation_reduced_dose_mg, r.suicidal_ideation_weeks) == (84, 56, 4)


def test_session_settings_of_the_shipped_protocols():
    """Esketamine: the label fasting window and driving rule; racemic ketamine: clinic policy defaults, marked so."""
    esk = protocols.get("esketamine")
    assert (
        (esk.fasting_food_min, esk.fasting_liquids_min)
        == (
            protocols.ESKETAMINE_FASTING_FOOD_MIN,
            protocols.ESKETAMINE_FASTING_LIQUIDS_MIN,
        )
        == (120, 30)
    )
    assert (esk.fasting_basis, esk.no_driving_basis) == ("label", "label")
    assert "next day" in esk.no_driving_rule
    iv = protocols.get("depression_iv")
    assert (iv.fasting_basis, iv.no_driving_basis) == ("clinic_policy", "clinic_policy")
    assert iv.predose_measures == ("phq9",) and iv.sedation_scale == "moaas"
    assert iv.cadss_checks_min == (0, 40, 90)
    assert protocols.get("crps_outpatient").predose_measures == ("pain_nrs",)
    assert not any(p.pregnancy_test_required for p in protocols.all())


def test_session_settings_default_when_absent_and_accept_tuning_text():
    data = shipped_raw("oral")
    del data["session"]
    bare = loads(dump(data))
    assert (bare.fasting_food_min, bare.fasting_liquids_min, bare.predose_measures) == (None, None, ())
    assert (bare.fasting_basis, bare.sedation_scale, bare.pregnancy_test_required) == ("clinic_policy", "moaas", False)
    tuned = apply_overrides(
        protocols.get("depression_iv"),
        {"pregnancy_test_required": "true", "predose_measures": [], "fasting_food_min": 240, "sedation_scale": "rass"},
    )
    assert tuned.pregnancy_test_required is True and tuned.predose_measures == ()
    assert (tuned.fasting_food_min, tuned.sedation_scale) == (240, "rass")
    assert apply_overrides(tuned, {"pregnancy_test_required": "false"}).pregnancy_test_required is False
    assert apply_overrides(protocols.get("esketamine"), {"fasting_food_min": 180}).fasting_food_min == 180


def test_crps_numbers():
    p = protocols.get("crps_outpatient")
    assert p.rate_mg_per_kg_per_h_default == p.rate_mg_per_kg_per_h_max == Decimal("0.35")
    assert (p.rate_mg_per_h_max, p.daily_mg_max, p.course_mg_max) == (25, 100, 1000)
    assert (p.infusion_duration_min, p.series_sessions) == (240, 10)
    assert not hasattr(p, "min_session_total_mg") and not hasattr(p, "min_infusion_duration_min")
    assert p.severity("daily_mg_max") == "override_allowed"


def test_fibromyalgia_oral_sublingual_numbers():
    fibro = protocols.get("fibromyalgia_test_dose")
    assert (fibro.dose_mg_per_kg_min, fibro.dose_mg_per_kg_max, fibro.infusion_duration_min) == (
        Decimal("0.3"),
        Decimal("0.5"),
        30,
    )
    assert fibro.dose_mg_per_kg_default is None
    oral = protocols.get("oral")
    assert (oral.dose_mg_per_kg_min, oral.dose_mg_per_kg_max, oral.dose_mg_min, oral.dose_mg_max) == (
        Decimal("0.25"),
        7,
        25,
        300,
    )
    sl = protocols.get("sublingual")
    assert (sl.dose_mg_min, sl.dose_mg_max, sl.dose_mg_per_kg_min) == (25, 450, None)


def test_severity_of_an_unset_limit():
    with pytest.raises(ValueError, match="sets no severity for 'daily_mg_max'"):
        protocols.get("depression_iv").severity("daily_mg_max")


# --- Loading a directory --------------------------------------------------------------------------------------------


def test_directory_loader_skips_other_files_and_checks_file_names(tmp_path: Path):
    (tmp_path / "README.txt").write_text("not a protocol")
    (tmp_path / "oral.toml").write_text(shipped_text("oral"), encoding="utf-8")
    assert tuple(protocols._load_directory(tmp_path)) == ("oral",)
    (tmp_path / "other_name.toml").write_text(shipped_text("sublingual"), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"^other_name.toml: id: 'sublingual' must match the file name"):
        protocols._load_directory(tmp_path)


# --- Malformed files ------------------------------------------------------------------------------------------------


def test_bad_toml_names_the_origin():
    with pytest.raises(ProtocolError, match=r"^clinic.toml: not valid TOML") as info:
        loads("id = ", origin="clinic.toml")
    assert info.value.origin == "clinic.toml"
    assert info.value.field is None


MALFORMED = [
    ("depression_iv", None, "colour", "blue", "colour", "unknown protocol field"),
    ("depression_iv", None, "id", _DELETE, "id", "is required"),
    ("depression_iv", None, "id", "Depression IV", "id", "lower-case"),
    ("depression_iv", None, "name", "  ", "name", "non-empty string"),
    ("depression_iv", None, "sources", [], "sources", "non-empty list"),
    ("depression_iv", None, "sources", ["ok", 3], "sources", "non-empty string"),
    ("depression_iv", None, "route", "rectal", "route", "unknown route"),
    ("depression_iv", None, "indications", ["depression"], "indications", "unknown indication"),
    ("depression_iv", None, "indications", ["crps", "crps"], "indications", "twice"),
    ("depression_iv", None, "regulatory", "approved", "regulatory", "must be one of"),
    ("depression_iv", None, "dosing_weight_basis", "lean", "dosing_weight_basis", "must be one of"),
    ("depression_iv", "discharge", "discharge_score_min", _DELETE, "discharge_score_min", "is required"),
    ("depression_iv", "discharge", "discharge_score_min", 11, "discharge_score_min", "0-10"),
    ("depression_iv", "discharge", "discharge_score_min", 0, "discharge_score_min", "whole number"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", "lots", "dose_mg_per_kg_max", "must be a number"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", True, "dose_mg_per_kg_max", "must be a number"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", [1], "dose_mg_per_kg_max", "must be a number"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", -1, "dose_mg_per_kg_max", "positive"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", "nan", "dose_mg_per_kg_max", "positive"),
    ("depression_iv", "dose", "infusion_duration_min", 40.5, "infusion_duration_min", "whole number"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", _DELETE, "dose_mg_per_kg_max", "is required when"),
    ("depression_iv", "dose", "dose_mg_per_kg_min", _DELETE, "dose_mg_per_kg_min", "is required when"),
    ("depression_iv", "dose", "dose_mg_per_kg_max", 0.05, "dose_mg_per_kg_max", "below dose_mg_per_kg_min"),
    ("depression_iv", "dose", "dose_mg_per_kg_default", 0.05, "dose_mg_per_kg_default", "outside"),
    ("depression_iv", "dose", "dose_mg_per_kg_default", 0.7, "dose_mg_per_kg_default", "exceeds"),
    ("depression_iv", "limits", "infusion_mg_per_kg_per_h_max", 1.5, "infusion_mg_per_kg_per_h_max", "hard low-dose"),
    ("depression_iv", "limits", "bolus_mg_per_kg_max", 0.6, "bolus_mg_per_kg_max", "hard low-dose"),
    ("depression_iv", "limits", "bolus_mg_per_kg_max", _DELETE, "bolus_mg_per_kg_max", "required for IV"),
    ("depression_iv", "dose", "infusion_duration_min", _DELETE, "infusion_duration_min", "required for IV"),
    (
        "depression_iv",
        "monitoring",
        "vitals_during_infusion_every_min",
        _DELETE,
        "vitals_during_infusion_every_min",
        "required for IV",
    ),
    ("depression_iv", "monitoring", "continuous_pulse_oximetry", "yes", "continuous_pulse_oximetry", "true or false"),
    ("depression_iv", "monitoring", "vitals_checkpoints_min", [40, 0], "vitals_checkpoints_min", "increasing"),
    ("depression_iv", "monitoring", "vitals_checkpoints_min", 40, "vitals_checkpoints_min", "list of whole numbers"),
    ("depression_iv", "monitoring", "vitals_checkpoints_min", [-1], "vitals_checkpoints_min", "≥ 0"),
    (
        "depression_iv",
        "limit_severity",
        "infusion_mg_per_kg_per_h_max",
        "caution",
        "limit_severity",
        "at least 'override_allowed'",
    ),
    (
        "depression_iv",
        "limit_severity",
        "dose_range",
        _DELETE,
        "limit_severity",
        "dose_range is set but has no severity",
    ),
    ("depression_iv", "limit_severity", "speed", "caution", "limit_severity", "unknown limit 'speed'"),
    ("depression_iv", "limit_severity", "dose_range", "fatal", "limit_severity", "unknown severity 'fatal'"),
    ("depression_iv", None, "limit_severity", "all", "limit_severity", "must be a table"),
    ("depression_iv", "series", "series_sessions_per_week_max", _DELETE, "series_sessions_per_week_max", "go together"),
    ("depression_iv", "series", "series_sessions_per_week_min", _DELETE, "series_sessions_per_week_min", "go together"),
    ("depression_iv", "series", "series_sessions_per_week_min", 4, "series_sessions_per_week_max", "below"),
    ("depression_iv", "series", "series_sessions_per_week_max", 8, "series_sessions_per_week_max", "exceed 7"),
    ("depression_iv", "series", "series_weeks_min", 4, "series_weeks_max", "below"),
    ("depression_iv", "series", "booster_interval_weeks_max", _DELETE, "booster_interval_weeks_max", "go together"),
    ("depression_iv", None, "allowed_doses_mg", [28], "allowed_doses_mg", "fixed set"),
    (
        "depression_iv",
        None,
        "esketamine",
        shipped_raw("esketamine")["esketamine"],
        "esketamine",
        "only the intranasal_esketamine",
    ),
    ("depression_im", None, "infusion_duration_min", 40, "infusion_duration_min", "IV infusions only"),
    (
        "depression_im",
        "monitoring",
        "vitals_after_infusion_every_min",
        _DELETE,
        "vitals_after_infusion_every_min",
        "no vital-sign cadence",
    ),
    ("depression_im", "dose", "dose_mg_per_kg_min", _DELETE, "dose_mg_per_kg_min", "is required when"),
    ("sublingual", "dose", "dose_mg_min", _DELETE, "dose_mg_min", "is required when"),
    ("sublingual", "dose", "dose_mg_default", 20, "dose_mg_default", "outside"),
    ("oral", "dose", "dose_mg_default", 50, "dose_mg_default", None),
    (
        "crps_outpatient",
        "dose",
        "rate_mg_per_kg_per_h_default",
        0.4,
        "rate_mg_per_kg_per_h_default",
        "above rate_mg_per_kg_per_h_max",
    ),
    ("esketamine", None, "regulatory", "off_label", "regulatory", "FDA label"),
    ("esketamine", "dose", "allowed_doses_mg", [28, 56, 84, 112], "allowed_doses_mg", "not an esketamine dose"),
    ("esketamine", "dose", "allowed_doses_mg", [56, 28, 84], "allowed_doses_mg", "increasing order"),
    ("esketamine", "dose", "allowed_doses_mg", "56", "allowed_doses_mg", "list of numbers"),
    ("esketamine", "limit_severity", "allowed_doses_mg", "override_allowed", "limit_severity", "at least 'hard_stop'"),
    ("esketamine", "monitoring", "min_observation_min", 90, "min_observation_min", "at least 120"),
    ("esketamine", "monitoring", "min_observation_min", _DELETE, "min_observation_min", "at least 120"),
    ("esketamine", None, "esketamine", _DELETE, "esketamine", "needs its [esketamine] regimen"),
    ("esketamine", "esketamine", "device_mg", 30, "esketamine.device_mg", "28 mg"),
    ("esketamine", "esketamine", "device_mg", _DELETE, "esketamine", "device_mg is required"),
    ("esketamine", "esketamine", "spray_colour", "blue", "esketamine", "unknown field 'spray_colour'"),
    ("esketamine", "esketamine", "day_one_dose_mg", 70, "esketamine.day_one_dose_mg", "one of allowed_doses_mg"),
    ("esketamine", "esketamine", "older_adult_only_doses_mg", [14], "esketamine.older_adult_only_doses_mg", "one of"),
    (
        "esketamine",
        "esketamine",
        "maintenance_interval_weeks",
        [],
        "esketamine.maintenance_interval_weeks",
        "at least one",
    ),
    ("esketamine", "esketamine", "maintenance_interval_weeks", [0], "esketamine.maintenance_interval_weeks", "≥ 1"),
    ("esketamine", "esketamine", "early_maintenance_last_week", 4, "esketamine.early_maintenance_last_week", "after"),
    ("depression_iv", "session", "fasting_basis", "sometimes", "fasting_basis", "must be one of"),
    ("depression_iv", "session", "fasting_basis", " ", "fasting_basis", "non-empty string"),
    ("depression_iv", "session", "no_driving_basis", "law", "no_driving_basis", "must be one of"),
    ("depression_iv", "session", "sedation_scale", "gcs", "sedation_scale", "must be one of"),
    ("depression_iv", "session", "predose_measures", ["madrs"], "predose_measures", "unknown scale 'madrs'"),
    ("depression_iv", "session", "predose_measures", ["phq9", "phq9"], "predose_measures", "twice"),
    ("depression_iv", "session", "predose_measures", "phq9", "predose_measures", "non-empty list"),
    ("depression_iv", "session", "cadss_checks_min", [90, 40], "cadss_checks_min", "increasing"),
    ("depression_iv", "session", "pregnancy_test_required", "yes", "pregnancy_test_required", "true or false"),
    ("depression_iv", "session", "fasting_food_min", 0, "fasting_food_min", "whole number ≥ 1"),
    ("esketamine", "session", "fasting_food_min", 60, "fasting_food_min", "at least 120"),
    ("esketamine", "session", "fasting_liquids_min", _DELETE, "fasting_liquids_min", "at least 30"),
    ("esketamine", "session", "fasting_basis", "clinic_policy", "fasting_basis", "FDA label"),
    ("esketamine", "session", "no_driving_basis", "clinic_policy", "no_driving_basis", "FDA label"),
    (
        "esketamine",
        "esketamine",
        "induction_sessions_per_week",
        8,
        "esketamine.induction_sessions_per_week",
        "exceed 7",
    ),
]


@pytest.mark.parametrize(("protocol_id", "section", "key", "value", "field", "problem"), MALFORMED)
def test_malformed_file_raises_a_clear_error_naming_the_field(protocol_id, section, key, value, field, problem):
    text = edited(protocol_id, section, key, value)
    if problem is None:  # a valid edit: the oral protocol may carry a fixed default dose
        assert loads(text).dose_mg_default == 50
        return
    with pytest.raises(ProtocolError) as info:
        loads(text, origin=f"{protocol_id}.toml")
    assert info.value.field == field
    assert str(info.value).startswith(f"{protocol_id}.toml: {field}: ")
    assert problem in str(info.value)
    assert isinstance(info.value, ValueError)


def test_crps_rate_default_above_the_infusion_ceiling():
    data = shipped_raw("crps_outpatient")
    data["limits"] = {**data["limits"], "rate_mg_per_kg_per_h_max": 2, "infusion_mg_per_kg_per_h_max": 0.3}
    with pytest.raises(ProtocolError, match=r"rate_mg_per_kg_per_h_default: exceeds infusion_mg_per_kg_per_h_max 0\.3"):
        loads(dump(data))


def test_esketamine_must_dose_from_the_allowed_set():
    data = shipped_raw("esketamine")
    data["dose"] = {"dose_mg_min": 28, "dose_mg_max": 84}
    with pytest.raises(ProtocolError, match="allowed_doses_mg: is required for esketamine"):
        loads(dump(data))


def test_a_protocol_needs_a_dose():
    data = shipped_raw("sublingual")
    del data["dose"]
    del data["limit_severity"]
    with pytest.raises(ProtocolError, match="defines no dose"):
        loads(dump(data))


def test_default_without_range():
    data = shipped_raw("sublingual")
    data["dose"] = {"dose_mg_per_kg_default": 0.5, "dose_mg_min": 25, "dose_mg_max": 450}
    with pytest.raises(ProtocolError, match="dose_mg_per_kg_default: needs dose_mg_per_kg_min"):
        loads(dump(data))


def test_duplicate_keys_across_sections_are_rejected():
    text = shipped_text("oral") + '\n[limits]\nid = "oral"\n'
    with pytest.raises(ProtocolError, match=r"^x: id: is given twice"):
        loads(text, origin="x")


def test_a_grouping_section_must_be_a_table():
    data = shipped_raw("oral")
    del data["dose"]
    text = "dose = 5\n" + dump(data)
    with pytest.raises(ProtocolError, match="dose: must be a table"):
        loads(text)


def test_sources_may_be_a_tuple_in_overrides_and_lists_in_files():
    assert loads(shipped_text("oral")).sources == protocols.get("oral").sources


# --- Clinic overrides -----------------------------------------------------------------------------------------------


def test_a_clinic_can_tune_within_the_limits():
    p = apply_overrides(
        protocols.get("depression_iv"),
        {"infusion_duration_min": 45, "dose_mg_per_kg_max": "0.6", "infusion_mg_per_kg_per_h_max": 0.8},
    )
    assert p.infusion_duration_min == 45
    assert p.dose_mg_per_kg_max == Decimal("0.6")
    assert p.infusion_mg_per_kg_per_h_max == Decimal("0.8")
    assert p.overridden == ("dose_mg_per_kg_max", "infusion_duration_min", "infusion_mg_per_kg_per_h_max")
    assert protocols.get("depression_iv").infusion_duration_min == 40  # the shipped one is untouched


def test_overrides_accumulate():
    p = apply_overrides(protocols.get("depression_iv"), {"infusion_duration_min": 45})
    p = apply_overrides(p, {"vitals_after_infusion_every_min": 10})
    assert p.overridden == ("infusion_duration_min", "vitals_after_infusion_every_min")


def test_severity_override_merges_and_can_tighten():
    p = apply_overrides(protocols.get("crps_outpatient"), {"limit_severity": {"daily_mg_max": "hard_stop"}})
    assert p.severity("daily_mg_max") == "hard_stop"
    assert p.severity("course_mg_max") == "override_allowed"


def test_an_optional_cap_may_be_cleared():
    p = apply_overrides(protocols.get("crps_outpatient"), {"course_mg_max": None})
    assert p.course_mg_max is None


def test_esketamine_observation_may_be_longer():
    assert apply_overrides(protocols.get("esketamine"), {"min_observation_min": 150}).min_observation_min == 150


@pytest.mark.parametrize(
    ("protocol_id", "overrides", "field", "problem"),
    [
        (
            "depression_iv",
            {"infusion_mg_per_kg_per_h_max": 1.2},
            "infusion_mg_per_kg_per_h_max",
            "hard low-dose ceiling",
        ),
        ("depression_iv", {"infusion_mg_per_kg_per_h_max": None}, "infusion_mg_per_kg_per_h_max", "required"),
        ("depression_iv", {"bolus_mg_per_kg_max": "0.75"}, "bolus_mg_per_kg_max", "hard low-dose ceiling"),
        (
            "depression_iv",
            {"limit_severity": {"infusion_mg_per_kg_per_h_max": "caution"}},
            "limit_severity",
            "at least",
        ),
        ("depression_iv", {"limit_severity": "hard_stop"}, "limit_severity", "must be a table"),
        ("depression_iv", {"route": "im"}, "route", "cannot be overridden"),
        ("depression_iv", {"id": "mine"}, "id", "cannot be overridden"),
        ("depression_iv", {"sources": ["mine"]}, "sources", "cannot be overridden"),
        ("depression_iv", {"speed": 3}, "speed", "unknown protocol field"),
        ("depression_iv", {"overridden": ()}, "overridden", "unknown protocol field"),
        ("depression_iv", {"dose_mg_per_kg_default": 0.9}, "dose_mg_per_kg_default", "outside"),
        ("depression_iv", {"infusion_duration_min": 0}, "infusion_duration_min", "whole number ≥ 1"),
        ("esketamine", {"allowed_doses_mg": [28, 56, 70]}, "allowed_doses_mg", "not an esketamine dose"),
        ("esketamine", {"allowed_doses_mg": [56, 84]}, "esketamine.day_one_dose_older_adult_mg", "allowed_doses_mg"),
        ("esketamine", {"esketamine": None}, "esketamine", "cannot be overridden"),
        ("esketamine", {"min_observation_min": 60}, "min_observation_min", "at least 120"),
        ("esketamine", {"limit_severity": {"allowed_doses_mg": "caution"}}, "limit_severity", "hard_stop"),
    ],
)
def test_overrides_cannot_break_hard_limits(protocol_id, overrides, field, problem):
    with pytest.raises(ProtocolError) as info:
        apply_overrides(protocols.get(protocol_id), overrides)
    assert info.value.field == field
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{protocol_id} (clinic overrides): {field}")


def test_override_result_is_a_protocol():
    assert isinstance(apply_overrides(protocols.get("oral"), {}), Protocol)
