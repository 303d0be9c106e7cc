"""Invariants every exact linear PK solution satisfies (knowledge/pharmacokinetics.md §4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from ketaclinic.domain import pk
from ketaclinic.domain.pk.catalogue import get_model, sample_parameters
from ketaclinic.domain.pk.engine import solve
from ketaclinic.domain.pk.esketamine import FGUT, bioavailability_intranasal
from ketaclinic.domain.pk.routes import absorption
from ketaclinic.domain.pk.system import LinearSystem

ADULT = pk.Subject(weight_kg=70, age_years=40, sex="male", height_cm=175)
CASES = [(model_id, route) for model_id, info in pk.models().items() for route in info.routes]
IDS = [f"{m}-{r}" for m, r in CASES]


def _typical(model_id: str) -> dict[str, np.ndarray]:
    return sample_parameters(get_model(model_id), ADULT, 1, None)


def _dose(model_id: str, route: str) -> pk.Dose:
    return pk.Dose(route, 56.0 if model_id == "perez_ruixo2021" else 35.0)


def _bioavailability(model_id: str, route: str) -> float:
    if route == "iv":
        return 1.0
    if model_id != "perez_ruixo2021":
        return absorption(model_id, route, _dose(model_id, route).amount_mg).bioavailability
    if route == "intranasal":
        return bioavailability_intranasal(2)
    params = _typical(model_id)
    intrinsic = params["vh_l"][0] * (params["kel_per_min"][0] + params["kmet_per_min"][0])
    return FGUT * params["qh_l_per_min"][0] / (params["qh_l_per_min"][0] + intrinsic)


@pytest.mark.parametrize(("model_id", "route"), CASES, ids=IDS)
def test_auc_to_infinity_times_clearance_is_the_bioavailable_dose(model_id: str, route: str) -> None:
    dose = _dose(model_id, route)
    result = pk.simulate([dose], ADULT, model_id, t_end_min=2e6, step_min=2e3)  # ~100 terminal half-lives
    clearance = float(get_model(model_id).clearance_l_per_min(_typical(model_id))[0])
    auc_mg_min_per_l = result.auc_ng_h_per_ml * 60 / 1000
    assert auc_mg_min_per_l * clearance == pytest.approx(_bioavailability(model_id, route) * dose.amount_mg, rel=1e-9)


def test_metabolite_auc_times_its_clearance_is_the_metabolised_dose() -> None:
    # fanta2015: all S-ketamine clearance forms S-norketamine, read as the fitted model reads it (no molar-mass factor).
    params = _typical("fanta2015")
    result = pk.simulate([pk.Dose("iv", 20, duration_min=30)], ADULT, "fanta2015", t_end_min=2e6, step_min=2e3)
    assert result.metabolite is not None
    formed = result.metabolite.auc_ng_h_per_ml * 60 / 1000 * params["clm_l_per_min"][0]
    assert formed == pytest.approx(20, rel=1e-9)
    # perez_ruixo2021: of what reaches the liver, kmet/(kel + kmet) becomes noresketamine (mass equivalents).
    params = _typical("perez_ruixo2021")
    fraction = params["kmet_per_min"][0] / (params["kel_per_min"][0] + params["kmet_per_min"][0])
    for dose, reaching_liver in ((pk.Dose("iv", 28), 28.0), (pk.Dose("oral", 84), 84 * FGUT)):
        result = pk.simulate([dose], ADULT, "perez_ruixo2021", t_end_min=2e6, step_min=2e3)
        assert result.metabolite is not None
        formed = result.metabolite.auc_ng_h_per_ml * 60 / 1000 * params["cln_l_per_min"][0]
        assert formed == pytest.approx(reaching_liver * fraction, rel=1e-9)


@pytest.mark.parametrize("model_id", list(pk.MODEL_IDS))
def test_a_long_infusion_reaches_rate_over_clearance_and_the_effect_site_follows(model_id: str) -> None:
    rate_mg_per_min = 0.5
    duration = 4e5
    dose = pk.Dose("iv", rate_mg_per_min * duration, duration_min=duration)
    result = pk.simulate([dose], ADULT, model_id, t_end_min=duration, step_min=1e3, ke0_per_min=0.1)
    clearance = float(get_model(model_id).clearance_l_per_min(_typical(model_id))[0])
    assert result.plasma_ng_ml[-1] == pytest.approx(1000 * rate_mg_per_min / clearance, rel=1e-9)
    assert result.effect_site_ng_ml is not None
    assert result.effect_site_ng_ml[-1] == pytest.approx(result.plasma_ng_ml[-1], rel=1e-9)


def _f_at(model_id: str, route: str, amount_mg: float) -> float:
    if route == "iv" or model_id in ("fanta2015", "perez_ruixo2021", "hijazi2003"):
        return 1.0
    return absorption(model_id, route, amount_mg).bioavailability


@pytest.mark.parametrize(("model_id", "route"), CASES, ids=IDS)
def test_linearity_time_shift_and_superposition(model_id: str, route: str) -> None:
    one = _dose(model_id, route)
    later = pk.Dose(route, one.amount_mg, start_min=60)
    base = pk.simulate([one], ADULT, model_id, t_end_min=600).plasma_ng_ml
    shifted = pk.simulate([later], ADULT, model_id, t_end_min=600).plasma_ng_ml
    np.testing.assert_allclose(shifted[60:], base[:-60], rtol=1e-9, atol=1e-12 * base.max())
    assert np.all(shifted[:60] == 0)
    if model_id == "perez_ruixo2021" and route == "intranasal":
        return  # devices of one administration are not linear by design: later devices absorb FRn × 0.62
    double = pk.simulate([pk.Dose(route, one.amount_mg * 2)], ADULT, model_id, t_end_min=600).plasma_ng_ml
    # racemic intranasal F falls with the dose (Pharmacotherapy 2022;42:298): linear in the bioavailable amount
    scale = 2 * _f_at(model_id, route, one.amount_mg * 2) / _f_at(model_id, route, one.amount_mg)
    np.testing.assert_allclose(double, scale * base, rtol=1e-12, atol=1e-12 * base.max())
    both = pk.simulate([one, later], ADULT, model_id, t_end_min=600).plasma_ng_ml
    np.testing.assert_allclose(both, base + shifted, rtol=1e-12, atol=1e-12 * base.max())


def _amounts(system: LinearSystem) -> LinearSystem:
    """The same system reading every mass-holding state as an output (in mg)."""
    outputs = {}
    for j, name in enumerate(system.states):
        row = np.zeros((system.n_subjects, len(system.states)))
        row[:, j] = 1.0
        outputs[name] = row
    return LinearSystem(system.states, system.a_per_min, system.inputs, outputs)


@pytest.mark.parametrize(("model_id", "route"), CASES, ids=IDS)
def test_mass_balance(model_id: str, route: str) -> None:
    """Amount in the body + amount eliminated = amount given (elimination = −column sums of A · ∫x)."""
    doses = [_dose(model_id, route), pk.Dose(route, 28.0, start_min=100)]
    params = sample_parameters(get_model(model_id), ADULT, 4, np.random.default_rng(3))
    system = _amounts(get_model(model_id).assemble(params, doses, None))
    t = pk.time_grid(480, 1.0)
    solution = solve(system, t)
    in_body = sum(solution.series[name][:, -1] for name in system.states)
    integrals = np.stack([solution.auc_ng_min_per_ml[name] for name in system.states], axis=1)  # mg·min
    eliminated = -np.einsum("ns,ns->n", system.a_per_min.sum(axis=1), integrals)
    given = sum(item.amount_mg for item in system.inputs)
    np.testing.assert_allclose(in_body + eliminated, given, rtol=1e-10)


@pytest.mark.parametrize("model_id", list(pk.MODEL_IDS))
def test_bolus_starts_at_dose_over_v1_and_the_effect_site_peaks_later(model_id: str) -> None:
    result = pk.simulate([pk.Dose("iv", 28)], ADULT, model_id, t_end_min=240, step_min=0.25, ke0_per_min=0.3)
    v1 = float(get_model(model_id).central_volume_l(_typical(model_id))[0])
    assert result.plasma_ng_ml[0] == pytest.approx(1000 * 28 / v1, rel=1e-12)
    assert result.cmax_ng_ml == pytest.approx(1000 * 28 / v1, rel=1e-12)
    assert result.tmax_min == 0
    assert result.effect_site is not None and result.effect_site_ng_ml is not None
    assert result.effect_site_ng_ml[0] == pytest.approx(0, abs=1e-12 * result.cmax_ng_ml)
    assert result.effect_site.tmax_min > result.tmax_min


@pytest.mark.parametrize("model_id", list(pk.MODEL_IDS))
def test_terminal_slope_is_the_slowest_eigenvalue(model_id: str) -> None:
    system = get_model(model_id).assemble(_typical(model_id), [pk.Dose("iv", 1)], None)
    eigenvalues = np.linalg.eigvals(system.a_per_min[0]).real
    if model_id in ("fanta2015", "perez_ruixo2021"):  # the parent's own slowest mode, not the metabolite's
        parent = [system.states.index(s) for s in system.states if not s.startswith("metabolite")]
        eigenvalues = np.linalg.eigvals(system.a_per_min[0][np.ix_(parent, parent)]).real
    slowest = eigenvalues.max()
    horizon = 40 / -slowest  # far enough for the faster modes to vanish
    result = pk.simulate([pk.Dose("iv", 28)], ADULT, model_id, t_end_min=horizon, step_min=horizon / 100)
    slope = np.log(result.plasma_ng_ml[-1] / result.plasma_ng_ml[-11]) / (result.t_min[-1] - result.t_min[-11])
    assert slope == pytest.approx(slowest, rel=1e-6)
