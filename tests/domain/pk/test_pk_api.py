"""The public API of ketaclinic.domain.pk (CONTRACTS §4.5): shapes, metadata, population runs, bad input."""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest

import ketaclinic.domain.pk as pk_package
from ketaclinic.domain import pk
from ketaclinic.domain.pk.esketamine import device_factors

ADULT = pk.Subject(weight_kg=70, age_years=40, sex="male", height_cm=175)
INFUSION = [pk.Dose(route="iv", amount_mg=35, start_min=0, duration_min=40)]

ROUTES_BY_MODEL = {
    "domino1984": ("iv", "im", "intranasal", "oral", "sublingual"),
    "clements1981": ("iv", "im", "intranasal", "oral", "sublingual"),
    "hijazi2003": ("iv",),
    "kamp2020": ("iv", "im", "intranasal", "oral", "sublingual"),
    "herd2007": ("iv", "im", "intranasal", "oral", "sublingual"),
    "fanta2015": ("iv",),
    "perez_ruixo2021": ("iv", "intranasal", "oral"),
}


def test_contract_example() -> None:
    p = pk.simulate(INFUSION, ADULT, model="kamp2020", t_end_min=1440, step_min=1.0, ke0_per_min=None)
    np.testing.assert_array_equal(p.t_min, np.arange(1441.0))
    assert p.plasma_ng_ml.shape == (1441,)
    assert p.effect_site_ng_ml is None and p.effect_site is None
    assert p.metabolite_ng_ml is None and p.metabolite is None
    assert p.cmax_ng_ml == pytest.approx(253.05, abs=0.01)
    assert p.tmax_min == 40
    assert p.auc_ng_h_per_ml > 0 and p.auc_method == "analytic"
    pop = pk.simulate_population(INFUSION, ADULT, model="perez_ruixo2021", n=50, seed=0, t_end_min=1440, step_min=1.0)
    assert pop.plasma_ng_ml.shape == (50, 1441)
    assert pop.percentiles([5, 50, 95]).shape == (3, 1441)
    assert set(pk.models()) == set(ROUTES_BY_MODEL)


def test_doctests() -> None:
    assert doctest.testmod(pk_package, raise_on_error=True).attempted > 0
    assert doctest.testmod(pk_package.simulation, raise_on_error=True).attempted > 0


def test_public_names() -> None:
    for name in ("simulate", "simulate_population", "models", "Subject", "Dose", "PKResult", "PopulationResult"):
        assert name in pk.__all__


