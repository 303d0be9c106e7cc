"""Pharmacokinetic simulator for ketamine and esketamine (CONTRACTS §4.5, knowledge/pharmacokinetics.md).

The prescriber sees what concentration a planned dose and route will produce, for this patient
(:func:`simulate`) and across the population (:func:`simulate_population`). Seven published linear models
(:func:`models`), exact closed-form solutions batched over subjects with a matrix-exponential fallback for
near-coinciding eigenvalues, analytic AUC. Pure NumPy/SciPy.

>>> from ketaclinic.domain import pk
>>> subject = pk.Subject(weight_kg=70, age_years=40, sex="male", height_cm=175)
>>> doses = [pk.Dose(route="iv", amount_mg=35, start_min=0, duration_min=40)]
>>> p = pk.simulate(doses, subject, model="kamp2020", t_end_min=1440, step_min=1.0)
>>> p.t_min.shape, round(p.cmax_ng_ml), p.tmax_min
((1441,), 253, 40.0)
>>> pk.preview_model("iv"), pk.models()[pk.preview_model("iv")].sampling_site
('clements1981', 'venous')

Units: amounts mg of base drug, times min, concentrations ng/mL, AUC ng·h/mL.
"""

from .catalogue import DEFAULT_MODEL, MODEL_IDS, ModelInfo, models
from .effect import ke0_from_t_peak
from .inputs import ROUTES, Dose, Subject
from .planning import preview_model
from .results import Exposure, PKResult, PopulationExposure, PopulationResult
from .simulation import simulate, simulate_population, time_grid

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_IDS",
    "ROUTES",
    "Dose",
    "Exposure",
    "ModelInfo",
    "PKResult",
    "PopulationExposure",
    "PopulationResult",
    "Subject",
    "ke0_from_t_peak",
    "models",
    "preview_model",
    "simulate",
    "simulate_population",
    "time_grid",
]
