"""Issue 16, items 1–8: predictions against published measured values (pharmacokinetics.md §1–§2).

Each test names the published value it checks in its docstring.
"""

from __future__ import annotations

import pytest

from ketaclinic.charts.pk import render_chart
from ketaclinic.domain import pk
from ketaclinic.domain.pk import planning
from ketaclinic.domain.pk.catalogue import get_model, sample_parameters
from ketaclinic.domain.pk.esketamine import MEASURED_ORAL_F, oral_bioavailability
from ketaclinic.domain.pk.measured import MEASURED, compare
from ketaclinic.domain.pk.routes import intranasal_bioavailability

ADULT = pk.Subject(weight_kg=70)
INFUSION = [pk.Dose("iv", 35.0, duration_min=40.0)]  # 0.5 mg/kg over 40 min at 70 kg


def _typical(model_id: str, subject: pk.Subject = ADULT) -> dict[str, float]:
    return {k: float(v[0]) for k, v in sample_parameters(get_model(model_id), subject, 1, None).items()}


# 1. preview model per route; venous 185 ng/mL -------------------------------------------------------------------


def test_iv_preview_model_meets_the_venous_end_of_infusion_concentration() -> None:
    """0.5 mg/kg over 40 min: 185 ng/mL in venous blood at the end (Zarate 2006, via Zanos 2018 Table 1)."""
    model_id = pk.preview_model("iv")
    result = pk.simulate(INFUSION, ADULT, model_id, t_end_min=720)
    assert model_id == "clements1981" and result.sampling_site == "venous"
    assert result.plasma_ng_ml[40] == pytest.approx(185, rel=0.30)
    assert result.plasma_ng_ml[40] == pytest.approx(177.3, abs=0.1)
    assert not result.uncertain


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iv_preview_population_band_contains_the_measured_mean(seed: int) -> None:
    """The 5–95 % band drawn for the prescriber contains 185 ng/mL (Zarate 2006); kamp2020's does not."""
    band = pk.simulate_population(INFUSION, ADULT, pk.preview_model("iv"), n=500, seed=seed, t_end_min=720)
    low, high = band.percentiles([5, 95])[:, 40]
    assert low < 185 < high
    kamp_low = pk.simulate_population(INFUSION, ADULT, "kamp2020", n=500, seed=seed, t_end_min=720).percentiles([5])[
        0, 40
    ]
    assert kamp_low > 185


def test_kamp2020_is_flagged_with_the_measured_value() -> None:
    """kamp2020 predicts 253 ng/mL against 185 ng/mL venous (Zarate 2006): +37 %, beyond the 30 % tolerance."""
    result = pk.simulate(INFUSION, ADULT, "kamp2020")
    assert round(result.cmax_ng_ml) == 253 and result.uncertain and result.sampling_site is None
    assert any("185 ng/mL" in note and "Zarate 2006" in note and "+37%" in note for note in result.notes)


def test_preview_model_covers_every_racemic_route_and_nothing_else() -> None:
    """One venous disposition model (Clements & Nimmo 1981) for every racemic route; never hijazi2003."""
    for route in ("iv", "im", "intranasal", "oral", "sublingual"):
        assert pk.preview_model(route) == "clements1981"
        assert planning.model_for(route) == ("clements1981", route)
    assert planning.model_for("intranasal_esketamine") == ("perez_ruixo2021", "intranasal")
    for bad in ("intranasal_esketamine", "rectal", None):
        with pytest.raises(ValueError, match="route"):
            pk.preview_model(bad)  # type: ignore[arg-type]


def test_results_and_chart_say_venous_or_arterial() -> None:
    """The chart label names the sampled blood: venous for Clements & Nimmo 1981, not stated for kamp2020."""
    venous = pk.simulate(INFUSION, ADULT, "clements1981", t_end_min=240)
    assert b"venous plasma" in render_chart(venous, fmt="svg", doses=INFUSION)
    unknown = pk.simulate(INFUSION, ADULT, "kamp2020", t_end_min=240)
    assert b"sampling site not stated" in render_chart(unknown, fmt="svg", doses=INFUSION)
    assert planning.sampling_site_label("arterial") == "arterial plasma"


# 2. racemic intranasal F -------------------------------------------------------------------------------------------


def test_intranasal_bioavailability_is_the_measured_dose_dependent_value() -> None:
    """F 17 / 13 / 11 % at 10 / 30 / 50 mg with an IV reference (Pharmacotherapy 2022;42:298); held outside."""
    assert [intranasal_bioavailability(d) for d in (10, 30, 50)] == pytest.approx([0.17, 0.13, 0.11])
    assert intranasal_bioavailability(20) == pytest.approx(0.15)
    assert intranasal_bioavailability(5) == 0.17 and intranasal_bioavailability(200) == 0.11


