"""Roles and what each may do: the single table every view and API endpoint asks.

knowledge/security.md "Authorisation": only licensed prescribers sign; nurses record sessions; front desk sees
demographics and schedule, not clinical notes; only clinic admins manage users and settings. A capability names an
action; the role matrix test (tests/test_access_matrix.py) reads every URL against this table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    NURSE = "nurse"
    PRESCRIBER = "prescriber"
    CLINIC_ADMIN = "clinic_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.FRONT_DESK: "Front desk",
    Role.NURSE: "Nurse",
    Role.PRESCRIBER: "Prescriber",
    Role.CLINIC_ADMIN: "Clinic admin",
}

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

ALL_ROLES = frozenset(Role)
CLINICAL_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})

CAPABILITIES: dict[str, frozenset[Role]] = {
    # Demographics, contact details, consents on file: everyone at the patient's location.
    "patient.view": ALL_ROLES,
    "patient.create": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    "patient.edit": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    # Conditions, medications, allergies, measurements: clinical staff only.
    "clinical.view": CLINICAL_ROLES,
    "clinical.record": CLINICAL_ROLES,
    "consent.record": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    # The consent documents patients sign (versions, publishing): clinic admins, like the other clinic settings.
    "consents.manage": frozenset({Role.CLINIC_ADMIN}),
    # Intake (issue 5): front desk triages requests; nurses and prescribers assess; only prescribers sign decisions
    # (the service also checks a current prescribing licence).
    "consultation.triage": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    # A request whose pre-screen raised a red flag is looked at by a clinician before it can be declined as unsuitable.
    "consultation.review": CLINICAL_ROLES,
    "intake.record": CLINICAL_ROLES,
    "eligibility.review": CLINICAL_ROLES,
    "eligibility.sign": frozenset({Role.PRESCRIBER}),
    "alerts.view": CLINICAL_ROLES,
    "alerts.acknowledge": CLINICAL_ROLES,
    # Controlled-substance ledger (issue 9): nurses and prescribers record and witness; reports for prescribers and
    # clinic admins; registrant, products and suppliers are set up by clinic admins.
    "ledger.view": frozenset({Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    "ledger.record": CLINICAL_ROLES,
    "ledger.witness": CLINICAL_ROLES,
    "ledger.inventory": CLINICAL_ROLES,
    "ledger.report": frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    "ledger.manage": frozenset({Role.CLINIC_ADMIN}),
    # Treatment plans (issue 6): prescribers write and sign (a current prescribing licence is checked too); nurses
    # read plans and orders; clinic admins tune protocols within their hard limits.
    "plans.view": CLINICAL_ROLES,
    "plans.write": frozenset({Role.PRESCRIBER}),
    "plans.sign": frozenset({Role.PRESCRIBER}),
    "protocols.view": frozenset({Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    "protocols.tune": frozenset({Role.CLINIC_ADMIN}),
    # Treatment sessions (issue 7): nurses and prescribers run the session at the chair; the REMS form is submitted
    # by them too.
    "sessions.view": CLINICAL_ROLES,
    "sessions.record": CLINICAL_ROLES,
    "sessions.sign": CLINICAL_ROLES,
    "floorboard.view": CLINICAL_ROLES,
    # Measurement-based care (issue 8): clinicians read trajectories and send questionnaire links; prescribers adjust
    # plans; the clinic dashboard (aggregates, no names) is for prescribers and clinic admins; clinic admins see the
    # alerts escalated to them (someone must make sure a clinician acts).
    "outcomes.view": CLINICAL_ROLES,
    "questionnaires.send": CLINICAL_ROLES,
    "plans.adjust": frozenset({Role.PRESCRIBER}),
    "dashboard.view": frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN}),
    # Progress letters to the referring clinician (issue 20): the prescriber writes and signs them; clinicians read
    # them (outcomes.view).
    "letters.write": frozenset({Role.PRESCRIBER}),
    "alerts.escalated": frozenset({Role.CLINIC_ADMIN}),
    # The calendar (issue 17): everyone at a location sees its day; front desk and clinicians book and cancel;
    # clinic admins manage chairs, opening hours, closures, rosters and the scheduling policy.
    "schedule.view": ALL_ROLES,
    "schedule.book": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    "schedule.manage": frozenset({Role.CLINIC_ADMIN}),
    # Secure messages from the patient portal (issue 18): the location's shared inbox is read and answered by front
    # desk, nurses and prescribers. Clinic admins do not read it: patients write about symptoms and medicines there,
    # and admins do not see clinical notes (knowledge/security.md "Authorisation").
    "messages.handle": frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
    # Where each location's inbox sends its content-free notice of a new patient message: a setting, clinic admins.
    "inbox.settings": frozenset({Role.CLINIC_ADMIN}),
    # Self-pay billing (issue 19): clinic admins and front desk issue invoices, record payments and give good-faith
    # estimates; nurses and prescribers see what is billed for their patients, not the payments; clinic admins set
    # the fee schedule (front desk reads it).
    "billing.manage": frozenset({Role.FRONT_DESK, Role.CLINIC_ADMIN}),
    "billing.view": ALL_ROLES,
    "billing.fees": frozenset({Role.CLINIC_ADMIN}),
    # Claims (issue 19): clinic admins set up the billing identity and the payers; front desk and clinic admins bill
    # (billing.manage above); clinicians see what is billed for their patients (billing.view above).
    "billing.setup": frozenset({Role.CLINIC_ADMIN}),
    # The multimodal pain plan (issue 21): goals, referrals, medication management; clinicians only.
    "pain.view": CLINICAL_ROLES,
    "pain.record": CLINICAL_ROLES,
    # Administration.
    "audit.view": frozenset({Role.CLINIC_ADMIN}),
    "users.manage": frozenset({Role.CLINIC_ADMIN}),
    # Clinical settings (issue 16): label jurisdiction and the MADRS remission cut-off.
    "clinical_settings.manage": frozenset({Role.CLINIC_ADMIN}),
}


def roles_with(capability: str) -> frozenset[Role]:
    """The roles that hold a capability; an unknown name is a programming error, never 'nobody'."""
    try:
        return CAPABILITIES[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}") from None


def role_can(role: str, capability: str) -> bool:
    return role in roles_with(capability)
