"""The demo clinic's controlled-substance ledger, built through the ledger services like real use.

Everything happens within the last day (so nothing is a late entry): each location's initial inventory (zero, at
the opening of business), a delivery from the distributor, administrations to a few of its patients who have a
depression diagnosis (0.5 mg/kg of their latest weight, clinical-rules.md §3; esketamine 56 mg as two 28 mg devices)
with the syringe remainder wasted before a witness, one vial closed by a witnessed waste, and at Main Street an
ad-hoc count that finds a minor discrepancy, annotated and adjusted. Treatment sessions are not in ketaclinic yet
(issue 7): each administration carries a session reference instead.

Witnesses here sign with ``demo_signature``: the loader cannot type anyone's one-time code, so every such entry says
"demo loader" where a real one says "password + one-time code". NDCs, DEA numbers, lots and invoices are invented.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.domain.controlled import quantities
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Product
from ketaclinic.patients.models import Patient

PRODUCTS = {
    "k10": {
        "name": "Ketamine HCl injection 10 mg/mL, 20 mL vial",
        "substance": "ketamine_hcl",
        "ndc": "99999-010-20",
        "form": "injection",
        "concentration_mg_per_ml": Decimal("10"),
        "container_volume_ml": Decimal("20"),
        "container_kind": "vial",
    },
    "k100": {
        "name": "Ketamine HCl injection 100 mg/mL, 5 mL multi-dose vial",
        "substance": "ketamine_hcl",
        "ndc": "99999-100-05",
        "form": "injection",
        "concentration_mg_per_ml": Decimal("100"),
        "container_volume_ml": Decimal("5"),
        "container_kind": "vial",
    },
    "esk": {
        "name": "Esketamine nasal spray, 28 mg device (kit of 2)",
        "substance": "esketamine_hcl",
        "ndc": "99999-028-02",
        "rxnorm_code": "2201623",  # esketamine nasal spray SCDF (interoperability.md)
        "form": "nasal_spray",
        "concentration_mg_per_ml": Decimal("140"),  # 28 mg per 0.2 mL
        "container_volume_ml": Decimal("0.2"),
        "container_kind": "device",
        "containers_per_package": 2,
    },
}
REGISTRATIONS = [
    ("FR3456781", "120 Main St, Springfield, IL 62701"),
    ("FR3456793", "8 Shore Dr, Springfield, IL 62704"),
]
DOSE_MG_PER_KG = Decimal("0.5")  # clinical-rules.md §3: depression, IV, 0.5 mg/kg over 40 min


def _dea_check_ok(number: str) -> bool:
    d = [int(c) for c in number[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def _patients(location: Location, count: int) -> list[Patient]:
    chosen = []
    for patient in Patient.objects.filter(location=location).order_by("pk"):
        has_mdd = patient.conditions.filter(icd10_code__startswith="F3").exists()
        measurement = patient.measurements.filter(entered_in_error=False).order_by("-measured_at").first()
        if has_mdd and measurement is not None:
            chosen.append(patient)
        if len(chosen) == count:
            break
    return chosen


def _dose_ml(patient: Patient, concentration: Decimal) -> tuple[Decimal, Decimal]:
    """(given, drawn): 0.5 mg/kg of the latest weight; drawn up to the next whole mL, as a syringe is filled."""
    measurement = patient.measurements.filter(entered_in_error=False).order_by("-measured_at").first()
    assert measurement is not None
    given = quantities.ml_from_mg(DOSE_MG_PER_KG * measurement.weight_kg, concentration)
    drawn = given.to_integral_value(rounding=ROUND_CEILING).quantize(quantities.ML_QUANTUM)
    return given, drawn


def load(*, clinic: Clinic, locations: list[Location], users: dict[str, User]) -> None:
    """Set up the ledger and a day of history at both locations (called once from ``demo.clinic.load``)."""
    for number, _ in REGISTRATIONS:
        assert _dea_check_ok(number), number
    now = timezone.now()
    products = {key: services.save_product(by=None, clinic=clinic, values=values) for key, values in PRODUCTS.items()}
    distributor = services.save_supplier(
        by=None,
        clinic=clinic,
        values={
            "name": "Prairie Medical Distribution (demo)",
            "address": "400 Depot Rd, Peoria, IL 61602",
            "dea_number": "RP2345672",
        },
    )
    services.save_supplier(
        by=None,
        clinic=clinic,
        values={
            "name": "Returns Partners Reverse Distribution (demo)",
            "address": "77 Industrial Pkwy, Joliet, IL 60431",
            "dea_number": "RR5432101",
            "is_reverse_distributor": True,
        },
    )
    staff = {
        locations[0]: (users["nurse"], users["prescriber"]),
        locations[1]: (users["nurse.lakeside"], users["prescriber.np"]),
    }
    for index, location in enumerate(locations):
        dea_number, address = REGISTRATIONS[index]
        services.save_registrant(
            by=None,
            location=location,
            values={
                "registrant_name": f"{clinic.name}, {location.name}",
                "dea_number": dea_number,
                "schedules": "2, 2N, 3, 3N, 4, 5",
                "address": address,
                "expires_on": now.date().replace(year=now.year + 2),
            },
        )
        nurse, prescriber = staff[location]
        _day(location, nurse, prescriber, products, distributor, now, index)


def _day(
    location: Location,
    nurse: User,
    prescriber: User,
    products: dict[str, Product],
    distributor: object,
    now: dt.datetime,
    index: int,
) -> None:
    def hours_ago(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    initial = services.start_inventory(
        by=nurse,
        location=location,
        kind="initial",
        taken_at=hours_ago(23),
        business_timing="opening",
        notes="First day of handling controlled substances: nothing on hand.",
    )
    services.finalise_inventory(by=nurse, inventory=initial)
    expiry = (now + dt.timedelta(days=540)).date()
    vials = services.receive(
        by=nurse,
        location=location,
        product=products["k10"],
        supplier=distributor,  # type: ignore[arg-type]
        lot_number=f"KT{2611 + index}A",
        expires_on=expiry,
        container_count=4,
        invoice_ref=f"PMD-INV-{48210 + index}",
        occurred_at=hours_ago(22),
    ).containers
    (multi_dose,) = services.receive(
        by=nurse,
        location=location,
        product=products["k100"],
        supplier=distributor,  # type: ignore[arg-type]
        lot_number=f"KH{5120 + index}",
        expires_on=expiry,
        container_count=1,
        invoice_ref=f"PMD-INV-{48210 + index}",
        occurred_at=hours_ago(22),
    ).containers
    devices = services.receive(
        by=nurse,
        location=location,
        product=products["esk"],
        supplier=distributor,  # type: ignore[arg-type]
        lot_number=f"ES{880 + index}",
        expires_on=expiry,
        container_count=6,
        invoice_ref=f"PMD-INV-{48210 + index}",
        occurred_at=hours_ago(22),
    ).containers
    patients = _patients(location, 5)
    vial = vials[0]
    for number, patient in enumerate(patients[:3]):
        given, drawn = _dose_ml(patient, products["k10"].concentration_mg_per_ml)
        when = hours_ago(8 - 2 * number)
        if drawn > vial.balance_ml:
            vial = vials[1]
        services.administer(
            by=nurse,
            container=vial,
            patient=patient,
            quantity_ml=given,
            drawn_ml=drawn,
            occurred_at=when,
            session_reference=f"IV infusion, chair {number + 1}, {timezone.localtime(when):%Y-%m-%d %H:%M}",
            witness=services.demo_signature(witness=prescriber, actor=nurse) if drawn > given else None,
        )
        vial.refresh_from_db()
    if len(patients) > 3:
        given, _ = _dose_ml(patients[3], products["k100"].concentration_mg_per_ml)  # 100 mg/mL, diluted for IV
        services.administer(
            by=nurse,
            container=multi_dose,
            patient=patients[3],
            quantity_ml=given,
            occurred_at=hours_ago(4),
            session_reference=f"IV infusion (diluted), chair 4, {timezone.localtime(hours_ago(4)):%Y-%m-%d %H:%M}",
        )
    if len(patients) > 4:
        for device in devices[:2]:  # 56 mg: two 28 mg devices, five minutes apart
            services.administer(
                by=nurse,
                container=device,
                patient=patients[4],
                quantity_ml=Decimal("0.20"),
                occurred_at=hours_ago(3),
                session_reference=f"Esketamine 56 mg, {timezone.localtime(hours_ago(3)):%Y-%m-%d}",
            )
    first = vials[0]
    first.refresh_from_db()
    if first.status == "open":
        services.waste(
            by=nurse,
            container=first,
            quantity_ml=Decimal("0"),
            close=True,
            manner="into the drug-waste container (non-retrievable)",
            reason="opened vial closed at the end of the clinic day",
            occurred_at=hours_ago(1.5),
            witness=services.demo_signature(witness=prescriber, actor=nurse),
        )
    if index == 0:
        _count(location, nurse, prescriber, hours_ago(0.5))


def _count(location: Location, nurse: User, prescriber: User, taken_at: dt.datetime) -> None:
    """An ad-hoc count that finds 0.05 mL less in an open vial than the books: minor, annotated and adjusted."""
    inventory = services.start_inventory(
        by=nurse, location=location, kind="ad_hoc", taken_at=taken_at, business_timing="close", notes="Shift change."
    )
    counts = {}
    short = None
    for line in inventory.lines.select_related("container"):
        counted = line.container.balance_ml
        if short is None and line.container.status == "open":
            short, counted = line, counted - Decimal("0.05")
        counts[line.pk] = services.Count(counted)
    services.record_counts(by=nurse, inventory=inventory, counts=counts)
    services.finalise_inventory(by=nurse, inventory=inventory)
    if short is not None:
        short.refresh_from_db()
        services.annotate_discrepancy(
            by=nurse,
            discrepancy=short.discrepancy,
            annotation="Residue in the vial neck after the last draw; books brought to the count.",
            adjust_books=True,
            witness=services.demo_signature(witness=prescriber, actor=nurse),
        )
