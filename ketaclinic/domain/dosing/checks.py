"""Dose checks: one racemic-ketamine dose against a protocol's ranges, ceilings and caps.

Limits come from the protocol object (:mod:`ketaclinic.domain.protocols`), so no limit is written twice; figures and
sources are ``shared/knowledge/clinical-rules.md`` §3 (low-dose ceiling, pain-protocol bolus, CRPS rates and caps).
Checks return frozen :class:`DoseFinding` values with a severity from the protocol: ``hard_stop`` (label rules, never
overridable), ``override_allowed`` (blocks unless a prescriber records a written reason, which the caller audits) or
``caution`` (informs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final, cast

from ketaclinic.domain.dosing.inputs import (
    _DOSE_Q,
    _MIN_PER_H,
    _PER_KG_Q,
    _RATE_Q,
    Number,
    _decimal,
    _fmt,
    _q,
    _weight,
)
from ketaclinic.domain.protocols import Protocol, Severity
from ketaclinic.domain.protocols.limits import LABEL_ANAESTHETIC_SOURCE
from ketaclinic.domain.vocabulary import IV_ROUTE, PAIN_INDICATIONS

__all__ = [
    "ABSOLUTE_FINDING_CODES",
    "COSIGN_FINDING_CODES",
    "DOSE_FINDING_CODES",
    "DoseCheck",
    "DoseFinding",
    "check_dose",
]

_SOURCE_LOW_DOSE: Final = "Pennsylvania low-dose ketamine guideline 2020 (low-dose ceiling)"
_SOURCE_PAIN_BOLUS: Final = (
    "Pain-protocol bolus ≤ 0.35 mg/kg without intensive monitoring (Schwenk 2018, ASRA/AAPM/ASA acute-pain consensus)"
)
_SOURCE_CRPS: Final = "Schwartzman et al., Pain 2009 (CRPS, outpatient regimen)"

DOSE_FINDING_CODES: Final[Mapping[str, str]] = {
    "dose_below_range": "dose_range",
    "dose_above_range": "dose_range",
    "infusion_ceiling_exceeded": "infusion_mg_per_kg_per_h_max",
    "bolus_ceiling_exceeded": "bolus_mg_per_kg_max",
    "rate_per_kg_above_max": "rate_mg_per_kg_per_h_max",
    "rate_above_max": "rate_mg_per_h_max",
    "daily_total_above_max": "daily_mg_max",
    "course_total_above_max": "course_mg_max",
    "esketamine_dose_not_allowed": "allowed_doses_mg",
}
"""Every dose-finding code and the protocol limit (``protocols.LIMIT_NAMES``) whose severity it carries."""

ABSOLUTE_FINDING_CODES: Final[Mapping[str, str]] = {
    "anaesthetic_bolus": "absolute_bolus_mg_per_kg",
    "anaesthetic_rate": "absolute_rate_mg_per_kg_per_min",
    "anaesthetic_im_dose": "absolute_im_mg_per_kg",
}
"""Doses at or above the label's anaesthetic dose (the protocol field holding each maximum): always ``hard_stop``, no
override passes (Ketalar US label §2.2; clinical-rules.md §3 "Absolute maximum")."""

COSIGN_FINDING_CODES: Final = frozenset(
    {
        "dose_above_range",
        "infusion_ceiling_exceeded",
        "bolus_ceiling_exceeded",
        "rate_per_kg_above_max",
        "rate_above_max",
        "daily_total_above_max",
        "course_total_above_max",
    }
)
"""Findings above the protocol's range or ceilings: when overridable, signing needs the written reason AND a second
prescriber's co-signature (clinical-rules.md §3 "Low-dose ceiling": above it, "override with a reason and a second
prescriber's co-signature")."""


# --- Dose checks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseFinding:
    """A dose outside a protocol limit. ``value`` and ``limit`` are in ``unit``; ``limit`` is None for a set rule.

    ``override_reason`` holds the prescriber's written reason once an ``override_allowed`` finding is overridden.
    """

    code: str
    severity: Severity
    message: str
    value: Decimal
    limit: Decimal | None
    unit: str
    source: str
    override_reason: str | None = None

    @property
    def needs_cosignature(self) -> bool:
        """True when overriding this finding needs a second prescriber's co-signature as well as the reason."""
        return self.severity == "override_allowed" and self.code in COSIGN_FINDING_CODES

    @property
    def blocking(self) -> bool:
        """True for a hard stop, and for an override-allowed finding nobody has overridden yet."""
        if self.severity == "hard_stop":
            return True
        return self.severity == "override_allowed" and self.override_reason is None


