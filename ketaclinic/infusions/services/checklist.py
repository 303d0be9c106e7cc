"""The check-in hard stops, protocol-driven: each says exactly what is missing. Read-only; ``start`` re-runs it under
the row lock, so what the nurse sees is what is enforced.

Sources: a signed plan and order (issue 6), consent (patients.Consent; esketamine REMS enrolment, clinical-rules.md
§3), the fasting window and pregnancy test (the protocol's ``[session]`` settings), a responsible adult and ride home
(clinical-rules.md §4 "Discharge"), pre-dose vitals with the sedation baseline (§4 alert table), the pre-dose scales
(§5; PHQ-9 item 9 ≥ 1 → the C-SSRS screener, instruments.md), esketamine rule R1 (§4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.domain import allergies, instruments, monitoring
from ketaclinic.domain import sessions as chairside
from ketaclinic.domain.protocols import Protocol
from ketaclinic.infusions.models import SessionAlert, SessionScore, TreatmentSession, VitalReading
from ketaclinic.infusions.services.common import protocol_for
from ketaclinic.patients.models import clinic_date
from ketaclinic.patients.queries import allergy_status
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan

R1_CODE = "esketamine_predose_bp_high"
PLAN_SOURCE = "Clinic policy: dosing only from a signed plan"
CONSENT_SOURCE = "Informed consent on the chart; Spravato REMS (FDA)"
ESCORT_SOURCE = "Spravato US prescribing information (no driving until the next day); clinic discharge policy"
CSSRS_SOURCE = "PHQ-9 item 9 (Kroenke et al. 2001); C-SSRS screener (Columbia Lighthouse Project)"
LABELS = {
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "qids_sr16": "QIDS-SR16",
    "pain_nrs": "Pain score (0–10)",
    "peg": "PEG-3",
    "bpi": "Brief Pain Inventory",
    "cssrs_screener": "C-SSRS screener",
    "cadss": "CADSS",
    "aldrete": "Modified Aldrete",
    "padss": "PADSS",
    "moaas": "MOAA/S",
    "rass": "RASS",
}


@dataclass(frozen=True)
class CheckItem:
    code: str
    label: str
    ok: bool
    detail: str
    blocking: bool = True
    source: str = ""


def predose_readings(session: TreatmentSession) -> list[VitalReading]:
    readings = session.readings.filter(entered_in_error=False)
    if session.started_at is not None:
        readings = readings.filter(taken_at__lte=session.started_at)
    return list(readings.order_by("taken_at", "pk"))


def latest_scores(session: TreatmentSession) -> dict[str, SessionScore]:
    latest: dict[str, SessionScore] = {}
    for score in session.scores.filter(entered_in_error=False).order_by("taken_at", "pk"):
        latest[score.instrument] = score
    return latest


def needs_cssrs(scores: dict[str, SessionScore]) -> bool:
    phq9 = scores.get("phq9")
    return phq9 is not None and instruments.SUICIDALITY in (phq9.flags or [])


def r1_alert(session: TreatmentSession) -> monitoring.Alert | None:
    """Esketamine R1 on the latest pre-dose blood pressure, or None (not esketamine, no BP yet, or below 140/90)."""
    if not session.is_esketamine:
        return None
    with_bp = [r for r in predose_readings(session) if r.has_bp]
    if not with_bp:
        return None
    alerts = monitoring.esketamine_predose_check(with_bp[-1].as_vital_signs())
    return alerts[0] if alerts else None


def _plan(session: TreatmentSession) -> CheckItem:
    order = SessionOrder.objects.select_related("plan_version__plan").get(pk=session.order_id)
    version = order.plan_version
    problems = []
    if version.status != PlanVersion.Status.SIGNED:
        problems.append(f"plan version {version.version} is {version.get_status_display().lower()}")
    if version.plan.status != TreatmentPlan.Status.ACTIVE:
        problems.append("the plan is stopped")
    if order.status != SessionOrder.Status.OPEN and session.status == TreatmentSession.Status.CHECK_IN:
        problems.append(f"the order is {order.get_status_display().lower()}")
    detail = (
        f"Plan v{version.version} signed by {version.signed_by.display_name if version.signed_by else '—'}; "
        f"order for session {order.session_number}: {order.dose_mg} mg {order.route}."
        if not problems
        else "Not current: " + "; ".join(problems) + ". The prescriber signs a current plan first."
    )
    return CheckItem(
        "plan",
        "Signed, current plan and order",
        not problems,
        detail,
        source=PLAN_SOURCE,
    )


def _consent(session: TreatmentSession, today: dt.date) -> CheckItem:
    consents = session.patient.consents.filter(entered_in_error=False)
    needed = [("treatment", "ketamine treatment consent")]
    if session.is_esketamine:
        needed.append(("esketamine_rems", "Spravato REMS enrolment"))
    missing, expired, on_file = [], [], []
    for kind, label in needed:
        rows = list(consents.filter(kind=kind))  # newest signature first (Consent.Meta.ordering)
        current = next((c for c in rows if c.is_current(today)), None)
        if current is not None:
            on_file.append(f"{label[0].upper()}{label[1:]} {current.how_signed}")
            continue
        lapsed = [c.expires_on for c in rows if c.expires_on is not None and c.expires_on < today]
        if lapsed:
            expired.append(f"{label} (expired {max(lapsed):%Y-%m-%d})")
        else:
            missing.append(label)
    problems = [
        *(["Expired: " + ", ".join(expired)] if expired else []),
        *(["Missing: " + ", ".join(missing)] if missing else []),
    ]
    if problems:
        detail = "; ".join(problems) + " (the patient signs it on the chart's tablet page, or record a paper one)."
    else:
        detail = "Current: " + "; ".join(on_file) + "."
    missing += expired
    return CheckItem("consent", "Consent current", not missing, detail, source=CONSENT_SOURCE)


def _fasting(session: TreatmentSession, protocol: Protocol, now: dt.datetime) -> CheckItem:
    basis = "Spravato label" if protocol.fasting_basis == "label" else "clinic policy"
    if protocol.fasting_food_min is None and protocol.fasting_liquids_min is None:
        return CheckItem("fasting", "Fasting", True, "The protocol sets no fasting window.", blocking=False)
    rule = f"no food {protocol.fasting_food_min} min, no liquids {protocol.fasting_liquids_min} min ({basis})"
    try:
        check = chairside.check_fasting(
            at=now,
            last_food_at=session.last_food_at,
            last_liquids_at=session.last_liquids_at,
            food_min=protocol.fasting_food_min,
            liquids_min=protocol.fasting_liquids_min,
        )
    except ValueError as exc:
        return CheckItem("fasting", "Fasting window", False, str(exc).split(": ", 1)[-1], source=rule)
    detail = "Met." if check.ok else " ".join(check.unmet)
    if check.ready_at is not None:
        detail += f" Ready at {timezone.localtime(check.ready_at):%H:%M}."
    return CheckItem("fasting", "Fasting window", check.ok, detail, source=rule)


def _escort(session: TreatmentSession) -> CheckItem:
    missing = []
    if not session.escort_name.strip():
        missing.append("the responsible adult's name")
    if not session.ride_home_confirmed:
        missing.append("confirmation of the ride home")
    detail = f"{session.escort_name}, ride home confirmed." if not missing else "Record " + " and ".join(missing) + "."
    return CheckItem(
        "escort",
        "Responsible adult and ride home",
        not missing,
        detail,
        source=ESCORT_SOURCE,
    )


def _pregnancy(session: TreatmentSession, protocol: Protocol, today: dt.date) -> CheckItem | None:
    if not protocol.pregnancy_test_required:
        return None
    label, source = "Pregnancy test today", "protocol setting pregnancy_test_required"
    if session.patient.sex == "male":
        return CheckItem("pregnancy", label, True, "Not applicable (male).", source=source)
    result = session.pregnancy_test
    tested_today = session.pregnancy_test_at is not None and timezone.localdate(session.pregnancy_test_at) == today
    if result == TreatmentSession.PregnancyTest.NEGATIVE and tested_today:
        return CheckItem("pregnancy", label, True, "Negative today.", source=source)
    if result == TreatmentSession.PregnancyTest.NOT_APPLICABLE:
        return CheckItem("pregnancy", label, True, "Recorded as not applicable.", source=source)
    if result == TreatmentSession.PregnancyTest.POSITIVE:
        return CheckItem("pregnancy", label, False, "Positive: do not dose; tell the prescriber.", source=source)
    return CheckItem("pregnancy", label, False, "Record today's pregnancy test result.", source=source)


def _vitals(session: TreatmentSession, protocol: Protocol) -> list[CheckItem]:
    readings = predose_readings(session)
    scale = protocol.sedation_scale
    needed = {
        "systolic_mmhg": "blood pressure",
        "heart_rate_per_min": "heart rate",
        "spo2_percent": "SpO2",
        scale: f"{LABELS[scale]} (sedation baseline)",
    }
    latest = readings[-1] if readings else None
    missing = [label for name, label in needed.items() if all(getattr(r, name) is None for r in readings)]
    if latest is None:
        detail = "Take the pre-dose vitals: blood pressure, heart rate, SpO2 and the sedation baseline."
    elif missing:
        detail = "Missing: " + ", ".join(missing) + "."
    else:
        detail = f"Taken at {timezone.localtime(latest.taken_at):%H:%M}."
    items = [
        CheckItem(
            "predose_vitals",
            "Pre-dose vitals",
            latest is not None and not missing,
            detail,
            source="Clinic monitoring protocol; Spravato US prescribing information §5 (BP before dosing)",
        )
    ]
    open_alerts = [a for a in session.alerts.filter(acknowledged_at__isnull=True) if a.code != R1_CODE]
    stop = []
    if latest is not None:
        stop = [a for a in monitoring.check_vitals(latest.as_vital_signs()) if a.level == "stop"]
    problems = []
    if open_alerts:
        problems.append(f"acknowledge {len(open_alerts)} open alert{'s' if len(open_alerts) > 1 else ''}")
    if stop:
        problems.append("the latest reading is at a stop-and-evaluate level (" + stop[0].message + ") — repeat it")
    items.append(
        CheckItem(
            "predose_alerts",
            "Pre-dose alerts dealt with",
            not problems,
            "None open." if not problems else "; ".join(problems).capitalize() + ".",
            source="Clinic default alert limits (configurable)",
        )
    )
    return items


def _scales(session: TreatmentSession, protocol: Protocol, scores: dict[str, SessionScore]) -> list[CheckItem]:
    items = []
    for measure in protocol.predose_measures:
        score = scores.get(measure)
        detail = f"{score.total:g} ({score.band or 'no band'})." if score else f"Score the {LABELS[measure]} now."
        items.append(
            CheckItem(
                f"measure_{measure}",
                f"{LABELS[measure]} before dosing",
                score is not None,
                detail,
                source="Measurement-based care: a score before every induction session",
            )
        )
    if needs_cssrs(scores):
        cssrs = scores.get("cssrs_screener")
        detail = (
            f"Done: {cssrs.band} risk. {instruments.cssrs_recommended_action(cssrs.band) or ''}".strip()
            if cssrs
            else "PHQ-9 item 9 is 1 or more: give the C-SSRS screener before dosing."
        )
        items.append(
            CheckItem(
                "cssrs",
                "C-SSRS screener",
                cssrs is not None,
                detail,
                source=CSSRS_SOURCE,
            )
        )
    return items


def _r1(session: TreatmentSession) -> CheckItem | None:
    alert = r1_alert(session)
    if alert is None:
        return None
    ok = bool(session.risk_benefit_note) and session.risk_benefit_at is not None
    latest_bp = [r for r in predose_readings(session) if r.has_bp][-1]
    if ok and session.risk_benefit_at is not None and session.risk_benefit_at < latest_bp.recorded_at:
        ok = False  # acknowledged for an earlier reading
    detail = (
        f"Acknowledged by {session.risk_benefit_by.display_name if session.risk_benefit_by else '—'}: "
        f"{session.risk_benefit_note}"
        if ok
        else f"{alert.message} {alert.action}"
    )
    return CheckItem("r1", "Esketamine R1: risk/benefit acknowledged", ok, detail, source=alert.source)


@dataclass(frozen=True)
class AllergyCheck:
    """Ketamine or esketamine against the recorded allergies (issue 15): the matches, and what overrides them."""

    drug: str
    state: str
    matches: tuple[allergies.AllergyMatch, ...]
    plan_override: str
    """The signed plan's written override for this drug's allergy stop, if the prescriber wrote one there."""

    @property
    def codes(self) -> list[str]:
        return [f"allergy_{self.drug}:{m.drug}" for m in self.matches]


def allergy_check(session: TreatmentSession) -> AllergyCheck:
    drug = "esketamine" if session.is_esketamine else "ketamine"
    status = allergy_status(session.patient)
    matches = allergies.check(drug, status.recorded)
    plan_overrides = session.order.plan_version.overrides or {}
    codes = [f"allergy_{drug}:{m.drug}" for m in matches]
    plan_override = "; ".join(plan_overrides[c] for c in codes if c in plan_overrides)
    if codes and not all(c in plan_overrides for c in codes):
        plan_override = ""
    return AllergyCheck(drug, status.state, matches, plan_override)


def _allergy(session: TreatmentSession) -> CheckItem:
    check = allergy_check(session)
    label, source = f"{check.drug.capitalize()} against recorded allergies", "the patient's allergy record"
    if check.state == "not_recorded":
        return CheckItem(
            "allergy",
            label,
            False,
            "Allergies are not recorded: ask the patient and record the answer on the chart.",
            blocking=False,
            source=source,
        )
    if not check.matches:
        return CheckItem("allergy", label, True, "No recorded allergy matches.", source=source)
    words = " ".join(m.message for m in check.matches)
    source = check.matches[0].source
    if session.allergy_override_note and session.allergy_override_matches == check.codes:
        by = session.allergy_override_by.display_name if session.allergy_override_by else "—"
        return CheckItem(
            "allergy", label, True, f"{words} Overridden by {by}: {session.allergy_override_note}", source=source
        )
    if check.plan_override:
        return CheckItem(
            "allergy", label, True, f"{words} Overridden in the signed plan: {check.plan_override}", source=source
        )
    return CheckItem(
        "allergy",
        label,
        False,
        f"ALLERGY: {words} Do not dose. Only a prescriber can override, in writing (below).",
        source=source,
    )


def _cadss_baseline(session: TreatmentSession, protocol: Protocol, scores: dict[str, SessionScore]) -> CheckItem | None:
    if 0 not in protocol.cadss_checks_min:
        return None
    done = "cadss" in scores
    return CheckItem(
        "cadss_baseline",
        "CADSS before dosing",
        done,
        "Done." if done else "Recommended: dissociation is recorded as the change from this pre-dose score.",
        blocking=False,
        source="CADSS (Bremner et al. 1998)",
    )


def checklist(session: TreatmentSession, *, now: dt.datetime | None = None) -> list[CheckItem]:
    """Every check-in item for this session, in the order the nurse works through them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    protocol = protocol_for(session)
    scores = latest_scores(session)
    consent_day = clinic_date(session.patient, now)  # a consent lapses at the clinic's midnight
    items = [_plan(session), _allergy(session), _consent(session, consent_day), _fasting(session, protocol, now)]
    items.append(_escort(session))
    pregnancy = _pregnancy(session, protocol, today)
    if pregnancy is not None:
        items.append(pregnancy)
    items += _vitals(session, protocol)
    items += _scales(session, protocol, scores)
    for optional in (_r1(session), _cadss_baseline(session, protocol, scores)):
        if optional is not None:
            items.append(optional)
    target = session.order.target_date
    if target != today:
        items.append(
            CheckItem(
                "order_date",
                "Planned date",
                False,
                f"This order was planned for {target:%Y-%m-%d}.",
                blocking=False,
                source="the plan's schedule",
            )
        )
    return items


def blocking(items: list[CheckItem]) -> list[CheckItem]:
    return [item for item in items if item.blocking and not item.ok]


__all__ = [
    "R1_CODE",
    "AllergyCheck",
    "CheckItem",
    "SessionAlert",
    "allergy_check",
    "blocking",
    "checklist",
    "latest_scores",
    "predose_readings",
]
