"""Evaluate a proposed plan against the protocol, the patient and the eligibility decision — no writes.

The plan form, the live preview, the API and signing all call :func:`evaluate`, so the numbers a prescriber sees are
the numbers that get signed. Every rule comes from ketaclinic.domain (dosing, protocols, eligibility); this module
only gathers the patient's data and turns findings into one list with a severity each:
``hard_stop`` (never signable), ``override_allowed`` (signable with a written reason), ``caution`` (shown).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, clinical_settings_for
from ketaclinic.domain import allergies, dosing, protocols
from ketaclinic.domain.protocols import Protocol
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE as ESKETAMINE_ROUTE
from ketaclinic.intake.queries import current_decision_for
from ketaclinic.patients.models import BodyMeasurement, Patient
from ketaclinic.patients.queries import allergy_status
from ketaclinic.plans.models import ProtocolTuning

KETAMINE_CONCENTRATIONS_MG_PER_ML = (Decimal("10"), Decimal("50"), Decimal("100"))
"""Ketamine HCl injection strengths (clinical-rules.md §3 "Products"); 50 and 100 mg/mL must be diluted for IV."""


@dataclass
class PlanInput:
    indication: str
    protocol_id: str
    start_date: dt.date
    dose_mode: str = "mg_per_kg"
    dose_mg_per_kg: Decimal | None = None
    fixed_dose_mg: Decimal | None = None
    dosing_weight_basis: str = ""
    infusion_duration_min: int | None = None
    premedication: str = ""
    sessions_planned: int | None = None
    sessions_per_week: int | None = None
    concentration_mg_per_ml: Decimal | None = None
    bag_volume_ml: Decimal | None = None
    syringe_volume_ml: Decimal | None = None
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class Evaluation:
    protocol: Protocol
    tuning_version: int
    age_years: int
    measurement: BodyMeasurement | None
    weights: dict[str, Any]
    dosing_weight_kg: Decimal | None
    dose_mg: Decimal
    first_dose_mg: Decimal | None
    rate_mg_per_h: Decimal | None
    duration_min: int | None
    schedule: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    eligibility_decision_id: int | None

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["blocking"]]

    @property
    def signable(self) -> bool:
        return not self.blocking

    @property
    def needs_cosignature(self) -> bool:
        """Above the protocol's range: signing needs the written reason AND a second prescriber (§3)."""
        return any(f.get("cosign") for f in self.findings)


def effective_protocol(clinic: Clinic | None, protocol_id: str) -> tuple[Protocol, int]:
    """The library protocol with the clinic's latest tuning applied, and that tuning's version (0 = none)."""
    try:
        base = protocols.get(protocol_id)
    except ValueError:
        raise ValidationError({"protocol_id": f"Unknown protocol {protocol_id!r}."}) from None
    tuning = (
        ProtocolTuning.objects.filter(clinic=clinic, protocol_id=protocol_id).order_by("-version").first()
        if clinic is not None
        else None
    )
    if tuning is None:
        return base, 0
    return protocols.apply_overrides(base, tuning.overrides), tuning.version


def _finding(code: str, severity: str, message: str, source: str, overrides: dict[str, str]) -> dict[str, Any]:
    reason = overrides.get(code, "").strip()
    overridden = severity == "override_allowed" and bool(reason)
    return {
        "code": code,
        "severity": severity,
        "message": message,
        "source": source,
        "override_reason": reason if overridden else "",
        "blocking": severity == "hard_stop" or (severity == "override_allowed" and not overridden),
        # The two alarming tiers (issue 15): above the label's anaesthetic dose, and above the protocol's range.
        "absolute": code in dosing.ABSOLUTE_FINDING_CODES,
        "cosign": severity == "override_allowed" and code in dosing.COSIGN_FINDING_CODES,
    }


def _age(patient: Patient, on: dt.date) -> int:
    return patient.age_years(on)


