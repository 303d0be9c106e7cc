"""Every write to the patient chart: keyword-only, atomic, validated, audited (ARCHITECTURE.md "services")."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import eligibility
from ketaclinic.locking import lock
from ketaclinic.patients import opioids
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Condition,
    Consent,
    Medication,
    NoKnownDrugAllergies,
    Patient,
    clinic_date,
)

PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "gender_identity",
    "pk_ancestry",
    "pronouns",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
)
ADULT_AGE_SOURCE = (
    "Spravato (esketamine) US prescribing information, §8.4 Pediatric Use: not approved for anyone under 18; "
    "racemic ketamine for depression or pain is given to adults under the consensus statements (Sanacora et al., "
    "JAMA Psychiatry 2017; Cohen et al., Reg Anesth Pain Med 2018)"
)
OLDEST_AGE_YEARS = 120  # data-entry check: a date of birth more than 120 years ago is a typing mistake


def _require(actor: User | None, capability: str) -> None:
    if actor is not None and not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def _check_location(actor: User | None, location: Location) -> None:
    if actor is not None and not actor.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.", field="location")


def _check_primary_clinician(patient: Patient) -> None:
    """The primary clinician works at the patient's location: safety alerts go to them first (README "Safety"), and
    a clinician from another location can neither open the chart nor receive the alert, so it would silently fall
    back to whoever recorded the screen."""
    clinician = patient.primary_clinician
    if clinician is None:
        return
    if not clinician.is_active or not role_can(clinician.role, "alerts.view"):
        raise ValidationError(
            {"primary_clinician": f"{clinician.display_name} is not an active clinician (nurse or prescriber)."}
        )
    if not clinician.locations.filter(pk=patient.location_id).exists():
        raise ValidationError(
            {
                "primary_clinician": f"{clinician.display_name} does not work at {patient.location.name}: the "
                "primary clinician must be assigned to the patient's location."
            }
        )


def _validate_patient(patient: Patient) -> None:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    dob = patient.date_of_birth
    if dob is not None and dob > today:
        errors["date_of_birth"] = ["The date of birth is in the future."]
    elif dob is not None and today.year - dob.year > OLDEST_AGE_YEARS:
        errors["date_of_birth"] = [f"The date of birth is more than {OLDEST_AGE_YEARS} years ago."]
    for name in ("given_name", "family_name"):
        value = getattr(patient, name) or ""
        setattr(patient, name, value.strip())
    if patient.state:
        patient.state = patient.state.strip().upper()
    try:
        patient.full_clean(exclude=["mrn"] if not patient.mrn else None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def registration_warnings(patient: Patient) -> list[str]:
    """What the person registering should see although the registration stands: a patient under the adult age of
    the eligibility rules (``age_under_18``, which refuses treatment at the eligibility review)."""
    adult = eligibility.DEFAULT_THRESHOLDS.adult_age_years
    age = patient.age_years()
    if age >= adult:
        return []
    return [
        f"{patient.full_name} is {age}: this service treats adults ({adult} and over). The registration is saved, "
        f"but the eligibility review will not allow treatment before {patient.given_name} turns {adult}. "
        f"Source: {ADULT_AGE_SOURCE}."
    ]


def _new_mrn() -> str:
    for _ in range(20):
        mrn = f"K{secrets.randbelow(10**7):07d}"
        if not Patient.objects.filter(mrn=mrn).exists():
            return mrn
    raise RuntimeError("could not find a free MRN")  # pragma: no cover (10^7 numbers)


@transaction.atomic
def create_patient(
    *,
    by: User | None,
    location: Location,
    data: Mapping[str, Any],
    primary_clinician: User | None = None,
    mrn: str = "",
) -> Patient:
    """Register a patient at a location the actor works at. ``data`` holds the PATIENT_FIELDS."""
    _require(by, "patient.create")
    _check_location(by, location)
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    patient = Patient(location=location, primary_clinician=primary_clinician, mrn=mrn.strip(), **dict(data))
    _validate_patient(patient)
    _check_primary_clinician(patient)
    if not patient.mrn:
        patient.mrn = _new_mrn()
    elif Patient.objects.filter(mrn__iexact=patient.mrn).exists():
        raise ValidationError({"mrn": "Another patient already has this MRN."})
    patient.save(force_insert=True)
    audit.record(actor=by, action="patient.create", obj=patient, patient_id=patient.pk)
    return patient


@transaction.atomic
def update_patient(
    *, by: User, patient: Patient, changes: Mapping[str, Any], expected_version: int | None = None
) -> Patient:
    """Change demographics. ``expected_version`` refuses a save over someone else's newer edit."""
    _require(by, "patient.edit")
    locked = lock(Patient).get(pk=patient.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            {"__all__": "Someone else changed this patient while you were editing; reload and retry."}
        )
    unknown = set(changes) - set(PATIENT_FIELDS) - {"primary_clinician"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if not changed:
        return locked
    _validate_patient(locked)
    if "primary_clinician" in changed:
        _check_primary_clinician(locked)
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    audit.record(
        actor=by, action="patient.update", obj=locked, patient_id=locked.pk, detail={"fields": sorted(changed)}
    )
    return locked


def _add_clinical(
    *,
    by: User | None,
    patient: Patient,
    model: type[models.Model],
    action: str,
    capability: str,
    values: Mapping[str, Any],
) -> Any:
    _require(by, capability)
    row = model(patient=patient, recorded_by=by, **dict(values))
    try:
        row.full_clean(exclude=["patient", "recorded_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    row.save(force_insert=True)
    audit.record(actor=by, action=action, obj=row, patient_id=patient.pk)
    return row


@transaction.atomic
def add_condition(*, by: User | None, patient: Patient, **values: Any) -> Condition:
    code = values.get("rule_code") or ""
    if code and code not in eligibility.CONDITIONS:
        raise ValidationError({"rule_code": f"{code!r} is not in the eligibility vocabulary."})
    if "icd10_code" in values:
        values["icd10_code"] = str(values["icd10_code"]).strip().upper()
    return _add_clinical(  # type: ignore[no-any-return]
        by=by, patient=patient, model=Condition, action="condition.add", capability="clinical.record", values=values
    )


@transaction.atomic
def add_medication(*, by: User | None, patient: Patient, **values: Any) -> Medication:
    if "generic_name" in values:
        values["generic_name"] = str(values["generic_name"]).strip().lower()
    stopped, started = values.get("stopped_on"), values.get("started_on")
    if stopped and started and stopped < started:
        raise ValidationError({"stopped_on": "The stop date is before the start date."})
    opioids.check_daily_dose(
        str(values.get("generic_name") or ""), values.get("daily_dose"), str(values.get("daily_dose_unit") or "")
    )
    return _add_clinical(  # type: ignore[no-any-return]
        by=by, patient=patient, model=Medication, action="medication.add", capability="clinical.record", values=values
    )


@transaction.atomic
def add_allergy(*, by: User | None, patient: Patient, **values: Any) -> Allergy:
    """Record an allergy. A current "no known drug allergies" statement is superseded by it (kept, marked with the
    allergy that replaced it), so the chart never says NKDA next to an allergy."""
    if "substance" in values:
        values["substance"] = str(values["substance"]).strip()
    if not values.get("substance"):
        raise ValidationError({"substance": "Name the substance (drug, food or other) the patient is allergic to."})
    lock(Patient).filter(pk=patient.pk).first()  # an NKDA statement and an allergy cannot cross (PostgreSQL)
    row: Allergy = _add_clinical(
        by=by, patient=patient, model=Allergy, action="allergy.add", capability="clinical.record", values=values
    )
    current = NoKnownDrugAllergies.objects.filter(patient=patient, entered_in_error=False, superseded_at__isnull=True)
    superseded = list(current.values_list("pk", flat=True))
    if superseded:
        current.update(superseded_at=timezone.now(), superseded_by_allergy=row)
        audit.record(
            actor=by,
            action="nkda.superseded",
            obj=row,
            patient_id=patient.pk,
            detail={"nkda_statements": superseded, "allergy": row.pk},
        )
    return row


@transaction.atomic
def record_nkda(*, by: User, patient: Patient) -> NoKnownDrugAllergies:
    """Record that the patient was asked and reports no known drug allergies (NKDA), by whom and when. Refused while
    an allergy is on the chart: mark a wrong allergy entered in error first."""
    _require(by, "clinical.record")
    lock(Patient).filter(pk=patient.pk).first()
    if patient.allergies.filter(entered_in_error=False).exists():
        raise ValidationError(
            {
                "__all__": "The chart lists an allergy: it cannot also say no known drug allergies. If the allergy "
                "is wrong, mark it entered in error first."
            }
        )
    row = NoKnownDrugAllergies.objects.create(patient=patient, recorded_by=by)
    audit.record(actor=by, action="nkda.record", obj=row, patient_id=patient.pk)
    return row


@transaction.atomic
def record_measurement(*, by: User | None, patient: Patient, **values: Any) -> BodyMeasurement:
    if values.get("measured_at") and values["measured_at"] > timezone.now():
        raise ValidationError({"measured_at": "The measurement time is in the future."})
    return _add_clinical(  # type: ignore[no-any-return]
        by=by,
        patient=patient,
        model=BodyMeasurement,
        action="measurement.record",
        capability="clinical.record",
        values=values,
    )


@transaction.atomic
def record_consent(*, by: User | None, patient: Patient, **values: Any) -> Consent:
    signed_at, expires_on = values.get("signed_at"), values.get("expires_on")
    if signed_at and signed_at > timezone.now():
        raise ValidationError({"signed_at": "The signature time is in the future."})
    if signed_at and expires_on:
        signed_on = clinic_date(patient, signed_at)  # the day it was signed on the clinic's calendar, not UTC's
        if expires_on < signed_on:
            raise ValidationError(
                {
                    "expires_on": f"The consent cannot expire ({expires_on:%Y-%m-%d}) before it was signed "
                    f"({signed_on:%Y-%m-%d}). Check both dates."
                }
            )
    return _add_clinical(  # type: ignore[no-any-return]
        by=by, patient=patient, model=Consent, action="consent.record", capability="consent.record", values=values
    )


RECORD_KINDS: dict[str, tuple[type[models.Model], str]] = {
    "condition": (Condition, "clinical.record"),
    "medication": (Medication, "clinical.record"),
    "allergy": (Allergy, "clinical.record"),
    "nkda": (NoKnownDrugAllergies, "clinical.record"),
    "measurement": (BodyMeasurement, "clinical.record"),
    "consent": (Consent, "consent.record"),
}


@transaction.atomic
def mark_entered_in_error(*, by: User, row: Any, reason: str) -> None:
    """Withdraw a wrong chart row without deleting it: kept, struck through, with who, when and why."""
    kinds = dict(RECORD_KINDS.values())
    capability = kinds.get(type(row))
    if capability is None:
        raise ValueError(f"{type(row).__name__} rows cannot be marked entered in error here")
    _require(by, capability)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if row.entered_in_error:
        raise ValidationError({"__all__": "This entry is already marked entered in error."})
    type(row).objects.filter(pk=row.pk).update(
        entered_in_error=True,
        entered_in_error_reason=reason.strip(),
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )
    audit.record(
        actor=by,
        action="record.entered_in_error",
        obj=row,
        patient_id=row.patient_id,
        detail={"reason": reason.strip()},
    )
