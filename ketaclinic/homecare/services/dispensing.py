"""Take-home fills: a pharmacy fill (pharmacy name and Rx number) or a clinic fill drawn from the controlled-substance
ledger in the same transaction.

A clinic fill is the ledger's dispensing record (21 CFR 1304.22(c): patient, date, quantity in mg and mL, who
dispensed; controlled-substances.md "What the records must hold"), posted through ``ledger.administer``: the container
row lock, the balance and held-draw check (invariants 1 and 10), the licence and registration checks and the hash chain
are the ledger's own. The entry's ``session_reference`` names the fill; no witness is needed because nothing is wasted
(the ledger witnesses wastes, destructions and corrections). The ledger records the moment stock leaves the cabinet, so
a clinic fill is dated today.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare.models import HomeDispense, TakeHomePrescription
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Container, Product
from ketaclinic.ledger.queries import usable
from ketaclinic.locking import lock
from ketaclinic.patients.models import clinic_date


def clinic_stock(prescription: TakeHomePrescription) -> list[Container]:
    """The containers a clinic fill of this prescription may be drawn from: racemic ketamine of the route's form at the
    patient's location, usable today, with something available (not held at a chair)."""
    patient = prescription.programme.patient
    try:
        form = rules.clinic_dispense_form(prescription.route)
    except rules.ClinicDispenseProblem:
        return []
    containers = Container.objects.filter(
        location_id=patient.location_id,
        lot__product__clinic_id=patient.location.clinic_id,
        lot__product__substance=Product.Substance.KETAMINE,
        lot__product__form=form,
    ).select_related("lot__product")
    return list(usable(containers, clinic_date(patient)).order_by("lot__expires_on", "label"))


def _check_container(prescription: TakeHomePrescription, container: Container | None) -> Container:
    try:
        form = rules.clinic_dispense_form(prescription.route)
    except rules.ClinicDispenseProblem as problem:
        raise ServiceError(str(problem), field="source") from None
    if container is None:
        raise ServiceError("Choose the container the doses are drawn from.", field="container")
    container = Container.objects.select_related("lot__product", "location").get(pk=container.pk)
    patient = prescription.programme.patient
    product = container.lot.product
    if container.location_id != patient.location_id:
        raise ServiceError(f"{container.label} is not stocked at {patient.location.name}.", field="container")
    if product.substance != Product.Substance.KETAMINE or product.form != form:
        raise ServiceError(
            f"{container.label} is {product.name}: a {prescription.get_route_display().lower()} fill is drawn from "
            f"racemic ketamine ({dict(Product.Form.choices)[form].lower()}).",
            field="container",
        )
    return container


@transaction.atomic
def dispense(
    *,
    by: User,
    prescription: TakeHomePrescription,
    source: str,
    dispenser: str,
    dispensed_on: dt.date,
    doses: int,
    rx_number: str = "",
    container: Container | None = None,
) -> HomeDispense:
    """Record a fill (first) or a refill, checked against 21 CFR 1306.22; a clinic fill is posted to the ledger."""
    if not role_can(by.role, "clinical.record"):
        raise PermissionDenied("Your role may not record dispensing.")
    prescription = lock(TakeHomePrescription).select_related("programme__patient__location").get(pk=prescription.pk)
    patient = prescription.programme.patient
    if source not in HomeDispense.Source.values:
        raise ServiceError("Choose pharmacy or clinic.", field="source")
    if isinstance(doses, bool) or not isinstance(doses, int) or doses < 1 or doses > prescription.sessions:
        raise ServiceError(f"Between 1 and {prescription.sessions} whole doses per fill.", field="doses")
    today = clinic_date(patient)
    if dispensed_on > today or dispensed_on < prescription.issued_on:
        raise ServiceError("The date must be between the issue date and today.", field="dispensed_on")
    if dispensed_on > rules.refill_window_ends(prescription.issued_on):
        raise ServiceError(
            "No fill more than six months after the prescription was issued (21 CFR 1306.22): a new prescription "
            "is needed.",
            field="dispensed_on",
        )
    rx_number = rx_number.strip()
    if source == HomeDispense.Source.PHARMACY:
        if not dispenser.strip():
            raise ServiceError("Name the pharmacy that filled it.", field="dispenser")
        if not rx_number:
            raise ServiceError("Give the pharmacy's Rx number from the label.", field="rx_number")
        if len(rx_number) > 40:
            raise ServiceError("At most 40 characters.", field="rx_number")
        if container is not None:
            raise ServiceError(
                "A pharmacy fill takes nothing from the clinic's stock: leave the container empty.", field="container"
            )
    else:
        if rx_number:
            raise ServiceError("A clinic fill has no pharmacy Rx number.", field="rx_number")
        if dispensed_on != today:
            raise ServiceError(
                "A clinic fill is recorded when it leaves the clinic's stock: date it today.", field="dispensed_on"
            )
        container = _check_container(prescription, container)
        dispenser = dispenser.strip() or by.display_name
    if len(dispenser.strip()) > 200:
        raise ServiceError("At most 200 characters.", field="dispenser")
    earlier = prescription.dispenses.filter(entered_in_error=False)
    is_refill = earlier.exists()
    if is_refill:
        problems = rules.refill_problems(
            issued_on=prescription.issued_on,
            today=dispensed_on,
            refills_authorised=prescription.refills_authorised,
            refills_used=earlier.filter(is_refill=True).count(),
        )
        if problems:
            raise ServiceError(" ".join(problems), field="dispensed_on")
    row = HomeDispense.objects.create(
        prescription=prescription,
        source=source,
        dispenser=dispenser.strip(),
        dispensed_on=dispensed_on,
        doses=doses,
        is_refill=is_refill,
        rx_number=rx_number,
        recorded_by=by,
    )
    detail: dict[str, object] = {"doses": doses, "source": source, "refill": is_refill}
    if source == HomeDispense.Source.CLINIC:
        assert container is not None  # _check_container refused a missing one
        try:
            volume = rules.dispense_volume_ml(
                doses=doses,
                dose_mg=prescription.dose_mg,
                concentration_mg_per_ml=container.lot.product.concentration_mg_per_ml,
            )
            posted = ledger.administer(
                by=by,
                container=container,
                patient=patient,
                quantity_ml=volume,
                session_reference=f"take-home fill {row.pk} (prescription {prescription.pk})",
            )
        except rules.ClinicDispenseProblem as problem:
            raise ServiceError(str(problem), field="container") from None
        except ValidationError as error:  # the ledger's refusal (not enough stock, expired...): nothing is written
            raise ServiceError(" ".join(error.messages), field="container") from None
        HomeDispense.objects.filter(pk=row.pk).update(ledger_entry=posted.entry)
        row.ledger_entry = posted.entry
        detail.update(container=container.label, quantity_ml=str(volume), ledger_seq=posted.entry.seq)
    else:
        detail["rx_number"] = rx_number
    audit.record(actor=by, action="homecare.dispense", obj=row, patient_id=patient.pk, detail=detail)
    return row
