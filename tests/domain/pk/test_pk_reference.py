"""The engine against an independent integrator (knowledge/pharmacokinetics.md §4.1).

Random subjects (η drawn by ``simulate_population``) × every supported route × every model, with several doses
at random times and, for half the cases, an effect site: max |difference| ≤ 1e-6 × Cmax per concentration series.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import pytest
from scipy.integrate import quad

from ketaclinic.domain import pk
from ketaclinic.domain.pk.catalogue import get_model, sample_parameters
from ketaclinic.domain.pk.engine import solve
from ketaclinic.domain.pk.system import LinearSystem, SystemBuilder

ReferenceSolve = Callable[[LinearSystem, np.ndarray], dict[str, np.ndarray]]
TOLERANCE = 1e-6
CASES = [(model_id, route) for model_id, info in pk.models().items() for route in info.routes]


def _random_doses(model_id: str, route: str, rng: np.random.Generator) -> list[pk.Dose]:
    if model_id == "perez_ruixo2021" and route == "intranasal":
        later = float(rng.uniform(1, 30))  # within 30 min: later devices of the first administration
        return [pk.Dose(route, 56), pk.Dose(route, 28, start_min=later), pk.Dose(route, 28, start_min=300)]
    if route == "iv":
        start, duration = float(rng.uniform(20, 200)), float(rng.uniform(5, 60))
        return [pk.Dose("iv", float(rng.uniform(5, 30))), pk.Dose("iv", 35, start_min=start, duration_min=duration)]
    return [pk.Dose(route, float(rng.uniform(10, 100))), pk.Dose(route, 25, start_min=float(rng.uniform(60, 400)))]


def _assert_close(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    for name, reference in expected.items():
        for i in range(reference.shape[0]):
            cmax = np.max(reference[i])
            error = np.max(np.abs(actual[name][i] - reference[i]))
            assert error <= TOLERANCE * cmax, f"{name} subject {i}: error {error:.3g} vs Cmax {cmax:.3g}"


@pytest.mark.parametrize(("model_id", "route"), CASES, ids=[f"{m}-{r}" for m, r in CASES])
def test_random_subjects_match_solve_ivp(model_id: str, route: str, reference: ReferenceSolve) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{model_id}-{route}".encode()))
    subject = pk.Subject(
        weight_kg=float(rng.uniform(45, 120)), age_years=float(rng.uniform(20, 85)), asian=bool(rng.random() < 0.3)
    )
    doses = _random_doses(model_id, route, rng)
    ke0 = float(rng.uniform(0.05, 1.0)) if rng.random() < 0.5 else None
    pop = pk.simulate_population(
        doses, subject, model_id, n=4, seed=int(rng.integers(1000)), t_end_min=720, step_min=2.0, ke0_per_min=ke0
    )
    system = get_model(model_id).assemble(pop.parameters, doses, ke0)
    actual = {"plasma": pop.plasma_ng_ml}
    if pop.metabolite_ng_ml is not None:
        actual["metabolite"] = pop.metabolite_ng_ml
    if pop.effect_site_ng_ml is not None:
        actual["effect_site"] = pop.effect_site_ng_ml
    assert set(actual) == set(system.outputs)
    _assert_close(actual, reference(system, pop.t_min))


@pytest.mark.parametrize("model_id", ["kamp2020", "perez_ruixo2021"])
def test_the_expm_fallback_is_exact_too(model_id: str, reference: ReferenceSolve) -> None:
    model = get_model(model_id)
    route = "intranasal" if model_id == "perez_ruixo2021" else "sublingual"
    doses = [pk.Dose("iv", 20, start_min=10, duration_min=33.3), pk.Dose(route, 56, start_min=61.7)]
    params = sample_parameters(model, pk.Subject(weight_kg=80), 3, np.random.default_rng(7))
    system = model.assemble(params, doses, 0.2)
    t = pk.time_grid(600, 1.5)
    fallback = solve(system, t, method="expm")
    assert fallback.fallback.all()
    _assert_close(dict(fallback.series), reference(system, t))
    closed = solve(system, t)
    assert not closed.fallback.any()
    for name in system.outputs:
        np.testing.assert_allclose(fallback.auc_ng_min_per_ml[name], closed.auc_ng_min_per_ml[name], rtol=1e-10)
        np.testing.assert_allclose(fallback.cmax_ng_ml[name], closed.cmax_ng_ml[name], rtol=1e-10)
        np.testing.assert_allclose(fallback.tmax_min[name], closed.tmax_min[name], rtol=1e-7)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_ke0_equal_to_a_disposition_eigenvalue_stays_exact(mode: int, reference: ReferenceSolve) -> None:
    """ke0 = −λ makes the matrix defective: the closed form alone would be off by 30–100 %."""
    model, subject = get_model("kamp2020"), pk.Subject(weight_kg=70)
    params = sample_parameters(model, subject, 1, None)
    eigenvalues = np.sort(np.linalg.eigvals(model.assemble(params, [pk.Dose("iv", 1)], None).a_per_min[0]).real)
    ke0 = float(-eigenvalues[mode])
    doses = [pk.Dose("iv", 35, duration_min=40), pk.Dose("im", 20, start_min=90)]
    result = pk.simulate(doses, subject, "kamp2020", t_end_min=720, step_min=2.0, ke0_per_min=ke0)
    system = model.assemble(params, doses, ke0)
    assert solve(system, result.t_min).fallback.all()
    assert result.effect_site_ng_ml is not None
    expected = reference(system, result.t_min)
    _assert_close({"plasma": result.plasma_ng_ml[None], "effect_site": result.effect_site_ng_ml[None]}, expected)
    # without the guard the closed form is silently wrong (or the eigenvector matrix cannot even be inverted)
    try:
        unguarded = solve(system, result.t_min, method="eigen").series["effect_site"]
    except np.linalg.LinAlgError:
        return
    assert np.max(np.abs(unguarded - expected["effect_site"])) > 1e-3 * np.max(expected["effect_site"])


def test_absorption_rate_equal_to_elimination_rate_gives_t_exp() -> None:
    """One compartment with ka = k exactly: C(t) = F·D·k·t·exp(−k t)/V (the limit of the Bateman function)."""
    k, volume_l, amount = 0.05, 100.0, 50.0
    builder = SystemBuilder(1, ("depot", "central"))
    builder.flow("depot", "central", k)
    builder.flow("central", None, k)
    builder.bolus("depot", 0.0, amount)
    builder.output("plasma", "central", 1000.0 / volume_l)
    t = pk.time_grid(240, 0.5)
    solution = solve(builder.build(), t)
    assert solution.fallback.all()
    expected = 1000.0 * amount * k * t * np.exp(-k * t) / volume_l
    np.testing.assert_allclose(solution.series["plasma"][0], expected, rtol=1e-10, atol=1e-12)
    assert solution.tmax_min["plasma"][0] == pytest.approx(1 / k, rel=1e-9)  # Newton-refined peak at 1/k
    assert solution.auc_ng_min_per_ml["plasma"][0] == pytest.approx(
        1000 * amount / volume_l / k * (1 - np.exp(-k * 240) * (1 + k * 240)), rel=1e-10
    )


def _depot_system(ka_per_min: np.ndarray, k_per_min: float = 0.05) -> LinearSystem:
    builder = SystemBuilder(len(ka_per_min), ("depot", "central"))
    builder.flow("depot", "central", ka_per_min)
    builder.flow("central", None, k_per_min)
    builder.bolus("depot", 0.0, 50.0)
    builder.output("plasma", "central", 10.0)
    return builder.build()


@pytest.mark.parametrize("chunk_size", [1, 2, 1000])
def test_a_chunk_mixing_defective_and_regular_subjects(chunk_size: int) -> None:
    k = 0.05
    ka = np.array([k, 0.2, k * (1 + 1e-12), 0.01])  # subjects 0 and 2 are (numerically) defective
    t = pk.time_grid(300, 1.0)
    solution = solve(_depot_system(ka, k), t, chunk_size=chunk_size)
    np.testing.assert_array_equal(solution.fallback, [True, False, True, False])
    for i, ka_i in enumerate(ka):

        def exact(time: np.ndarray | float, ka_i: float = float(ka_i)) -> np.ndarray:
            if abs(ka_i - k) < 1e-9:
                return np.asarray(10 * 50 * k * time * np.exp(-k * np.asarray(time)))
            return np.asarray(
                10 * 50 * ka_i / (ka_i - k) * (np.exp(-k * np.asarray(time)) - np.exp(-ka_i * np.asarray(time)))
            )

        np.testing.assert_allclose(solution.series["plasma"][i], exact(t), rtol=1e-9, atol=1e-9)
        auc = quad(lambda x, f=exact: float(f(x)), 0, 300, epsabs=1e-12, epsrel=1e-12)[0]
        assert solution.auc_ng_min_per_ml["plasma"][i] == pytest.approx(auc, rel=1e-9)


def test_complex_eigenvalues_take_the_fallback(reference: ReferenceSolve) -> None:
    """A cycle (a → b → c → a) has complex eigenvalues: the real closed form does not apply, expm does."""
    builder = SystemBuilder(2, ("a", "b", "c"))
    builder.flow("a", "b", np.array([0.3, 0.5]))
    builder.flow("b", "c", 0.3)
    builder.flow("c", "a", 0.3)
    builder.flow("a", None, 0.01)
    builder.bolus("a", 0.0, 10.0)
    builder.zero_order("b", 30.0, 20.0, 5.0)
    builder.output("plasma", "a", 100.0)
    system = builder.build()
    assert np.iscomplexobj(np.linalg.eigvals(system.a_per_min[0]))
    t = pk.time_grid(200, 0.7)
    solution = solve(system, t)
    assert solution.fallback.all()
    _assert_close(dict(solution.series), reference(system, t))


def test_time_blocks_do_not_change_the_result() -> None:
    doses = [pk.Dose("iv", 10), pk.Dose("oral", 50, start_min=30)]
    model = get_model("kamp2020")
    system = model.assemble(sample_parameters(model, pk.Subject(weight_kg=60), 5, np.random.default_rng(1)), doses, 0.4)
    t = pk.time_grid(500, 0.5)
    whole, blocked = solve(system, t), solve(system, t, block_elements=50)
    for name in system.outputs:
        np.testing.assert_allclose(whole.series[name], blocked.series[name], rtol=1e-14, atol=0)


def test_engine_rejects_bad_arguments() -> None:
    system = _depot_system(np.array([0.1]))
    with pytest.raises(ValueError, match="method"):
        solve(system, [0.0, 1.0], method="rk45")
    for grid in ([], [1.0, 2.0], [0.0, 2.0, 1.0]):
        with pytest.raises(ValueError, match="t_min"):
            solve(system, grid)
