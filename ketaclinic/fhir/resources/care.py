"""Encounter (treatment sessions), Appointment (the calendar), Consent (consents on file) and CarePlan (treatment
plan versions). Status value sets are FHIR R4's own (encounter-status, appointmentstatus, consent-state-codes,
request-status); the encounter class is ambulatory (v3 ActCode AMB), consent scope ``treatment`` (consentscope).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaclinic.domain.doses import parse_dose
from ketaclinic.fhir.resources.common import NDC, coding, concept, instant, meta, patient_ref
from ketaclinic.fhir.resources.common import UCUM as UCUM_SYSTEM

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"

SESSION_STATUS = {
    "check_in": "arrived",
    "infusing": "in-progress",
    "observation": "in-progress",
    "discharged": "finished",
    "signed": "finished",
    "cancelled": "cancelled",
}
APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}


PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
#: Who did what in a session (v3 ParticipationType): checked in (admitter), started dosing (primary performer),
#: discharged (discharger), signed the note (attender).
SESSION_PARTICIPANTS = (
    ("checked_in_by_id", "ADM", "admitter"),
    ("started_by_id", "PPRF", "primary performer"),
    ("discharged_by_id", "DIS", "discharger"),
    ("note_signed_by_id", "ATND", "attender"),
)


def _participants(session: Any) -> list[dict[str, Any]]:
    found = []
    for field, code, display in SESSION_PARTICIPANTS:
        user_id = getattr(session, field)
        if user_id is not None:
            found.append(
                {
                    "type": [concept(coding(PARTICIPATION_TYPE, code, display))],
                    "individual": {"reference": f"Practitioner/{user_id}"},
                }
            )
    return found


def encounter_to_fhir(session: Any) -> dict[str, Any]:
    """A treatment session at the chair: checked in → discharged."""
    period = {"start": instant(session.checked_in_at)}
    if session.discharged_at:
        period["end"] = instant(session.discharged_at)
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "meta": meta(None, session.version),
        "status": SESSION_STATUS.get(session.status, "unknown"),
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [concept(text=f"Ketamine treatment session ({session.route})")],
        "subject": patient_ref(session.patient_id),
        "participant": _participants(session),
        "period": period,
        "location": [{"location": {"reference": f"Location/{session.location_id}"}}],
    }
    if session.appointment_id:
        resource["appointment"] = [{"reference": f"Appointment/{session.appointment_id}"}]
    return resource


def appointment_to_fhir(appointment: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "meta": meta(None, appointment.version),
        "status": APPOINTMENT_STATUS.get(appointment.status, "booked"),
        "appointmentType": concept(text=appointment.get_kind_display()),
        "start": instant(appointment.starts_at),
        "end": instant(appointment.ends_at),
        "created": instant(appointment.created_at),
        "participant": [{"actor": patient_ref(appointment.patient_id), "status": "accepted"}],
    }
    if appointment.cancel_reason:
        resource["cancelationReason"] = concept(text=appointment.cancel_reason)
    return resource


def consent_to_fhir(consent: Any, *, today: dt.date) -> dict[str, Any]:
    """A consent on file; past its expiry date it is inactive."""
    expired = consent.expires_on is not None and consent.expires_on < today
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "meta": meta(consent.recorded_at),
        "status": "inactive" if expired else "active",
        "scope": concept(coding(CONSENT_SCOPE, "treatment", "Treatment")),
        "category": [concept(text=consent.get_kind_display())],
        "patient": patient_ref(consent.patient_id),
        "dateTime": instant(consent.signed_at),
        "policyRule": concept(text=f"{consent.get_kind_display()}, document version {consent.version}"),
    }
    provision: dict[str, Any] = {"type": "permit", "period": {"start": instant(consent.signed_at)}}
    if consent.expires_on:
        provision["period"]["end"] = consent.expires_on.isoformat()
    resource["provision"] = provision
    return resource


def careplan_to_fhir(version: Any) -> dict[str, Any]:
    """One version of a treatment plan. A draft is ``draft``; the signed version of an active plan is ``active``; a
    superseded version, or the signed version of a stopped plan, is ``revoked``."""
    if version.status == "draft":
        status = "draft"
    elif version.status == "signed" and version.plan.status == "active":
        status = "active"
    else:
        status = "revoked"
    dose = f"{version.dose_mg} mg"
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(version.pk),
        "meta": meta(version.signed_at or version.created_at),
        "status": status,
        "intent": "plan",
        "category": [concept(text="Ketamine treatment plan")],
        "title": f"Treatment plan {version.plan_id}, version {version.version}",
        "description": f"{version.indication}: {version.route}, {dose} per session, {version.sessions_planned} "
        f"sessions planned ({version.protocol_id})",
        "subject": patient_ref(version.plan.patient_id),
        "period": {"start": version.start_date.isoformat()},
        "created": instant(version.created_at),
    }
    if version.supersedes_id:
        resource["replaces"] = [{"reference": f"CarePlan/{version.supersedes_id}"}]
    return resource


#: RxNorm (knowledge/interoperability.md): esketamine nasal spray SCDF 2201623. The ketamine ingredient code (6130)
#: is marked VERIFY there, so ketamine is sent as text only until it is confirmed.
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ESKETAMINE_NASAL_SPRAY = ("2201623", "esketamine Nasal Spray")


def administration_to_fhir(session: Any, *, route_label: str, esketamine: bool, ndc: str | None) -> dict[str, Any]:
    """The ketamine (or esketamine) given in one treatment session, from the start of dosing; the dose is the one
    the session worked out from its rate history once the infusion ended. ``ndc`` is the product's NDC as the draw
    copied it from the controlled-substance ledger (``DrugAdministration.ndc``), when the session's draws all came
    from one product; none is made up otherwise."""
    codings = [coding(RXNORM, *ESKETAMINE_NASAL_SPRAY)] if esketamine else []
    if ndc:
        codings.append(coding(NDC, ndc))
    medication = concept(*codings, text="esketamine nasal spray" if esketamine else "ketamine")
    if session.status == "cancelled":
        status = "stopped"
    elif session.infusion_ended_at or session.status in ("observation", "discharged", "signed"):
        status = "completed"
    else:
        status = "in-progress"
    period = {"start": instant(session.started_at)}
    if session.infusion_ended_at:
        period["end"] = instant(session.infusion_ended_at)
    dosage: dict[str, Any] = {"route": concept(text=route_label)}
    if session.dose_delivered_mg is not None:
        dosage["dose"] = {"value": float(session.dose_delivered_mg), "unit": "mg", "system": UCUM_SYSTEM, "code": "mg"}
    return {
        "resourceType": "MedicationAdministration",
        "id": str(session.pk),
        "meta": meta(None, session.version),
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": patient_ref(session.patient_id),
        "context": {"reference": f"Encounter/{session.pk}"},
        "effectivePeriod": period,
        "dosage": dosage,
    }


#: A rescue drug's id: ``rescue-<row id>`` (the ketamine given in a session keeps the session's id).
RESCUE_ID_PREFIX = "rescue"


def rescue_administration_to_fhir(rescue: Any, *, route_label: str | None) -> dict[str, Any]:
    """A rescue drug given in the chair (``infusions.models.RescueMedication``): an antiemetic, a benzodiazepine or an
    antihypertensive from the clinic formulary (knowledge/clinical-rules.md §4), or one the nurse named.

    The drug is text only: knowledge/interoperability.md gives RxNorm codes for esketamine alone (and ketamine's is
    VERIFY); it lists none for ondansetron, promethazine, midazolam, lorazepam, clonidine or labetalol, so none is
    sent. The route is text only too (no route code is in the knowledge files), and left out when the chart says
    "other". The dose is kept as typed (``dosage.text``); a plain "amount unit" ("4 mg") is also sent as a UCUM
    quantity (``domain.doses``). The performer is who recorded the dose at the chair: the row keeps no separate
    "given by". A recorded row never changes (a wrong one is withdrawn, entered in error, and no longer served), so
    its version is 1."""
    dosage: dict[str, Any] = {"text": rescue.dose}
    if route_label:
        dosage["route"] = concept(text=route_label)
    dose = parse_dose(rescue.dose)
    if dose is not None:
        dosage["dose"] = {"value": float(dose.value), "unit": dose.unit, "system": UCUM_SYSTEM, "code": dose.unit}
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": f"{RESCUE_ID_PREFIX}-{rescue.pk}",
        "meta": meta(rescue.recorded_at, 1),
        "status": "completed",
        "category": concept(text="Rescue medication"),
        "medicationCodeableConcept": concept(text=rescue.drug_other if rescue.drug == "other" else rescue.drug),
        "subject": patient_ref(rescue.patient_id),
        "context": {"reference": f"Encounter/{rescue.session_id}"},
        "effectiveDateTime": instant(rescue.given_at),
        "performer": [{"actor": {"reference": f"Practitioner/{rescue.recorded_by_id}"}}],
        "dosage": dosage,
    }
    if rescue.reason:
        resource["reasonCode"] = [concept(text=rescue.reason)]
    if rescue.allergy_override_reason:
        resource["note"] = [{"text": f"Given despite a recorded allergy: {rescue.allergy_override_reason}"}]
    return resource