def _eligibility_findings(
    patient: Patient, route: str, overrides: dict[str, str]
) -> tuple[list[dict[str, Any]], int | None]:
    """The plan needs a signed, current eligibility decision for this route; its cautions are shown again."""
    decision = current_decision_for(patient)
    source = "Clinic policy: a plan needs a signed, current eligibility decision"
    if decision is None:
        return [
            _finding(
                "eligibility_missing",
                "hard_stop",
                "There is no signed eligibility decision for this "
                "patient: a prescriber must review and sign one first.",
                source,
                overrides,
            )
        ], None
    findings = []
    if decision.outcome == "not_eligible":
        findings.append(
            _finding(
                "eligibility_not_eligible",
                "hard_stop",
                f"The signed eligibility decision (version {decision.version}) says not eligible.",
                source,
                overrides,
            )
        )
    if route not in (decision.routes or []):
        findings.append(
            _finding(
                "eligibility_route_not_assessed",
                "hard_stop",
                f"The eligibility decision "
                f"(version {decision.version}) did not assess the route {route!r}; review "
                "eligibility for this route first.",
                source,
                overrides,
            )
        )
    for item in decision.findings or []:
        if item.get("level") in ("caution", "relative"):
            findings.append(
                _finding(
                    f"eligibility:{item.get('code')}",
                    "caution",
                    f"From the eligibility review ({item.get('level')}): {item.get('message')}",
                    item.get("source", ""),
                    overrides,
                )
            )
    if decision.outcome == "eligible_with_conditions" and decision.conditions_text:
        findings.append(
            _finding(
                "eligibility_conditions",
                "caution",
                f"Eligible with conditions: {decision.conditions_text}",
                source,
                overrides,
            )
        )
    return findings, decision.pk


def _rems_findings(patient: Patient, overrides: dict[str, str]) -> list[dict[str, Any]]:
    """Esketamine cannot start until the patient's REMS enrolment is recorded (clinical-rules.md §3 REMS)."""
    enrolled = any(c.is_current() for c in patient.consents.filter(kind="esketamine_rems", entered_in_error=False))
    if enrolled:
        return []
    return [
        _finding(
            "rems_enrolment_missing",
            "hard_stop",
            "Record the patient's Spravato REMS enrolment (Consents) before an esketamine plan can be signed.",
            "Spravato REMS (FDA)",
            overrides,
        )
    ]


ALLERGY_OVERRIDE_SOURCE = "ketaclinic allergy check: a match stops signing until the prescriber writes a reason"


def allergy_findings(
    patient: Patient, route: str, premedication: str, overrides: dict[str, str]
) -> list[dict[str, Any]]:
    """Ketamine (or esketamine) itself and every premedication against the recorded allergies, by ingredient and by
    drug class (domain.allergies). A match is a hard stop that only the prescriber (plans.write) overrides with a
    written reason, kept with the signed version; allergies not recorded at all are a caution."""
    status = allergy_status(patient)
    if status.state == "not_recorded":
        return [
            _finding(
                "allergies_not_recorded",
                "caution",
                "Allergies are not recorded (neither an allergy nor “no known drug allergies”): ask the patient and "
                "record the answer on the chart.",
                "the patient's allergy record",
                overrides,
            )
        ]
    drug = "esketamine" if route == ESKETAMINE_ROUTE else "ketamine"
    checks = [(f"allergy_{drug}", "The planned drug", drug)]
    if premedication.strip():
        checks.append(("allergy_premedication", "The premedication", premedication))
    findings = []
    for prefix, what, text in checks:
        for match in allergies.check(text, status.recorded):
            finding = _finding(
                f"{prefix}:{match.drug}",
                "override_allowed",
                f"ALLERGY: {what} ({match.drug}) matches an allergy on the chart. {match.message} Do not give it "
                "unless the prescriber writes why the benefit outweighs the risk.",
                match.source,
                overrides,
            )
            finding["allergy"] = True
            findings.append(finding)
    return findings


def _latest_measurement(patient: Patient) -> BodyMeasurement | None:
    return patient.measurements.filter(entered_in_error=False).order_by("-measured_at").first()


def _weights(
    patient: Patient, measurement: BodyMeasurement | None, basis: str
) -> tuple[dict[str, Any], Decimal | None]:
    if measurement is None:
        return {}, None
    if patient.sex not in ("male", "female"):
        if basis != "total":
            raise ValidationError(
                {
                    "dosing_weight_basis": "Ideal and adjusted weight need the sex assigned at birth "
                    "(Devine formula); record it on the chart or dose on total body weight."
                }
            )
        return {"total_kg": str(measurement.weight_kg), "basis": "total", "warnings": []}, measurement.weight_kg
    weights = dosing.dosing_weights(measurement.weight_kg, measurement.height_cm, patient.sex, basis)
    return {
        "total_kg": str(weights.total_kg),
        "ideal_kg": str(weights.ideal_kg),
        "adjusted_kg": str(weights.adjusted_kg),
        "bmi_kg_per_m2": str(weights.bmi_kg_per_m2),
        "basis": weights.basis,
        "dosing_weight_kg": str(weights.dosing_weight_kg),
        "warnings": list(weights.warnings),
    }, weights.dosing_weight_kg