@pytest.mark.parametrize(("dose_mg", "f"), [(10, 0.17), (30, 0.13), (50, 0.11)])
def test_intranasal_exposure_is_the_measured_f(dose_mg: float, f: float) -> None:
    """AUC∞ × CL = F × dose with the measured F (Pharmacotherapy 2022;42:298): the study's exposure is met."""
    result = pk.simulate([pk.Dose("intranasal", dose_mg)], ADULT, "clements1981", t_end_min=2e6, step_min=2e3)
    clearance = _typical("clements1981")["cl_l_per_min"]
    assert result.auc_ng_h_per_ml * 60 / 1000 * clearance == pytest.approx(f * dose_mg, rel=1e-9)


def test_intranasal_peak_misses_and_is_flagged_with_the_measured_values() -> None:
    """Measured Cmax 22.9 / 60.8 / 77.6 ng/mL at 10 / 30 / 50 mg (Pharmacotherapy 2022;42:298): with the measured F
    and one absorption rate no racemic model comes within 30 %, so the prediction is flagged and shows them."""
    for model_id in ("clements1981", "kamp2020", "herd2007", "domino1984"):
        comparisons = compare(get_model(model_id), "intranasal")
        assert [c.reference.measured_ng_ml for c in comparisons] == [22.9, 60.8, 77.6]
        assert not any(c.meets for c in comparisons)
    result = pk.simulate([pk.Dose("intranasal", 30)], ADULT, pk.preview_model("intranasal"))
    assert result.uncertain
    note = next(n for n in result.notes if n.startswith("Uncertain (intranasal)"))
    assert all(value in note for value in ("22.9", "60.8", "77.6", "Pharmacotherapy 2022;42:298"))


def test_equal_exposure_doses_use_the_measured_intranasal_f() -> None:
    """35 mg IV equals ≈ 318 mg intranasal at F 0.11 (Pharmacotherapy 2022;42:298), not ≈ 78 mg at the withdrawn
    45 % (Yanagihara 2003)."""
    doses = {d.route: d for d in planning.equivalent_doses("iv", 35.0)}
    intranasal = doses["intranasal"]
    assert intranasal.dose_mg == pytest.approx(318.2, abs=0.1) and intranasal.bioavailability == 0.11
    from_nasal = {d.route: d for d in planning.equivalent_doses("intranasal", 30.0)}
    assert from_nasal["iv"].dose_mg == pytest.approx(3.9)  # 30 mg × 0.13
    assert from_nasal["intranasal"].dose_mg == pytest.approx(30.0)
    inside = {d.route: d for d in planning.equivalent_doses("iv", 2.6)}["intranasal"]  # F × D = 2.6 mg inside 10–30
    assert inside.dose_mg * intranasal_bioavailability(inside.dose_mg) == pytest.approx(2.6, abs=0.02)


# 3. oral and sublingual racemic --------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["oral", "sublingual"])
def test_oral_and_sublingual_previews_are_uncertain_with_the_measured_peaks(route: str) -> None:
    """Oral 25 mg Cmax 22.8, sublingual 25 mg 28.6 ng/mL (Chong 2006); oral 0.5 mg/kg 45 ± 10 ng/mL (Grant 1981).
    No model here has first-pass metabolism and norketamine, so both routes stay flagged, the measured peaks shown."""
    result = pk.simulate([pk.Dose(route, 25)], ADULT, pk.preview_model(route))
    assert result.uncertain and result.metabolite_ng_ml is None
    note = next(n for n in result.notes if n.startswith(f"Uncertain ({route})"))
    assert "first-pass" in note and "norketamine" in note
    expected = ("22.8", "Chong 2006", "45", "Grant 1981") if route == "oral" else ("28.6", "Chong 2006")
    assert all(value in note for value in expected)


def test_oral_peak_of_the_preview_model_misses_chong_and_grant() -> None:
    """Oral 25 mg: 22.8 ng/mL (Chong 2006); 0.5 mg/kg: 45 ng/mL (Grant 1981): the preview model is 49–64 % low."""
    ratios = [c.ratio for c in compare(get_model("clements1981"), "oral")]
    assert ratios == pytest.approx([0.51, 0.36], abs=0.01)
    assert {r.source for r in MEASURED if r.route == "oral"} == {"Chong 2006", "Grant 1981"}


# 4. oral esketamine F ------------------------------------------------------------------------------------------------


def test_oral_esketamine_bioavailability_is_flagged_against_the_measured_8_percent() -> None:
    """Oral esketamine F ≈ 8 % measured (Janssen Medical Information; Fanta 2015); the Perez-Ruixo 2021 structure
    gives Fgut × (1 − E) ≈ 17.8 %, so oral predictions are flagged with the measured value."""
    params = _typical("perez_ruixo2021")
    model_f = oral_bioavailability(params)
    assert model_f == pytest.approx(0.178, abs=0.001) and MEASURED_ORAL_F == 0.08
    result = pk.simulate([pk.Dose("oral", 56)], ADULT, "perez_ruixo2021", t_end_min=2e6, step_min=2e3)
    clearance = float(
        get_model("perez_ruixo2021").clearance_l_per_min(
            sample_parameters(get_model("perez_ruixo2021"), ADULT, 1, None)
        )[0]
    )
    assert result.auc_ng_h_per_ml * 60 / 1000 * clearance / 56 == pytest.approx(model_f, rel=1e-9)
    assert result.uncertain and any("8%" in n and "17.8%" in n for n in result.notes)
    assert not pk.simulate([pk.Dose("intranasal", 56)], ADULT, "perez_ruixo2021").uncertain


