"""Enrolment, take-home prescriptions and the clinic's thresholds (dispensing: ``dispensing``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import PRESCRIBING_LICENCES, Clinic, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare.models import HomeProgramme, HomeSettings, TakeHomePrescription
from ketaclinic.intake.queries import current_decision_for
from ketaclinic.locking import lock
from ketaclinic.patients.models import Consent, Patient, clinic_date

ELIGIBLE = ("eligible", "eligible_with_conditions")
# Which eligibility route covers each take-home route (the intake's route codes).
ELIGIBILITY_ROUTE: dict[str, str] = {
    TakeHomePrescription.Route.ORAL: "oral",
    TakeHomePrescription.Route.SUBLINGUAL_TROCHE: "sublingual",
    TakeHomePrescription.Route.INTRANASAL_RACEMIC: "intranasal",
}
SETTING_FIELDS = (
    "max_systolic_mmhg",
    "max_diastolic_mmhg",
    "max_heart_rate_per_min",
    "doses_per_day",
    "discrepancy_tolerance_doses",
    "screen_interval_days",
)


def _prescriber(user: User) -> None:
    if not (user.role == "prescriber" and any(user.holds_current_licence(kind) for kind in PRESCRIBING_LICENCES)):
        raise PermissionDenied("Only a prescriber with a current prescribing licence may do this.")


@transaction.atomic
def save_settings(*, by: User, clinic: Clinic, **values: int | Decimal | None) -> HomeSettings:
    if not (by.is_superuser or role_can(by.role, "clinical_settings.manage") or by.role == "prescriber"):
        raise PermissionDenied("Only a clinic admin or a prescriber may change the home-dose thresholds.")
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown setting {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    row = HomeSettings.objects.select_for_update().filter(clinic=clinic).first() or HomeSettings(clinic=clinic)
    before = {name: str(getattr(row, name)) for name in SETTING_FIELDS}
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = by, timezone.now()
    row.full_clean()
    row.save()
    audit.record(
        actor=by,
        action="homecare.settings",
        obj=row,
        detail={"before": before, "after": {name: str(getattr(row, name)) for name in SETTING_FIELDS}},
    )
    return row


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@transaction.atomic
def enrol(
    *,
    by: User,
    patient: Patient,
    route: str,
    monitor_name: str,
    monitor_date_of_birth: dt.date,
    monitor_relationship: str = "",
    monitor_phone: str = "",
    monitor_email: str = "",
    in_person_evaluation_on: dt.date | None = None,
) -> HomeProgramme:
    """Enrol a patient: eligibility signed for the route, the home-programme agreement signed, a monitor named."""
    _prescriber(by)
    patient = lock(Patient).get(pk=patient.pk)
    today = clinic_date(patient)
    if route not in TakeHomePrescription.Route.values:
        raise ServiceError("Choose oral, sublingual troche or racemic intranasal.", field="route")
    decision = current_decision_for(patient)
    if decision is None or decision.outcome not in ELIGIBLE or ELIGIBILITY_ROUTE[route] not in decision.routes:
        raise ServiceError(
            "No signed eligibility decision finds this patient eligible for this route: review eligibility first.",
            field="route",
        )
    agreement = (
        Consent.objects.filter(patient=patient, kind=Consent.Kind.HOME_PROGRAMME, entered_in_error=False)
        .exclude(expires_on__lt=today)
        .order_by("-signed_at")
        .first()
    )
    if agreement is None:
        raise ServiceError("The patient has not signed the at-home programme agreement.")
    name = monitor_name.strip()
    if not name:
        raise ServiceError("Name the treatment monitor.", field="monitor_name")
    is_patient = name.casefold() == f"{patient.given_name} {patient.family_name}".casefold() or (
        monitor_date_of_birth == patient.date_of_birth and name.casefold().split()[-1] == patient.family_name.casefold()
    )
    problems = rules.monitor_problems(
        age_years=_age(monitor_date_of_birth, today),
        is_the_patient=is_patient,
        phone=monitor_phone,
        email=monitor_email,
    )
    if problems:
        raise ServiceError(" ".join(problems), field="monitor_name" if is_patient else "monitor_date_of_birth")
    if in_person_evaluation_on is not None and in_person_evaluation_on > today:
        raise ServiceError("The in-person evaluation date cannot be in the future.", field="in_person_evaluation_on")
    if HomeProgramme.objects.filter(patient=patient, status="active", entered_in_error=False).exists():
        raise ServiceError("This patient is already enrolled in the home programme.")
    programme = HomeProgramme.objects.create(
        patient=patient,
        prescriber=by,
        eligibility=decision,
        agreement=agreement,
        route=route,
        monitor_name=name,
        monitor_date_of_birth=monitor_date_of_birth,
        monitor_relationship=monitor_relationship.strip(),
        monitor_phone=monitor_phone.strip(),
        monitor_email=monitor_email.strip(),
        in_person_evaluation_on=in_person_evaluation_on,
        recorded_by=by,
    )
    audit.record(actor=by, action="homecare.enrol", obj=programme, patient_id=patient.pk, detail={"route": route})
    return programme


@transaction.atomic
def prescribe(
    *,
    by: User,
    programme: HomeProgramme,
    route: str,
    strength_mg: Decimal,
    dose_mg: Decimal,
    sessions: int,
    refills_authorised: int,
    issued_on: dt.date,
    pdmp_checked_on: dt.date | None,
    pdmp_note: str,
) -> TakeHomePrescription:
    """A take-home prescription (a new one is also the renewal): a PDMP check is recorded each time."""
    _prescriber(by)
    programme = lock(HomeProgramme).select_related("patient").get(pk=programme.pk)
    today = clinic_date(programme.patient)
    if programme.status != HomeProgramme.Status.ACTIVE or programme.entered_in_error:
        raise ServiceError("The programme is not active.")
    if route not in TakeHomePrescription.Route.values:
        raise ServiceError("Choose oral, sublingual troche or racemic intranasal.", field="route")
    if refills_authorised > rules.MAX_SCHEDULE_III_REFILLS or refills_authorised < 0:
        raise ServiceError(
            f"A Schedule III prescription may be refilled at most {rules.MAX_SCHEDULE_III_REFILLS} times "
            "(21 CFR 1306.22).",
            field="refills_authorised",
        )
    if sessions < 1:
        raise ServiceError("At least one session.", field="sessions")
    if strength_mg <= 0 or dose_mg <= 0:
        raise ServiceError("Strength and dose must be more than 0 mg.", field="dose_mg")
    if issued_on > today:
        raise ServiceError("The issue date cannot be in the future.", field="issued_on")
    if pdmp_checked_on is None or not pdmp_note.strip():
        raise ServiceError("Record the PDMP check (date and finding) for this prescription.", field="pdmp_checked_on")
    if pdmp_checked_on > today or (issued_on - pdmp_checked_on).days > 7:
        raise ServiceError(
            "The PDMP check must be from the week of issue, not later than today.", field="pdmp_checked_on"
        )
    prescription = TakeHomePrescription.objects.create(
        programme=programme,
        route=route,
        strength_mg=strength_mg,
        dose_mg=dose_mg,
        sessions=sessions,
        refills_authorised=refills_authorised,
        issued_on=issued_on,
        pdmp_checked_on=pdmp_checked_on,
        pdmp_note=pdmp_note.strip(),
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action="homecare.prescribe",
        obj=prescription,
        patient_id=programme.patient_id,
        detail={"route": route, "dose_mg": str(dose_mg), "sessions": sessions, "refills": refills_authorised},
    )
    return prescription