def _racemic_schedule(protocol: Protocol, data: PlanInput) -> list[dt.date]:
    if protocol.series_sessions_per_week_min is not None and protocol.series_sessions is not None:
        try:
            return list(
                dosing.induction_series_dates(
                    protocol, data.start_date, sessions=data.sessions_planned, sessions_per_week=data.sessions_per_week
                )
            )
        except ValueError as exc:
            field_name = str(exc).split(":")[0]
            raise ValidationError(
                {field_name if field_name in ("sessions", "sessions_per_week") else "__all__": str(exc)}
            ) from None
    count = data.sessions_planned or protocol.series_sessions or 1
    per_week = data.sessions_per_week or 7
    if not 1 <= per_week <= 7:
        raise ValidationError({"sessions_per_week": "Between 1 and 7 sessions a week."})
    if not 1 <= count <= 60:
        raise ValidationError({"sessions_planned": "Between 1 and 60 sessions."})
    step = 7 / per_week
    return [data.start_date + dt.timedelta(days=int(i * step)) for i in range(count)]


def evaluate(*, patient: Patient, clinic: Clinic | None, data: PlanInput) -> Evaluation:
    """Compute doses, schedule and every finding for ``data``. Raises ValidationError naming a field for bad input."""
    protocol, tuning_version = effective_protocol(clinic, data.protocol_id)
    if data.indication not in protocol.indications:
        raise ValidationError({"indication": f"{protocol.name} is for {', '.join(protocol.indications)}."})
    if data.start_date < timezone.localdate() - dt.timedelta(days=1):
        raise ValidationError({"start_date": "The series cannot start in the past."})
    overrides = {code: reason for code, reason in data.overrides.items() if reason and reason.strip()}
    age = _age(patient, data.start_date)
    measurement = _latest_measurement(patient)
    basis = data.dosing_weight_basis or protocol.dosing_weight_basis
    findings: list[dict[str, Any]] = []
    eligibility, decision_id = _eligibility_findings(patient, protocol.route, overrides)
    findings += eligibility
    findings += allergy_findings(patient, protocol.route, data.premedication, overrides)

    if protocol.route == ESKETAMINE_ROUTE:
        findings += _rems_findings(patient, overrides)
        return _evaluate_esketamine(patient, protocol, tuning_version, data, age, measurement, findings, decision_id)

    weights, dosing_weight = _weights(patient, measurement, basis)
    duration = data.infusion_duration_min if protocol.route == "iv" else None
    if protocol.route == "iv" and duration is None:
        duration = protocol.infusion_duration_min
    if data.dose_mode == "mg_per_kg":
        if data.dose_mg_per_kg is None or data.dose_mg_per_kg <= 0:
            raise ValidationError({"dose_mg_per_kg": "Enter the dose in mg/kg."})
        if dosing_weight is None:
            raise ValidationError({"dose_mg_per_kg": "Record the patient's weight and height first (chart)."})
        dose = dosing.weight_based_dose_mg(data.dose_mg_per_kg, dosing_weight)
    elif data.dose_mode == "fixed_mg":
        if data.fixed_dose_mg is None or data.fixed_dose_mg <= 0:
            raise ValidationError({"fixed_dose_mg": "Enter the dose in mg."})
        dose = data.fixed_dose_mg
    else:
        raise ValidationError({"dose_mode": "Choose mg/kg or a fixed dose."})
    try:
        check = dosing.check_dose(protocol, dose_mg=dose, dosing_weight_kg=dosing_weight, duration_min=duration)
    except ValueError as exc:
        name = str(exc).split(":")[0]
        raise ValidationError({"infusion_duration_min" if name == "duration_min" else "__all__": str(exc)}) from None
    for item in check.findings:
        findings.append(_finding(item.code, item.severity, item.message, item.source, overrides))
    for warning in weights.get("warnings", []):
        findings.append(
            _finding(
                "dosing_weight_note",
                "caution",
                warning,
                "Sanacora et al., JAMA Psychiatry 2017 (dosing weight)",
                overrides,
            )
        )
    if protocol.route == "iv":
        if data.concentration_mg_per_ml not in KETAMINE_CONCENTRATIONS_MG_PER_ML:
            raise ValidationError(
                {"concentration_mg_per_ml": "Choose the ketamine strength used (10, 50 or 100 mg/mL)."}
            )
        if data.bag_volume_ml is None or data.bag_volume_ml <= 0:
            raise ValidationError({"bag_volume_ml": "Enter the infusion bag volume in mL."})
        # Physical sense: the ketamine drawn up must fit the bag it goes into (issue 15).
        problem = dosing.container_fit_problem(
            check.dose_mg,
            data.concentration_mg_per_ml,
            data.bag_volume_ml,
            strengths_mg_per_ml=KETAMINE_CONCENTRATIONS_MG_PER_ML,
        )
        if problem:
            raise ValidationError({"concentration_mg_per_ml": problem})
    if protocol.route == "im" and data.concentration_mg_per_ml and data.syringe_volume_ml:
        # The IM injection must fit the syringe it is drawn into (issue 15).
        problem = dosing.container_fit_problem(
            check.dose_mg,
            data.concentration_mg_per_ml,
            data.syringe_volume_ml,
            strengths_mg_per_ml=KETAMINE_CONCENTRATIONS_MG_PER_ML,
            container="syringe",
        )
        if problem:
            raise ValidationError({"syringe_volume_ml": problem})
    dates = _racemic_schedule(protocol, data)
    schedule = [
        {"number": i + 1, "date": day.isoformat(), "phase": "series", "dose_mg": str(check.dose_mg)}
        for i, day in enumerate(dates)
    ]
    return Evaluation(
        protocol,
        tuning_version,
        age,
        measurement,
        weights,
        dosing_weight,
        check.dose_mg,
        None,
        check.rate_mg_per_h,
        duration,
        schedule,
        findings,
        decision_id,
    )