# 5. fanta2015 as run -------------------------------------------------------------------------------------------------


def test_fanta2015_scales_only_central_volume_and_clearance_with_weight() -> None:
    """Otto 2021 (Fanta 2015 disposition) as run: V1 × WT/70, CL × (WT/70)^0.75, nothing else."""
    at70, at100 = _typical("fanta2015"), _typical("fanta2015", pk.Subject(weight_kg=100))
    assert at100["v1_l"] == pytest.approx(133 * 100 / 70)
    assert at100["cl_l_per_min"] == pytest.approx(95.2 / 60 * (100 / 70) ** 0.75)
    for name in ("vp1_l", "vp2_l", "q1_l_per_min", "q2_l_per_min", "vm_l", "vmp_l", "clm_l_per_min", "qm_l_per_min"):
        assert at100[name] == at70[name]
    assert (at70["vp1_l"], at70["vp2_l"], at70["vm_l"], at70["vmp_l"]) == (187.0, 98.8, 98.6, 160.0)
    assert [at70[n] * 60 for n in ("q1_l_per_min", "q2_l_per_min", "clm_l_per_min", "qm_l_per_min")] == (
        pytest.approx([23.2, 157.0, 57.7, 42.8])
    )


def test_fanta2015_norketamine_has_no_molar_mass_factor() -> None:
    """Otto 2021 as fitted reads S-norketamine as amount / V (98.6 L): a 20 mg dose forms AUC × CLm = 20 mg."""
    result = pk.simulate([pk.Dose("iv", 20)], ADULT, "fanta2015", t_end_min=2e6, step_min=2e3)
    assert result.metabolite is not None
    formed = result.metabolite.auc_ng_h_per_ml * 60 / 1000 * 57.7 / 60
    assert formed == pytest.approx(20.0, rel=1e-9)


# 6. Japanese subjects ------------------------------------------------------------------------------------------------


def test_japanese_subjects_have_frn_times_1_34_and_the_published_cmax() -> None:
    """Perez-Ruixo 2021: FRn × 1.34 (Table 3); 56 mg Cmax 94.5 ng/mL Japanese vs 73.2 non-Japanese Asian (Table 4)."""
    japanese = pk.Subject(weight_kg=70, japanese=True)
    assert japanese.asian
    assert _typical("perez_ruixo2021", japanese)["frn"] == pytest.approx(0.54 * 1.34)
    dose = [pk.Dose("intranasal", 56)]
    cmax_japanese = pk.simulate(dose, japanese, "perez_ruixo2021").cmax_ng_ml
    cmax_asian = pk.simulate(dose, pk.Subject(weight_kg=70, asian=True), "perez_ruixo2021").cmax_ng_ml
    assert cmax_japanese == pytest.approx(94.5, rel=0.05)
    assert cmax_asian == pytest.approx(73.2, rel=0.05)
    with pytest.raises(ValueError, match="japanese"):
        pk.Subject(weight_kg=70, japanese=1)  # type: ignore[arg-type]


# 7. hijazi2003 -------------------------------------------------------------------------------------------------------


def test_hijazi2003_is_kept_out_of_the_preview() -> None:
    """Hijazi 2003 as coded: CL 36 mL/min/kg ≈ 151 L/h at 70 kg, above hepatic blood flow (~90 L/h): unverified."""
    clearance_l_per_h = _typical("hijazi2003")["cl_l_per_min"] * 60
    assert clearance_l_per_h == pytest.approx(151, abs=1) and clearance_l_per_h > 90
    assert "hijazi2003" not in planning.PREVIEW_MODELS.values() and "hijazi2003" in planning.NOT_IN_PREVIEW
    assert all(model != "hijazi2003" for model, _ in planning.PLAN_ROUTES.values())
    assert any("Unverified" in note and "151 L/h" in note for note in pk.models()["hijazi2003"].notes)


# 8. noresketamine AUC caveat -----------------------------------------------------------------------------------------


def test_noresketamine_auc_is_never_without_its_caveat() -> None:
    """Perez-Ruixo 2021 Table 4: noresketamine AUC 0–24 h 516 ng·h/mL at 56 mg; the literal encoding gives 746."""
    dose = [pk.Dose("intranasal", 56)]
    result = pk.simulate(dose, ADULT, "perez_ruixo2021", t_end_min=1440)
    assert result.metabolite is not None
    assert result.metabolite.auc_ng_h_per_ml == pytest.approx(746, abs=1)
    assert result.metabolite.auc_ng_h_per_ml / 516 == pytest.approx(1.45, abs=0.01)
    caveat = result.metabolite_caveat
    assert caveat is not None and "45 %" in caveat and "516" in caveat
    population = pk.simulate_population(dose, ADULT, "perez_ruixo2021", n=5, seed=0, t_end_min=1440)
    assert population.metabolite_caveat == caveat
    svg = render_chart(result, fmt="svg", doses=dose)
    assert b"516" in svg and b"Noresketamine is apparent" in svg  # the caveat is drawn under the curve
