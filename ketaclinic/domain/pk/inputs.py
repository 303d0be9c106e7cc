"""What the caller describes: the patient (:class:`Subject`) and what is given (:class:`Dose`).

Amounts are mg of base drug (esketamine HCl 32.3 mg = 28 mg base), times are minutes from the start of the
simulation (knowledge/pharmacokinetics.md, preamble). Invalid values raise ``ValueError`` naming the argument at
construction, so a bad ``Subject`` or ``Dose`` never reaches the engine.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["EXTRAVASCULAR_ROUTES", "ROUTES", "SEXES", "Dose", "Subject"]

#: Every route the simulator knows; which model supports which is in each model's metadata.
ROUTES: tuple[str, ...] = ("iv", "im", "intranasal", "oral", "sublingual")
#: Routes that go through an absorption depot (everything but ``iv``).
EXTRAVASCULAR_ROUTES: tuple[str, ...] = ("im", "intranasal", "oral", "sublingual")
SEXES: tuple[str, ...] = ("male", "female")


def _finite(name: str, value: object) -> float:
    # any real number (int, float, NumPy scalars, Decimal from the dosing module), but not True/False
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{name} must be a number (got {value!r})")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return number


def require_positive(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` naming ``name`` unless it is finite and > 0."""
    number = _finite(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be > 0 (got {value!r})")
    return number


def require_non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` naming ``name`` unless it is finite and >= 0."""
    number = _finite(name, value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0 (got {value!r})")
    return number


@dataclass(frozen=True)
class Subject:
    """The patient whose covariates scale the model's typical parameters.

    Parameters
    ----------
    weight_kg : float
        Total body weight (kg), > 0. Scales volumes (× WT/70) and clearances (× (WT/70)^0.75, or linearly where the
        model says so).
    age_years : float, optional
        Age (years), >= 0. Only ``perez_ruixo2021`` uses it (hepatic blood flow falls 2.19 L/h per year above 60);
        ``None`` applies no age effect.
    sex : {"male", "female"}, optional
        Recorded for display; no model here has a sex effect.
    height_cm : float, optional
        Recorded for display (and for dosing-weight calculations elsewhere); no model here uses it.
    asian : bool, default False
        Asian ancestry, a covariate of ``perez_ruixo2021`` only (esketamine kel × 0.36, noresketamine CL × 0.81).
    japanese : bool, default False
        Japanese ancestry; implies ``asian`` (set to True). A covariate of ``perez_ruixo2021`` only: the nasally
        absorbed fraction FRn × 1.34 (Perez-Ruixo 2021, Table 3; Table 4 gives 56 mg Cmax 94.5 ng/mL in Japanese
        vs 73.2 ng/mL in non-Japanese Asian subjects). Without it a Japanese patient's esketamine preview is ~22 %
        low.
    """

    weight_kg: float
    age_years: float | None = None
    sex: str | None = None
    height_cm: float | None = None
    asian: bool = False
    japanese: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_kg", require_positive("weight_kg", self.weight_kg))
        if self.age_years is not None:
            object.__setattr__(self, "age_years", require_non_negative("age_years", self.age_years))
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be one of {', '.join(SEXES)} (got {self.sex!r})")
        if self.height_cm is not None:
            object.__setattr__(self, "height_cm", require_positive("height_cm", self.height_cm))
        if not isinstance(self.asian, bool):
            raise ValueError(f"asian must be True or False (got {self.asian!r})")
        if not isinstance(self.japanese, bool):
            raise ValueError(f"japanese must be True or False (got {self.japanese!r})")
        if self.japanese:
            object.__setattr__(self, "asian", True)  # Perez-Ruixo 2021: the Japanese effect is on top of the Asian one


@dataclass(frozen=True)
class Dose:
    """One administration.

    Parameters
    ----------
    route : {"iv", "im", "intranasal", "oral", "sublingual"}
        ``iv`` is a bolus when ``duration_min == 0`` and a zero-order infusion otherwise.
    amount_mg : float
        Amount of base drug (mg), >= 0. For ``perez_ruixo2021`` intranasal it must be a multiple of 28 mg (one
        device); n × 28 mg is n devices given together at ``start_min``.
    start_min : float, default 0
        Start time (min), >= 0.
    duration_min : float, default 0
        Infusion duration (min), >= 0; only ``iv`` accepts a value > 0.
    """

    route: str
    amount_mg: float
    start_min: float = 0.0
    duration_min: float = 0.0

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"route must be one of {', '.join(ROUTES)} (got {self.route!r})")
        object.__setattr__(self, "amount_mg", require_non_negative("amount_mg", self.amount_mg))
        object.__setattr__(self, "start_min", require_non_negative("start_min", self.start_min))
        object.__setattr__(self, "duration_min", require_non_negative("duration_min", self.duration_min))
        if self.duration_min > 0 and self.route != "iv":
            raise ValueError(f"duration_min must be 0 for route {self.route!r}: only iv is given as an infusion")

    @property
    def end_min(self) -> float:
        """End of the input (min): ``start_min + duration_min``."""
        return self.start_min + self.duration_min