def _evaluate_esketamine(
    patient: Patient,
    protocol: Protocol,
    tuning_version: int,
    data: PlanInput,
    age: int,
    measurement: BodyMeasurement | None,
    findings: list[dict[str, Any]],
    decision_id: int | None,
) -> Evaluation:
    """Esketamine: label doses and schedule (hard stops) under the clinic's label jurisdiction (US label by default:
    the same doses at any adult age; EU/UK SmPC: 28 mg start at 65 and over), REMS (clinical-rules.md §3)."""
    if data.fixed_dose_mg is None:
        raise ValidationError(
            {
                "fixed_dose_mg": "Choose the esketamine dose after day 1 (56 or 84 mg; 28 mg at 65+ under the "
                "EU/UK SmPC)."
            }
        )
    label = clinical_settings_for(patient.location.clinic_id).label_jurisdiction
    try:
        first = dosing.esketamine_allowed_doses_mg(
            protocol, age_years=age, indication=data.indication, first_dose=True, jurisdiction=label
        )
        check = dosing.check_esketamine_dose(
            protocol, dose_mg=data.fixed_dose_mg, age_years=age, indication=data.indication, jurisdiction=label
        )
        sessions = dosing.esketamine_schedule(
            protocol, data.start_date, age_years=age, indication=data.indication, jurisdiction=label
        )
    except ValueError as exc:
        name = str(exc).split(":")[0]
        raise ValidationError({name if name in ("age_years", "indication") else "__all__": str(exc)}) from None
    for item in check.findings:
        findings.append(_finding(item.code, item.severity, item.message, item.source, {}))
    first_dose = first[0]
    schedule = [
        {
            "number": s.number,
            "date": s.date.isoformat(),
            "phase": s.phase,
            "week": s.week,
            "dose_mg": str(first_dose if s.number == 1 else check.dose_mg),
        }
        for s in sessions
    ]
    return Evaluation(
        protocol,
        tuning_version,
        age,
        measurement,
        {},
        None,
        check.dose_mg,
        first_dose,
        None,
        None,
        schedule,
        findings,
        decision_id,
    )
