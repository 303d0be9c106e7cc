"""The demo clinic: a deterministic synthetic clinic built through the services, so it is audited like real data.

Two locations, staff of every role (with licences and DEA registrations for prescribers), ~60 patients with
conditions, medications, allergies, body measurements and consents. Names, addresses and numbers are invented
(555 phone numbers, example.org e-mail addresses). Passwords and TOTP secrets are random per data directory.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.accounts.models import Clinic, Licence, Location, User
from ketaclinic.accounts.roles import Role
from ketaclinic.demo import billing_authorisations as billing_authorisations_demo
from ketaclinic.demo import billing_claims as billing_claims_demo
from ketaclinic.demo import billing_selfpay as billing_selfpay_demo
from ketaclinic.demo import consents as consents_demo
from ketaclinic.demo import home_monitoring as home_monitoring_demo
from ketaclinic.demo import homecare as homecare_demo
from ketaclinic.demo import intake as demo_intake
from ketaclinic.demo import ledger as ledger_demo
from ketaclinic.demo import letters as letters_demo
from ketaclinic.demo import messages as messages_demo
from ketaclinic.demo import outcomes as outcomes_demo
from ketaclinic.demo import pain as pain_demo
from ketaclinic.demo import plans as plans_demo
from ketaclinic.demo import schedule as schedule_demo
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Patient
from ketaclinic.scheduling.models import Appointment

CLINIC_NAME = "Riverside Ketamine Clinic (demo)"
RANDOM_SEED = 20261124


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str
    totp_secret: str | None
    full_name: str


STAFF = [
    # username, role, first, last, title, locations (indexes), licences
    ("frontdesk", Role.FRONT_DESK, "Dana", "Okafor", "", (0, 1), ()),
    ("nurse", Role.NURSE, "Priya", "Shah", "RN", (0,), ((Licence.Kind.REGISTERED_NURSE, "RN"),)),
    ("nurse.lakeside", Role.NURSE, "Tom", "Becker", "RN", (1,), ((Licence.Kind.REGISTERED_NURSE, "RN"),)),
    (
        "prescriber",
        Role.PRESCRIBER,
        "Elena",
        "Marquez",
        "MD",
        (0, 1),
        ((Licence.Kind.MEDICAL, "MD"), (Licence.Kind.DEA, "DEA")),
    ),
    (
        "prescriber.np",
        Role.PRESCRIBER,
        "Sam",
        "Whitfield",
        "PMHNP",
        (1,),
        ((Licence.Kind.NURSE_PRACTITIONER, "NP"), (Licence.Kind.DEA, "DEA")),
    ),
    ("admin", Role.CLINIC_ADMIN, "Alex", "Morgan", "", (0, 1), ()),
]

GIVEN_FEMALE = [
    "Maria",
    "Aisha",
    "Emily",
    "Grace",
    "Hannah",
    "Isabel",
    "Julia",
    "Keiko",
    "Laura",
    "Nadia",
    "Olivia",
    "Rachel",
    "Sofia",
    "Tanya",
    "Yara",
]
GIVEN_MALE = [
    "Aaron",
    "Ben",
    "Carlos",
    "David",
    "Ethan",
    "Farid",
    "George",
    "Hector",
    "Ivan",
    "James",
    "Kevin",
    "Liam",
    "Marcus",
    "Noah",
    "Omar",
]
FAMILY = [
    "Anderson",
    "Brooks",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Johnson",
    "Kim",
    "Lopez",
    "Miller",
    "Nguyen",
    "O'Brien",
    "Patel",
    "Quinn",
    "Rivera",
    "Schmidt",
    "Turner",
    "Usman",
    "Vargas",
    "Walker",
    "Young",
    "Zimmerman",
]
STREETS = ["Maple Ave", "Oak St", "River Rd", "Elm St", "Lakeview Dr", "Cedar Ln", "Hillside Ave", "Park Pl"]

# Indication → (description, ICD-10-CM, SNOMED CT). Billable codes only: CRPS I of the lower limb takes its sixth
# character (G90.52 is a header, not a code a claim may carry; the FY 2026 code cards, HCC Buddy G90.523).
INDICATIONS = [
    ("Major depressive disorder, recurrent, severe (treatment-resistant)", "F33.2", "370143000"),
    ("Major depressive disorder, single episode, severe", "F32.2", "370143000"),
    ("Complex regional pain syndrome type I of unspecified lower limb", "G90.529", "128200000"),
    ("Fibromyalgia", "M79.7", "203082005"),
]
COMORBIDITIES = [
    ("Essential hypertension, controlled", "I10", "", ""),
    ("Generalised anxiety disorder", "F41.1", "", ""),
    ("Post-traumatic stress disorder", "F43.10", "", ""),
    ("Hypothyroidism", "E03.9", "", ""),
    ("Bipolar II disorder, not on a mood stabiliser", "F31.81", "", "bipolar_without_mood_stabilizer"),
    ("Glaucoma (raised intraocular pressure)", "H40.9", "", "elevated_intraocular_pressure"),
]
ANTIDEPRESSANTS = [
    ("sertraline", "100 mg"),
    ("escitalopram", "20 mg"),
    ("bupropion", "300 mg"),
    ("venlafaxine", "225 mg"),
    ("duloxetine", "60 mg"),
    ("mirtazapine", "30 mg"),
]
OTHER_MEDS = [
    ("lamotrigine", "200 mg", "once daily"),
    ("clonazepam", "0.5 mg", "twice daily"),
    ("lorazepam", "1 mg", "as needed"),
    ("gabapentin", "300 mg", "three times daily"),
    ("amlodipine", "5 mg", "once daily"),
    ("levothyroxine", "75 mcg", "once daily"),
    ("zolpidem", "5 mg", "at bedtime"),
    ("tramadol", "50 mg", "as needed"),
]
ALLERGENS = [
    ("penicillin", "rash", "mild"),
    ("sulfa drugs", "hives", "moderate"),
    ("latex", "contact dermatitis", "mild"),
]


def is_loaded() -> bool:
    return Clinic.objects.filter(name=CLINIC_NAME).exists()


def _password() -> str:
    return "-".join(secrets.token_hex(3) for _ in range(4))  # 24 hex characters in 4 groups: long, easy to type


@transaction.atomic
def load() -> list[DemoLogin]:
    """Create the demo clinic once. Returns the logins (passwords in clear, to write to the credentials file)."""
    rng = random.Random(RANDOM_SEED)
    clinic = accounts.create_clinic(
        by=None, name=CLINIC_NAME, timezone_name="America/Chicago"
    )  # Springfield, IL: US Central time
    locations = [
        accounts.create_location(
            by=None,
            clinic=clinic,
            name="Main Street",
            address="120 Main St, Springfield, IL 62701",
            phone="(217) 555-0100",
        ),
        accounts.create_location(
            by=None, clinic=clinic, name="Lakeside", address="8 Shore Dr, Springfield, IL 62704", phone="(217) 555-0140"
        ),
    ]
    logins: list[DemoLogin] = []
    users: dict[str, User] = {}
    today = timezone.localdate()
    for index, (username, role, first, last, title, where, licences) in enumerate(STAFF):
        password = _password()
        user = accounts.create_user(
            by=None,
            username=username,
            password=password,
            role=role,
            clinic=clinic,
            locations=[locations[i] for i in where],
            first_name=first,
            last_name=last,
            title=title,
            email=f"{username}@example.org",
        )
        for kind, prefix in licences:
            licence_number = (
                f"{prefix[:2]}{9100000 + index * 101}"
                if kind != Licence.Kind.DEA
                else f"B{'WM'[index % 2]}{3100000 + index * 7}"
            )
            accounts.add_licence(
                by=None,
                user=user,
                kind=kind,
                number=licence_number,
                state="IL",
                expires_on=today.replace(year=today.year + 2),
            )
        secret = None
        if user.needs_mfa:
            key_hex = secrets.token_hex(20)
            accounts.create_totp_device_with_key(user=user, key_hex=key_hex)
            from base64 import b32encode

            secret = b32encode(bytes.fromhex(key_hex)).decode()
        users[username] = user
        logins.append(DemoLogin(username, str(role), password, secret, user.display_name))

    clinicians = [users["prescriber"], users["prescriber.np"], users["nurse"]]
    for number in range(60):
        female = rng.random() < 0.6
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = rng.choice(FAMILY)
        location = locations[number % 2]
        dob = dt.date(rng.randint(1952, 2004), rng.randint(1, 12), rng.randint(1, 28))
        patient = patients.create_patient(
            by=None,
            location=location,
            # Only a clinician who works at the patient's location (the service refuses any other): they get the
            # patient's safety alerts.
            primary_clinician=rng.choice([c for c in clinicians if location in c.locations.all()]),
            data={
                "given_name": given,
                "family_name": family,
                "date_of_birth": dob,
                "sex": "female" if female else "male",
                "phone": f"(217) 555-{rng.randint(1000, 1999)}",
                "email": f"{given.lower()}.{family.lower().replace(chr(39), '')}{number}@example.org",
                "address_line1": f"{rng.randint(10, 999)} {rng.choice(STREETS)}",
                "city": "Springfield",
                "state": "IL",
                "postal_code": f"627{rng.randint(0, 99):02d}",
                "emergency_contact_name": f"{rng.choice(GIVEN_FEMALE + GIVEN_MALE)} {family}",
                "emergency_contact_phone": f"(217) 555-{rng.randint(2000, 2999)}",
                "emergency_contact_relationship": rng.choice(["spouse", "partner", "parent", "sibling", "friend"]),
            },
        )
        clinician = users["nurse"] if location == locations[0] else users["nurse.lakeside"]
        description, icd10, snomed = INDICATIONS[0 if number % 5 < 3 else (number % 5) - 1]
        patients.add_condition(
            by=clinician,
            patient=patient,
            description=description,
            icd10_code=icd10,
            snomed_code=snomed,
            status="active",
        )
        for description, icd10, snomed, rule_code in rng.sample(COMORBIDITIES, rng.choice([0, 0, 1, 1, 2])):
            patients.add_condition(
                by=clinician,
                patient=patient,
                description=description,
                icd10_code=icd10,
                snomed_code=snomed,
                rule_code=rule_code,
                status="active",
            )
        drug, dose = rng.choice(ANTIDEPRESSANTS)
        patients.add_medication(
            by=clinician,
            patient=patient,
            generic_name=drug,
            dose=dose,
            frequency="once daily",
            started_on=today - dt.timedelta(days=rng.randint(60, 900)),
        )
        for drug, dose, frequency in rng.sample(OTHER_MEDS, rng.choice([0, 1, 1, 2])):
            patients.add_medication(by=clinician, patient=patient, generic_name=drug, dose=dose, frequency=frequency)
        if rng.random() < 0.25:
            substance, reaction, severity = rng.choice(ALLERGENS)
            patients.add_allergy(
                by=clinician, patient=patient, substance=substance, reaction=reaction, severity=severity
            )
        height = Decimal(rng.randint(152, 178) if female else rng.randint(165, 193))
        weight = (height - 100 + Decimal(rng.randint(-12, 30))).quantize(Decimal("0.1"))
        for months_ago in sorted(rng.sample([0, 1, 3, 6], rng.randint(1, 3)), reverse=True):
            patients.record_measurement(
                by=clinician,
                patient=patient,
                height_cm=height,
                weight_kg=weight + Decimal(months_ago) / 2,
                measured_at=timezone.now() - dt.timedelta(days=30 * months_ago, hours=2),
            )
        signed = timezone.now() - dt.timedelta(days=rng.randint(5, 200))
        patients.record_consent(
            by=users["frontdesk"],
            patient=patient,
            kind="privacy",
            version="2026-01",
            signed_at=signed,
            signed_by_name=f"{given} {family}",
        )
        if number % 3:
            patients.record_consent(
                by=clinician,
                patient=patient,
                kind="treatment",
                version="2026-01",
                signed_at=signed,
                signed_by_name=f"{given} {family}",
                expires_on=(signed + dt.timedelta(days=365)).date(),
            )
    demo_intake.load(locations=locations, users=users)
    ledger_demo.load(clinic=clinic, locations=locations, users=users)
    plans_demo.load(users=users)
    schedule_demo.load(locations=locations, users=users)
    outcomes_demo.load(users=users, indications=INDICATIONS)
    consents_demo.load(users=users)
    billing_claims_demo.load(locations=locations, users=users)
    billing_selfpay_demo.load(locations=locations, users=users)
    billing_authorisations_demo.load(locations=locations, users=users)
    homecare_demo.load(locations=locations, users=users)
    home_monitoring_demo.load()
    pain_demo.load(users=users)
    letters_demo.load(users=users)
    writer = portal_patients(1)
    if writer:
        patient = Patient.objects.select_related("location").get(mrn=writer[0]["mrn"])
        nurse = users["nurse"] if patient.location.name == "Main Street" else users["nurse.lakeside"]
        messages_demo.load(patient=patient, nurse=nurse)
    return logins


def portal_patients(count: int = 2) -> list[dict[str, str]]:
    """Demo patients to sign in to the patient portal as (CONTRACTS.md §7): each has an e-mail address and an upcoming
    booked appointment, treatment visits first (they have a pre-visit checklist). Their sign-in links are printed by
    the demo's console e-mail backend."""
    upcoming = (
        Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__gt=timezone.now())
        .exclude(patient__email="")
        .select_related("patient")
        .order_by("starts_at", "pk")
    )
    ranked = sorted(upcoming, key=lambda a: (a.chair_id is None, a.starts_at, a.pk))
    chosen: list[dict[str, str]] = []
    for appointment in ranked:
        patient = appointment.patient
        if any(row["mrn"] == patient.mrn for row in chosen):
            continue
        chosen.append(
            {
                "mrn": patient.mrn,
                "name": f"{patient.given_name} {patient.family_name}",
                "email": patient.email,
                "date_of_birth": patient.date_of_birth.isoformat(),
            }
        )
        if len(chosen) == count:
            break
    return chosen


__all__ = ["DemoLogin", "Location", "is_loaded", "load", "portal_patients"]