@dataclass(frozen=True)
class DoseCheck:
    """The checked dose, what it works out to, and every finding (in check order)."""

    dose_mg: Decimal
    mg_per_kg: Decimal | None
    rate_mg_per_h: Decimal | None
    rate_mg_per_kg_per_h: Decimal | None
    findings: tuple[DoseFinding, ...]

    @property
    def blocked(self) -> bool:
        """True when any finding still blocks the order."""
        return any(finding.blocking for finding in self.findings)

    @property
    def needs_cosignature(self) -> bool:
        """True when signing needs a second prescriber's co-signature (an overridable finding above the range)."""
        return any(finding.needs_cosignature for finding in self.findings)

    @property
    def requires_override(self) -> tuple[str, ...]:
        """Codes a prescriber could override (with a written reason) to unblock the order."""
        return tuple(f.code for f in self.findings if f.severity == "override_allowed" and f.override_reason is None)


_SEVERITY_WORDS: Final[Mapping[str, str]] = {
    "hard_stop": "Not allowed.",
    "override_allowed": "Needs a prescriber override with a written reason.",
    "caution": "Caution.",
}


_COSIGN_WORDS: Final = "Above the protocol's range: needs a written reason and a second prescriber's co-signature."
_ABSOLUTE_WORDS: Final = "Above the label's anaesthetic dose: cannot be signed."


def _finding(
    protocol: Protocol, code: str, text: str, value: Decimal, limit: Decimal | None, unit: str, source: str
) -> DoseFinding:
    severity = protocol.severity(DOSE_FINDING_CODES[code])
    words = _COSIGN_WORDS if severity == "override_allowed" and code in COSIGN_FINDING_CODES else None
    return DoseFinding(code, severity, f"{text} {words or _SEVERITY_WORDS[severity]}", value, limit, unit, source)


def _absolute_findings(protocol: Protocol, mg_per_kg: Decimal | None, duration: Decimal) -> list[DoseFinding]:
    """The never-signable doses: at or above the label's anaesthetic dose, or the clinic's lower maximum (Ketalar US
    label §2.2). Validation guarantees IV protocols carry both IV maxima and IM protocols the IM one."""
    if mg_per_kg is None:
        return []
    shown = _fmt(_q(mg_per_kg, _PER_KG_Q))
    if protocol.route == IV_ROUTE and duration > 0:
        code, unit, value = "anaesthetic_rate", "mg/kg/min", mg_per_kg / duration
        limit = cast(Decimal, protocol.absolute_rate_mg_per_kg_per_min)
        text = (
            f"{shown} mg/kg over {_fmt(duration)} min is {_fmt(_q(value, _PER_KG_Q))} mg/kg/min, at or above the "
            f"anaesthetic rate of {_fmt(limit)} mg/kg/min."
        )
    elif protocol.route == IV_ROUTE:
        code, unit, value = "anaesthetic_bolus", "mg/kg", mg_per_kg
        limit = cast(Decimal, protocol.absolute_bolus_mg_per_kg)
        text = f"An IV bolus of {shown} mg/kg is at or above the anaesthetic dose of {_fmt(limit)} mg/kg."
    elif protocol.absolute_im_mg_per_kg is not None:
        code, unit, value = "anaesthetic_im_dose", "mg/kg", mg_per_kg
        limit = protocol.absolute_im_mg_per_kg
        text = f"An IM dose of {shown} mg/kg is at or above the anaesthetic dose of {_fmt(limit)} mg/kg."
    else:
        return []
    if value < limit:
        return []
    return [DoseFinding(code, "hard_stop", f"{_ABSOLUTE_WORDS} {text}", value, limit, unit, LABEL_ANAESTHETIC_SOURCE)]


