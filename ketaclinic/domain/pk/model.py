"""The common model interface: model metadata, random effects, the abstract model, parameter sampling, registration.

Every model carries its citation, drug, sampling site (where known), supported routes and the source of its
parameters ("as coded" values come from open-source implementations and were not checked against the paper's
table; the UI must say so). Variability follows knowledge/pharmacokinetics.md §1 "Variability conventions": a CV %
is used as ω = CV/100, the standard deviation of η on the log scale (logit scale for a fraction); models without
published variability get an *assumed* ω = 0.30 on every volume and clearance, labelled ``variability_assumed``.
Each model module registers its models here with :func:`register`; :mod:`.catalogue` imports them all and looks
them up.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .inputs import Dose, Subject
from .system import LinearSystem, SystemBuilder

__all__ = [
    "ASSUMED_OMEGA",
    "Model",
    "ModelInfo",
    "Parameters",
    "RandomEffects",
    "add_effect_site",
    "register",
    "sample_parameters",
]

FloatArray = NDArray[np.float64]
Parameters = Mapping[str, FloatArray]

#: Assumed between-subject SD of log-parameters for models without published variability (knowledge file §1).
ASSUMED_OMEGA = 0.30


@dataclass(frozen=True)
class ModelInfo:
    """What a prescriber needs to know about a model before trusting its curve.

    Attributes
    ----------
    id : str
        Model id, e.g. ``"kamp2020"``.
    title : str
        One-line description.
    citation : str
        Reference of the published model (and of the implementation the parameters were taken from).
    drug : str
        ``"racemic ketamine"``, ``"S-ketamine"`` or ``"esketamine"``.
    population : str
        Who the model was built from.
    sampling_site : str or None
        ``"venous"``, ``"arterial"``, or ``None`` where the source does not say (results carry it, and every chart
        says which).
    routes : tuple of str
        Supported routes.
    metabolite : str or None
        Name of the metabolite the model predicts, if any.
    metabolite_units : str or None
        In what mass the metabolite concentration is expressed.
    parameter_source : str
        Where the numbers come from (``"as coded in ..."`` marks values not checked against the paper).
    variability : str
        Between-subject variability used by population runs.
    variability_assumed : bool
        True when no variability was published and the assumed ω = 0.30 is used.
    notes : tuple of str
        Caveats to show beside every prediction of this model.
    metabolite_caveat : str or None
        What must be shown wherever the metabolite (its curve or AUC) is shown.
    """

    id: str
    title: str
    citation: str
    drug: str
    population: str
    sampling_site: str | None
    routes: tuple[str, ...]
    metabolite: str | None
    metabolite_units: str | None
    parameter_source: str
    variability: str
    variability_assumed: bool
    notes: tuple[str, ...] = ()
    metabolite_caveat: str | None = None

    @property
    def as_coded(self) -> bool:
        """True when the parameters were taken from an implementation rather than checked against the paper."""
        return "as coded" in self.parameter_source or "transcribed" in self.parameter_source


@dataclass(frozen=True)
class RandomEffects:
    """η ~ MVN(0, Ω) on named parameters.

    Attributes
    ----------
    parameters : tuple of str
        Parameter names, in the order of ``omega``.
    omega : ndarray, shape (p, p)
        Covariance of η.
    logit : frozenset of str
        Parameters (fractions) whose η is added on the logit scale; the others are log-normal.
    """

    parameters: tuple[str, ...]
    omega: FloatArray
    logit: frozenset[str] = frozenset()

    @classmethod
    def diagonal(cls, sd: Mapping[str, float], logit: frozenset[str] = frozenset()) -> RandomEffects:
        """Independent η with the given standard deviations (ω = CV/100)."""
        return cls(tuple(sd), np.diag(np.square(np.array(list(sd.values()), dtype=np.float64))), logit)


class Model(ABC):
    """A published model: typical values from covariates, variability, and assembly into a linear system."""

    info: ModelInfo
    random_effects: RandomEffects

    @abstractmethod
    def typical(self, subject: Subject) -> dict[str, float]:
        """Typical parameter values for ``subject`` after covariate scaling (L, L/min, min⁻¹, fractions)."""

    @abstractmethod
    def assemble(self, params: Parameters, doses: Sequence[Dose], ke0_per_min: float | None) -> LinearSystem:
        """Build the batched system for parameters of shape (n,) each, the doses, and an optional effect site."""

    @abstractmethod
    def clearance_l_per_min(self, params: Parameters) -> FloatArray:
        """Total clearance of the parent drug from plasma (L/min), shape (n,)."""

    @abstractmethod
    def central_volume_l(self, params: Parameters) -> FloatArray:
        """Volume of the sampled (central) compartment (L), shape (n,)."""

    def route_notes(self, doses: Sequence[Dose], subject: Subject) -> tuple[tuple[str, ...], bool]:
        """Caveats for these doses and this subject, and whether the prediction is flagged uncertain."""
        return (), False

    def check_doses(self, doses: Sequence[Dose]) -> None:
        for dose in doses:
            if dose.route not in self.info.routes:
                raise ValueError(
                    f"route {dose.route!r} is not supported by model {self.info.id!r} "
                    f"(supported: {', '.join(self.info.routes)})"
                )


def add_effect_site(builder: SystemBuilder, central: str, ke0_per_min: float | None) -> None:
    """Effect site ``dCe/dt = ke0 (A1/V1 − Ce)``, carried as ``V1 · Ce`` (mg) so the matrix stays well scaled.

    ``builder`` must have an ``"effect"`` state when ``ke0_per_min`` is given; its output is read with the same
    ``1000/V1`` factor as plasma.
    """
    if ke0_per_min is None:
        return
    builder.drive(central, "effect", ke0_per_min)
    builder.flow("effect", None, ke0_per_min)


def sample_parameters(model: Model, subject: Subject, n: int, rng: np.random.Generator | None) -> dict[str, FloatArray]:
    """Per-subject parameters: typical values × covariates, with η ~ MVN(0, Ω) drawn from ``rng``.

    Parameters
    ----------
    model : Model
    subject : Subject
        Covariates shared by every simulated subject.
    n : int
        Number of subjects.
    rng : numpy.random.Generator or None
        ``None`` returns the typical values (η = 0).

    Returns
    -------
    dict of str to ndarray, shape (n,)
    """
    typical = model.typical(subject)
    params = {name: np.full(n, value, dtype=np.float64) for name, value in typical.items()}
    effects = model.random_effects
    if rng is None or not effects.parameters:
        return params
    chol = np.linalg.cholesky(effects.omega)
    eta = rng.standard_normal((n, len(effects.parameters))) @ chol.T
    for j, name in enumerate(effects.parameters):
        if name in effects.logit:
            logit = math.log(typical[name] / (1 - typical[name]))
            params[name] = 1.0 / (1.0 + np.exp(-(logit + eta[:, j])))
        else:
            params[name] = typical[name] * np.exp(eta[:, j])
    return params


_REGISTRY: dict[str, Model] = {}


def register(model: Model) -> Model:
    _REGISTRY[model.info.id] = model
    return model