@pytest.mark.parametrize("model_id", list(ROUTES_BY_MODEL))
def test_model_metadata(model_id: str) -> None:
    info = pk.models()[model_id]
    assert info.id == model_id
    assert info.routes == ROUTES_BY_MODEL[model_id]
    assert info.citation and info.drug in ("racemic ketamine", "S-ketamine", "esketamine")
    assert info.parameter_source and info.variability
    assert info.variability_assumed == (model_id in ("domino1984", "clements1981", "hijazi2003", "kamp2020"))
    if info.variability_assumed:
        assert "assumed" in info.variability
    assert (info.metabolite is not None) == (model_id in ("fanta2015", "perez_ruixo2021"))
    assert info.as_coded == (model_id not in ("domino1984", "herd2007"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.id = "x"  # type: ignore[misc]


def test_default_model_is_kamp2020() -> None:
    assert pk.DEFAULT_MODEL == "kamp2020"
    assert pk.simulate(INFUSION, ADULT).model == "kamp2020"


def test_metabolites_are_reported_where_the_model_has_them() -> None:
    fanta = pk.simulate(INFUSION, ADULT, "fanta2015")
    assert fanta.metabolite_ng_ml is not None and fanta.metabolite is not None
    assert fanta.metabolite.tmax_min > fanta.tmax_min
    perez = pk.simulate([pk.Dose("intranasal", 56)], ADULT, "perez_ruixo2021")
    assert perez.metabolite_ng_ml is not None
    assert perez.metabolite_caveat is not None and "45 %" in perez.metabolite_caveat
    assert perez.metabolite_caveat in perez.notes
    assert fanta.metabolite_caveat is None


def test_effect_site_only_with_a_ke0_given_or_derived() -> None:
    given = pk.simulate(INFUSION, ADULT, ke0_per_min=0.2)
    assert given.effect_site_ng_ml is not None and given.ke0_per_min == 0.2 and given.ke0_source == "given"
    derived = pk.simulate(INFUSION, ADULT, ke0_t_peak_min=3.0)
    assert derived.ke0_per_min == pytest.approx(pk.ke0_from_t_peak(3.0, ADULT))
    assert derived.ke0_source is not None and "t_peak = 3 min" in derived.ke0_source
    with pytest.raises(ValueError, match="ke0_per_min"):
        pk.simulate(INFUSION, ADULT, ke0_per_min=0.2, ke0_t_peak_min=3.0)
    with pytest.raises(ValueError, match="ke0_per_min"):
        pk.simulate(INFUSION, ADULT, ke0_per_min=0)


def test_ke0_from_t_peak_matches_opentiva_and_puts_the_bolus_peak_there() -> None:
    # opentiva uses ke0 0.652 min⁻¹ for a 1-min t_peak with the Domino model
    assert pk.ke0_from_t_peak(1.0, ADULT, "domino1984") == pytest.approx(0.652, abs=5e-4)
    for model_id, t_peak in (("kamp2020", 3.0), ("perez_ruixo2021", 5.0), ("clements1981", 2.0)):
        ke0 = pk.ke0_from_t_peak(t_peak, ADULT, model_id)
        result = pk.simulate([pk.Dose("iv", 10)], ADULT, model_id, t_end_min=30, step_min=0.5, ke0_per_min=ke0)
        assert result.effect_site is not None
        assert result.effect_site.tmax_min == pytest.approx(t_peak, abs=1e-3)
    with pytest.raises(ValueError, match="t_peak_min"):
        pk.ke0_from_t_peak(0, ADULT)
    with pytest.raises(ValueError, match="t_peak_min"):
        pk.ke0_from_t_peak(1e7, ADULT)


def test_population_is_reproducible_and_independent_of_chunking() -> None:
    doses = [pk.Dose("intranasal", 56), pk.Dose("intranasal", 28, start_min=5)]
    a = pk.simulate_population(doses, ADULT, "perez_ruixo2021", n=40, seed=11, t_end_min=600)
    b = pk.simulate_population(doses, ADULT, "perez_ruixo2021", n=40, seed=11, t_end_min=600)
    c = pk.simulate_population(doses, ADULT, "perez_ruixo2021", n=40, seed=12, t_end_min=600)
    d = pk.simulate_population(doses, ADULT, "perez_ruixo2021", n=40, seed=11, t_end_min=600, chunk_size=7)
    np.testing.assert_array_equal(a.plasma_ng_ml, b.plasma_ng_ml)
    np.testing.assert_array_equal(a.cmax_ng_ml, b.cmax_ng_ml)
    assert not np.allclose(a.plasma_ng_ml, c.plasma_ng_ml)
    np.testing.assert_allclose(a.plasma_ng_ml, d.plasma_ng_ml, rtol=1e-12, atol=1e-12)
    assert a.seed == 11 and a.n == 40


def test_population_bands_and_variability_labels() -> None:
    pop = pk.simulate_population(INFUSION, ADULT, "kamp2020", n=400, seed=1)
    p5, p50, p95 = pop.percentiles([5, 50, 95])
    assert np.all(p5 <= p50) and np.all(p50 <= p95)
    typical = pk.simulate(INFUSION, ADULT, "kamp2020")
    assert p5[40] < typical.plasma_ng_ml[40] < p95[40]
    assert pop.variability_assumed and "assumed" in pop.variability
    # assumed ω = 0.30 on clearance: the sampled log-SD is close to 0.30
    assert np.std(np.log(pop.parameters["cl_l_per_min"])) == pytest.approx(0.30, abs=0.03)
    summary = pop.summary_percentiles()
    assert summary["cmax_ng_ml"].shape == (3,)
    herd = pk.simulate_population(INFUSION, ADULT, "herd2007", n=10, seed=1)
    assert not herd.variability_assumed
    with pytest.raises(ValueError, match="series"):
        pop.percentiles([50], series="metabolite")
    with pytest.raises(ValueError, match="q"):
        pop.percentiles([120])


def test_esketamine_fraction_variability_is_on_the_logit_scale() -> None:
    pop = pk.simulate_population([pk.Dose("intranasal", 28)], ADULT, "perez_ruixo2021", n=4000, seed=3, t_end_min=60)
    frn = pop.parameters["frn"]
    assert np.all((frn > 0) & (frn < 1))
    assert np.std(np.log(frn / (1 - frn))) == pytest.approx(0.708, abs=0.03)
    assert np.median(frn) == pytest.approx(0.54, abs=0.02)


def test_device_logic() -> None:
    together = [pk.Dose("intranasal", 84)]
    spaced = [pk.Dose("intranasal", 28, start_min=t) for t in (0, 5, 10)]
    assert device_factors(together) == pytest.approx([2.24])
    assert device_factors(spaced) == pytest.approx([1.0, 0.62, 0.62])
    assert device_factors([pk.Dose("intranasal", 56), pk.Dose("intranasal", 56, start_min=45)]) == pytest.approx(
        [1.62, 1.62]
    )
    assert device_factors([pk.Dose("iv", 10), pk.Dose("intranasal", 28)]) == [0.0, 1.0]
    with pytest.raises(ValueError, match="amount_mg"):
        pk.simulate([pk.Dose("intranasal", 30)], ADULT, "perez_ruixo2021")


def test_time_above_threshold_interpolates_crossings() -> None:
    p = pk.simulate(INFUSION, ADULT, "kamp2020", t_end_min=600, step_min=1.0)
    fine = pk.simulate(INFUSION, ADULT, "kamp2020", t_end_min=600, step_min=0.01)
    assert p.time_above_min(100) == pytest.approx(fine.time_above_min(100), abs=0.05)
    assert p.time_above_min(1e6) == 0
    assert p.time_above_min(-1) == pytest.approx(600)
    pop = pk.simulate_population(INFUSION, ADULT, "kamp2020", n=5, seed=0, t_end_min=600)
    assert pop.time_above_min(100).shape == (5,)
    t = np.array([0.0, 1.0, 2.0])
    assert pk.results.time_above(t, np.array([0.0, 2.0, 0.0]), 1.0) == pytest.approx(1.0)


def test_numbers_of_any_real_type_are_accepted() -> None:
    from decimal import Decimal

    dose = pk.Dose("iv", Decimal("35.0"), start_min=np.int64(0), duration_min=np.float32(40))  # type: ignore[arg-type]
    subject = pk.Subject(weight_kg=np.int64(70))  # type: ignore[arg-type]
    assert isinstance(dose.amount_mg, float) and isinstance(subject.weight_kg, float)
    assert pk.simulate([dose], subject).cmax_ng_ml == pytest.approx(253.05, abs=0.01)
    with pytest.raises(ValueError, match="amount_mg"):
        pk.Dose("iv", True)  # type: ignore[arg-type]


def test_results_are_immutable() -> None:
    p = pk.simulate(INFUSION, ADULT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.cmax_ng_ml = 0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        p.plasma_ng_ml[0] = 1.0


def test_uncertainty_flags_by_route() -> None:
    # kamp2020 (the API default) misses the venous 185 ng/mL (Zarate 2006) by 37 %; clements1981 meets it
    assert pk.simulate(INFUSION, ADULT).uncertain
    assert not pk.simulate(INFUSION, ADULT, "clements1981").uncertain
    assert not pk.simulate([pk.Dose("im", 35)], ADULT).uncertain
    assert pk.simulate([pk.Dose("sublingual", 35)], ADULT).uncertain
    mixed = pk.simulate([pk.Dose("iv", 10), pk.Dose("oral", 50, start_min=60)], ADULT)
    assert mixed.uncertain


def test_doses_after_the_horizon_are_ignored_and_infusions_are_cut_at_it() -> None:
    late = pk.simulate([pk.Dose("iv", 35, start_min=2000)], ADULT, t_end_min=1440)
    assert not late.plasma_ng_ml.any() and late.cmax_ng_ml == 0 and late.auc_ng_h_per_ml == 0
    cut = pk.simulate([pk.Dose("iv", 35, duration_min=40)], ADULT, t_end_min=20, step_min=1)
    full = pk.simulate([pk.Dose("iv", 35, duration_min=40)], ADULT, t_end_min=60, step_min=1)
    np.testing.assert_allclose(cut.plasma_ng_ml, full.plasma_ng_ml[:21], rtol=1e-12)
    assert cut.tmax_min == 20


def test_time_grid() -> None:
    np.testing.assert_allclose(pk.time_grid(10, 3), [0, 3, 6, 9, 10])
    assert len(pk.time_grid(1440, 1)) == 1441
    with pytest.raises(ValueError, match="step_min"):
        pk.time_grid(1e9, 1e-3)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: pk.Subject(weight_kg=0), "weight_kg"),
        (lambda: pk.Subject(weight_kg=-70), "weight_kg"),
        (lambda: pk.Subject(weight_kg=math.nan), "weight_kg"),
        (lambda: pk.Subject(weight_kg="70"), "weight_kg"),
        (lambda: pk.Subject(weight_kg=70, age_years=-1), "age_years"),
        (lambda: pk.Subject(weight_kg=70, sex="x"), "sex"),
        (lambda: pk.Subject(weight_kg=70, height_cm=0), "height_cm"),
        (lambda: pk.Dose("iv", -1), "amount_mg"),
        (lambda: pk.Dose("rectal", 10), "route"),
        (lambda: pk.Dose("iv", 10, start_min=-5), "start_min"),
        (lambda: pk.Dose("oral", 10, duration_min=5), "duration_min"),
        (lambda: pk.simulate(INFUSION, ADULT, model="nope"), "model"),
        (lambda: pk.simulate([pk.Dose("im", 10)], ADULT, model="fanta2015"), "route"),
        (lambda: pk.simulate([pk.Dose("sublingual", 28)], ADULT, model="perez_ruixo2021"), "route"),
        (lambda: pk.simulate([pk.Dose("oral", 10)], ADULT, model="hijazi2003"), "route"),
        (lambda: pk.simulate(INFUSION, ADULT, t_end_min=0), "t_end_min"),
        (lambda: pk.simulate(INFUSION, ADULT, t_end_min=-10), "t_end_min"),
        (lambda: pk.simulate(INFUSION, ADULT, step_min=0), "step_min"),
        (lambda: pk.simulate(INFUSION, ADULT, step_min=-1), "step_min"),
        (lambda: pk.simulate([], ADULT), "doses"),
        (lambda: pk.simulate(INFUSION, {"weight_kg": 70}), "subject"),
        (lambda: pk.simulate_population(INFUSION, ADULT, n=0), "n"),
        (lambda: pk.simulate_population(INFUSION, ADULT, seed=-1), "seed"),
        (lambda: pk.simulate_population(INFUSION, ADULT, chunk_size=0), "chunk_size"),
        (lambda: pk.simulate_population(INFUSION, ADULT, model="bad"), "model"),
        (lambda: pk.simulate_population(INFUSION, ADULT, step_min=0), "step_min"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call: object, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        call()  # type: ignore[operator]