def _range_findings(protocol: Protocol, dose: Decimal, mg_per_kg: Decimal | None) -> list[DoseFinding]:
    ranges: list[tuple[Decimal, Decimal, Decimal, str]] = []
    if protocol.dose_mg_per_kg_min is not None and protocol.dose_mg_per_kg_max is not None and mg_per_kg is not None:
        ranges.append((mg_per_kg, protocol.dose_mg_per_kg_min, protocol.dose_mg_per_kg_max, "mg/kg"))
    if protocol.dose_mg_min is not None and protocol.dose_mg_max is not None:
        ranges.append((dose, protocol.dose_mg_min, protocol.dose_mg_max, "mg"))
    if not ranges or any(low <= value <= high for value, low, high, _ in ranges):
        return []
    value, low, high, unit = ranges[0]
    accepted = " or ".join(f"{_fmt(lo)}–{_fmt(hi)} {u}" for _, lo, hi, u in ranges)
    below = value < low
    text = f"{_fmt(_q(value, _PER_KG_Q))} {unit} is {'below' if below else 'above'} the protocol range ({accepted})."
    code = "dose_below_range" if below else "dose_above_range"
    return [_finding(protocol, code, text, value, low if below else high, unit, protocol.sources[0])]


def _apply_overrides(findings: list[DoseFinding], overrides: Mapping[str, str] | None) -> tuple[DoseFinding, ...]:
    if not overrides:
        return tuple(findings)
    for code, given in overrides.items():
        if code not in DOSE_FINDING_CODES and code not in ABSOLUTE_FINDING_CODES:
            raise ValueError(f"overrides: unknown finding code {code!r}")
        if not isinstance(given, str) or not given.strip():
            raise ValueError(f"overrides: the override of {code!r} needs a written reason")
    result: list[DoseFinding] = []
    for finding in findings:
        reason = overrides.get(finding.code)
        if reason is not None and finding.severity == "hard_stop":
            raise ValueError(f"overrides: {finding.code!r} is a hard stop and cannot be overridden")
        if reason is not None and finding.severity == "override_allowed":
            finding = replace(finding, override_reason=reason.strip())
        result.append(finding)
    return tuple(result)


def check_dose(
    protocol: Protocol,
    *,
    dose_mg: Number,
    dosing_weight_kg: Number | None = None,
    duration_min: Number | None = None,
    daily_mg_before: Number = 0,
    course_mg_before: Number = 0,
    overrides: Mapping[str, str] | None = None,
) -> DoseCheck:
    """Check one racemic-ketamine dose against ``protocol``'s limits (esketamine: :func:`check_esketamine_dose`).

    ``dosing_weight_kg`` is required when the protocol has any mg/kg rule. ``duration_min`` applies to IV protocols
    only (default: the protocol's infusion duration; 0 = IV bolus). ``daily_mg_before`` / ``course_mg_before`` are
    amounts already given today / in this course, for the daily and course caps. ``overrides`` maps finding codes to
    the prescriber's written reason: it clears ``override_allowed`` findings; overriding a hard stop, an unknown code
    or a blank reason raises ``ValueError``.

    Checks, in order: dose range (mg/kg and/or fixed mg; a dose inside either range passes), IV infusion low-dose
    ceiling (mg/kg/h) and the protocol's rate caps, or the bolus ceiling for a dose given at once, daily and course
    caps. (There is no pain-infusion minimum: the "≥ 2 h and ≥ 80 mg" figure once cited could not be found in the
    ASRA/AAPM/ASA guideline text and was withdrawn; Cohen 2018 says only that higher doses over longer periods have
    moderate evidence.)
    """
    if protocol.esketamine is not None:
        raise ValueError(f"protocol: {protocol.id!r} is esketamine; use check_esketamine_dose")
    dose = _decimal("dose_mg", dose_mg)
    per_kg_rules = (
        protocol.dose_mg_per_kg_min is not None and protocol.dose_mg_min is None,
        protocol.infusion_mg_per_kg_per_h_max is not None,
        protocol.bolus_mg_per_kg_max is not None,
        protocol.rate_mg_per_kg_per_h_max is not None,
        protocol.absolute_im_mg_per_kg is not None,
    )
    weight = None if dosing_weight_kg is None else _weight("dosing_weight_kg", dosing_weight_kg)
    if weight is None and any(per_kg_rules):
        raise ValueError(f"dosing_weight_kg: required for protocol {protocol.id!r} (it has mg/kg limits)")
    if protocol.route == IV_ROUTE:
        raw_duration = protocol.infusion_duration_min if duration_min is None else duration_min
        duration = _decimal("duration_min", raw_duration, allow_zero=True)
    elif duration_min is not None and duration_min != 0:
        raise ValueError(f"duration_min: only IV protocols infuse (route is {protocol.route!r})")
    else:
        duration = Decimal(0)
    daily_before = _decimal("daily_mg_before", daily_mg_before, allow_zero=True)
    course_before = _decimal("course_mg_before", course_mg_before, allow_zero=True)

    mg_per_kg = None if weight is None else dose / weight
    rate = dose * _MIN_PER_H / duration if duration > 0 else None
    rate_per_kg = None if rate is None or weight is None else rate / weight
    findings = _absolute_findings(protocol, mg_per_kg, duration)
    findings.extend(_range_findings(protocol, dose, mg_per_kg))
    if rate is not None:
        findings.extend(_rate_findings(protocol, rate, rate_per_kg))
    elif (
        protocol.bolus_mg_per_kg_max is not None and mg_per_kg is not None and mg_per_kg > protocol.bolus_mg_per_kg_max
    ):
        shown, ceiling = _fmt(_q(mg_per_kg, _PER_KG_Q)), _fmt(protocol.bolus_mg_per_kg_max)
        pain = all(indication in PAIN_INDICATIONS for indication in protocol.indications)
        text = f"A bolus of {shown} mg/kg is above the ceiling of {ceiling} mg/kg."
        if pain:
            text = f"A bolus of {shown} mg/kg is above the pain-protocol bolus limit of {ceiling} mg/kg."
        findings.append(
            _finding(
                protocol,
                "bolus_ceiling_exceeded",
                text,
                mg_per_kg,
                protocol.bolus_mg_per_kg_max,
                "mg/kg",
                _SOURCE_PAIN_BOLUS if pain else _SOURCE_LOW_DOSE,
            )
        )
    findings.extend(_total_findings(protocol, dose, duration, daily_before, course_before))
    return DoseCheck(
        dose_mg=_q(dose, _DOSE_Q),
        mg_per_kg=None if mg_per_kg is None else _q(mg_per_kg, _PER_KG_Q),
        rate_mg_per_h=None if rate is None else _q(rate, _RATE_Q),
        rate_mg_per_kg_per_h=None if rate_per_kg is None else _q(rate_per_kg, _PER_KG_Q),
        findings=_apply_overrides(findings, overrides),
    )


