"""The Django side of the load benchmark (benchmarks/load.py runs it as a subprocess with the server's environment).

``setup OUT.json [--accounts N]``: migrate, load the demo clinic (``ketaclinic.demo.clinic.load``), then through the
real services: N staff accounts (3 nurses to 1 prescriber, split over the two locations, each with a licence, a
confirmed TOTP device with a known key and an API token), one patient per account at the account's location with a
signed eligibility decision, a signed IV plan and a session checked in to a chair (so every simulated nurse records
vitals at their own chair), and two 5 mL vials of ketamine 100 mg/mL per account in the ledger. Writes the accounts
(passwords, TOTP keys and tokens in clear: a throw-away database) to OUT.json.

``check WRITES.json OUT.json``: compares every write a client saw succeed with the rows in the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
USER_PREFIX = "load."
VIALS_PER_ACCOUNT = 2


def _django() -> None:
    sys.path.insert(0, str(REPO))  # tests.intake.factories builds signed eligibility decisions through the services
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django

    django.setup()


def setup(out: Path, accounts_count: int) -> None:
    _django()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from ketaclinic.accounts import services as accounts
    from ketaclinic.accounts.models import Clinic, Licence, Location, User
    from ketaclinic.accounts.roles import Role
    from ketaclinic.demo import clinic as demo_clinic
    from ketaclinic.infusions import services as infusions
    from ketaclinic.ledger import services as ledger
    from ketaclinic.ledger.models import Product, Supplier
    from ketaclinic.patients import services as patients
    from ketaclinic.patients.models import Patient
    from ketaclinic.plans import services as plans
    from ketaclinic.plans.evaluation import PlanInput
    from tests.intake.factories import signed_decision

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    if demo_clinic.is_loaded():
        raise SystemExit("the database already holds the demo clinic: the benchmark needs a fresh one")
    demo_clinic.load()
    clinic = Clinic.objects.get(name=demo_clinic.CLINIC_NAME)
    locations = list(Location.objects.filter(clinic=clinic).order_by("pk"))
    prescriber = User.objects.get(username="prescriber")
    # The demo's Lakeside prescriber signs only there; "prescriber" works at both locations.
    k100 = Product.objects.get(clinic=clinic, ndc="99999-100-05")
    distributor = Supplier.objects.get(clinic=clinic, is_reverse_distributor=False)
    today = timezone.localdate()
    expires = today.replace(year=today.year + 2)
    result: dict[str, Any] = {"accounts": [], "locations": [loc.pk for loc in locations]}
    from zoneinfo import ZoneInfo

    with timezone.override(ZoneInfo(clinic.timezone)), transaction.atomic():
        rows = []
        for index in range(accounts_count):
            location = locations[index % 2]
            prescribing = index % 4 == 3
            password = "-".join(secrets.token_hex(3) for _ in range(4))
            username = f"{USER_PREFIX}{index:03d}"
            user = accounts.create_user(
                by=None,
                username=username,
                password=password,
                role=Role.PRESCRIBER if prescribing else Role.NURSE,
                clinic=clinic,
                locations=[location],
                first_name="Load",
                last_name=f"Staff{index:03d}",
                title="MD" if prescribing else "RN",
                email=f"{username}@example.org",
            )
            accounts.add_licence(
                by=None,
                user=user,
                kind=Licence.Kind.MEDICAL if prescribing else Licence.Kind.REGISTERED_NURSE,
                number=f"{'MD' if prescribing else 'RN'}{7000000 + index}",
                state="IL",
                expires_on=expires,
            )
            key_hex = secrets.token_hex(20)
            accounts.create_totp_device_with_key(user=user, key_hex=key_hex)
            token = accounts.create_api_token(by=None, user=user, name="load benchmark")
            patient = patients.create_patient(
                by=None,
                location=location,
                primary_clinician=prescriber,
                data={
                    "given_name": "Loadtest",
                    "family_name": f"Chair{index:03d}",
                    "date_of_birth": dt.date(1980, 1 + index % 12, 1 + index % 28),
                    "sex": "female" if index % 2 else "male",
                    "phone": "(217) 555-0199",
                    "email": f"patient{index:03d}@example.org",
                    "address_line1": "1 Test St",
                    "city": "Springfield",
                    "state": "IL",
                    "postal_code": "62701",
                    "emergency_contact_name": "Sam Chair",
                    "emergency_contact_phone": "(217) 555-0198",
                    "emergency_contact_relationship": "spouse",
                },
            )
            patients.add_condition(
                by=prescriber,
                patient=patient,
                description="Major depressive disorder, recurrent, severe (treatment-resistant)",
                icd10_code="F33.2",
                snomed_code="370143000",
                status="active",
            )
            patients.record_measurement(
                by=prescriber, patient=patient, weight_kg=Decimal("80"), height_cm=Decimal("170")
            )
            for kind in ("privacy", "treatment"):
                patients.record_consent(
                    by=prescriber,
                    patient=patient,
                    kind=kind,
                    version="2026-01",
                    signed_at=timezone.now(),
                    signed_by_name=f"Loadtest Chair{index:03d}",
                )
            signed_decision(patient=patient, prescriber=prescriber, routes=["iv"])
            draft = plans.save_draft(
                by=prescriber,
                patient=patient,
                data=PlanInput(
                    indication="treatment_resistant_depression",
                    protocol_id="depression_iv",
                    start_date=today,
                    dose_mode="mg_per_kg",
                    dose_mg_per_kg=Decimal("0.5"),
                    infusion_duration_min=40,
                    concentration_mg_per_ml=Decimal("10"),
                    bag_volume_ml=Decimal("100"),
                ),
            )
            version = plans.sign(by=prescriber, version=draft)
            order = version.orders.order_by("session_number").first()
            session = infusions.create_session(by=user, order=order, chair=f"Chair L{index:03d}")
            rows.append((user, location, patient, session, password, key_hex, token))
        by_location: dict[int, list[Any]] = defaultdict(list)
        for location in locations:
            members = [row for row in rows if row[1] == location]
            if not members:
                continue
            receipt = ledger.receive(
                by=members[0][0],
                location=location,
                product=k100,
                supplier=distributor,
                lot_number=f"LOAD{location.pk}",
                expires_on=expires,
                container_count=len(members) * VIALS_PER_ACCOUNT,
                invoice_ref=f"LOAD-INV-{location.pk}",
            )
            by_location[location.pk] = list(receipt.containers)
        for user, location, patient, session, password, key_hex, token in rows:
            vials = [by_location[location.pk].pop(0) for _ in range(VIALS_PER_ACCOUNT)]
            result["accounts"].append(
                {
                    "username": user.username,
                    "role": user.role,
                    "password": password,
                    "totp_key_hex": key_hex,
                    "token": token,
                    "location_id": location.pk,
                    "patient_id": patient.pk,
                    "session_id": session.pk,
                    "containers": [{"id": vial.pk, "balance_ml": str(vial.balance_ml)} for vial in vials],
                }
            )
    charts = list(
        Patient.objects.filter(location__clinic=clinic, entered_in_error=False)
        .exclude(given_name="Loadtest")
        .values("pk", "location_id", "family_name")
    )
    result["demo_patients"] = charts
    result["search_terms"] = sorted({row["family_name"][:4] for row in charts})
    result["setup_seconds"] = round(time.monotonic() - started, 1)
    out.write_text(json.dumps(result, indent=1))
    print(f"world ready: {accounts_count} accounts in {result['setup_seconds']} s")


def check(writes_path: Path, out: Path) -> None:
    """Every write a client saw succeed exists exactly once; no benchmark-made row that no client saw."""
    _django()
    from ketaclinic.infusions.models import FormSubmission, VitalReading
    from ketaclinic.ledger.models import LedgerEntry

    writes = json.loads(writes_path.read_text())
    report: dict[str, Any] = {}

    # Vitals through the API: the id the client got back (a retry with the same key must give the same id).
    api = [w for w in writes if w["kind"] == "vitals_api"]
    api_ids = {w["id"] for w in api}
    found_api = set(VitalReading.objects.filter(pk__in=api_ids).values_list("pk", flat=True))
    # Vitals through the form: the one-time token the page carried (a resent form must record once).
    form = [w for w in writes if w["kind"] == "vitals_form"]
    tokens = {w["key"] for w in form}
    submissions = Counter(
        str(token)
        for token in FormSubmission.objects.filter(token__in=tokens, kind="vitals").values_list("token", flat=True)
    )
    form_ids = set(FormSubmission.objects.filter(token__in=tokens, kind="vitals").values_list("object_id", flat=True))
    found_form = set(VitalReading.objects.filter(pk__in=form_ids).values_list("pk", flat=True))
    readings = VitalReading.objects.filter(recorded_by__username__startswith=USER_PREFIX)
    total_readings = readings.count()
    confirmed_ids = api_ids | found_form
    unconfirmed = sorted(set(readings.values_list("pk", flat=True)) - confirmed_ids)
    report["vitals"] = {
        "api_writes_confirmed": len(api),
        "api_distinct_ids": len(api_ids),
        "api_lost": len(api_ids - found_api),
        "api_retries": sum(1 for w in api if w["retried"]),
        "api_retry_gave_other_id": sum(1 for w in api if w.get("retry_mismatch")),
        "form_writes_confirmed": len(form),
        "form_distinct_tokens": len(tokens),
        "form_lost": len([t for t in tokens if submissions[t] == 0]) + len(form_ids - found_form),
        "form_resends": sum(1 for w in form if w["retried"]),
        "form_doubled": sum(1 for t in tokens if submissions[t] > 1),
        "rows_by_benchmark_users": total_readings,
        "rows_no_client_saw_succeed": len(unconfirmed),
    }
    report["vitals"]["doubled"] = report["vitals"]["api_retry_gave_other_id"] + report["vitals"]["form_doubled"]
    report["vitals"]["lost"] = report["vitals"]["api_lost"] + report["vitals"]["form_lost"]

    ledger = [w for w in writes if w["kind"] == "ledger_admin"]
    ledger_ids = {w["id"] for w in ledger}
    found = set(LedgerEntry.objects.filter(pk__in=ledger_ids, kind="administer").values_list("pk", flat=True))
    entries = LedgerEntry.objects.filter(actor__username__startswith=USER_PREFIX, kind="administer")
    by_container: dict[int, int] = defaultdict(int)
    for w in ledger:
        by_container[w["container_id"]] += 0  # containers the clients wrote to
    unconfirmed_entries = sorted(set(entries.values_list("pk", flat=True)) - ledger_ids)
    report["ledger"] = {
        "writes_confirmed": len(ledger),
        "distinct_entry_ids": len(ledger_ids),
        "retries": sum(1 for w in ledger if w["retried"]),
        "retry_gave_other_id": sum(1 for w in ledger if w.get("retry_mismatch")),
        "lost": len(ledger_ids - found),
        "rows_by_benchmark_users": entries.count(),
        "rows_no_client_saw_succeed": len(unconfirmed_entries),
        "doubled": sum(1 for w in ledger if w.get("retry_mismatch")),
    }
    report["ok"] = all(report[part]["lost"] == 0 and report[part]["doubled"] == 0 for part in ("vitals", "ledger"))
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("out", type=Path)
    s.add_argument("--accounts", type=int, default=40)
    c = sub.add_parser("check")
    c.add_argument("writes", type=Path)
    c.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.out, args.accounts)
    else:
        check(args.writes, args.out)


if __name__ == "__main__":
    main()