def _rate_findings(protocol: Protocol, rate: Decimal, rate_per_kg: Decimal | None) -> list[DoseFinding]:
    findings: list[DoseFinding] = []
    assert rate_per_kg is not None  # IV protocols always have per-kg ceilings, so check_dose required the weight
    shown = _fmt(_q(rate_per_kg, _PER_KG_Q))
    ceiling = protocol.infusion_mg_per_kg_per_h_max
    if ceiling is not None and rate_per_kg > ceiling:
        text = f"{shown} mg/kg/h is above the low-dose infusion ceiling of {_fmt(ceiling)} mg/kg/h."
        findings.append(
            _finding(protocol, "infusion_ceiling_exceeded", text, rate_per_kg, ceiling, "mg/kg/h", _SOURCE_LOW_DOSE)
        )
    per_kg_max = protocol.rate_mg_per_kg_per_h_max
    if per_kg_max is not None and rate_per_kg > per_kg_max:
        text = f"{shown} mg/kg/h is above the protocol rate of {_fmt(per_kg_max)} mg/kg/h."
        findings.append(
            _finding(protocol, "rate_per_kg_above_max", text, rate_per_kg, per_kg_max, "mg/kg/h", _SOURCE_CRPS)
        )
    rate_max = protocol.rate_mg_per_h_max
    if rate_max is not None and rate > rate_max:
        text = f"{_fmt(_q(rate, _RATE_Q))} mg/h is above the maximum of {_fmt(rate_max)} mg/h."
        findings.append(_finding(protocol, "rate_above_max", text, rate, rate_max, "mg/h", _SOURCE_CRPS))
    return findings


def _total_findings(
    protocol: Protocol, dose: Decimal, duration: Decimal, daily_before: Decimal, course_before: Decimal
) -> list[DoseFinding]:
    findings: list[DoseFinding] = []
    for code, cap, total, what in (
        ("daily_total_above_max", protocol.daily_mg_max, daily_before + dose, "today"),
        ("course_total_above_max", protocol.course_mg_max, course_before + dose, "this course"),
    ):
        if cap is not None and total > cap:
            text = f"{_fmt(total)} mg in total {what} is above the maximum of {_fmt(cap)} mg."
            findings.append(_finding(protocol, code, text, total, cap, "mg", _SOURCE_CRPS))
    return findings
