"""Administering from a container to a patient, with the waste of what was drawn but not given (1304.22(c))."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError, fitted
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.ledger.models import Container, Hold, Kind, LedgerEntry
from ketaclinic.ledger.services import chain, common, holds, witnesses
from ketaclinic.ledger.services.common import (
    Timing,
    check_usable,
    local_date,
    policy_for,
    quantity,
    require,
    require_licensed_actor,
    require_location,
    require_registration,
)
from ketaclinic.patients.models import Patient

SYRINGE_WASTE_REASON = "drawn but not administered"
USABLE = common.USABLE


@dataclass(frozen=True)
class Administration:
    entry: LedgerEntry
    waste: LedgerEntry | None


def after_removal(container: Container, timing: Timing) -> None:
    """A sealed container is open once anything is drawn; one left with nothing is empty."""
    if container.balance_ml == 0:
        chain.set_status(container, Container.Status.EMPTY, opened_at=timing.occurred_at)
    elif container.status == Container.Status.SEALED:
        chain.set_status(container, Container.Status.OPEN, opened_at=timing.occurred_at)


@transaction.atomic
def administer(
    *,
    by: User,
    container: Container,
    patient: Patient,
    quantity_ml: Decimal | str,
    occurred_at: dt.datetime | None = None,
    drawn_ml: Decimal | str | None = None,
    session_reference: str = "",
    witness: witnesses.WitnessSignature | None = None,
    waste_manner: str = "",
    backdate_reason: str = "",
    hold: Hold | None = None,
) -> Administration:
    """Record ``quantity_ml`` given to ``patient`` from ``container``. When more was drawn than given
    (``drawn_ml``), the difference is wasted in the same transaction and needs a witness's signature
    (invariant 3: administered + wasted = drawn). ``hold`` is the draw held against the container since it was drawn
    (an infusion): it is released by this posting, and the container's usability was judged when it was drawn."""
    require(by, "ledger.record")
    given = quantity(quantity_ml)
    drawn = quantity(drawn_ml, field="drawn_ml") if drawn_ml is not None and drawn_ml != "" else given
    if drawn < given:
        raise ValidationError({"drawn_ml": "You cannot give more than you drew up."})
    locked = chain.lock_containers([container.pk]).get(container.pk)
    if locked is None:
        raise ServiceError("No such container.", field="container")
    location = locked.location
    require_location(by, location)
    if patient.location_id != location.pk or patient.entered_in_error:
        raise ValidationError({"patient": f"The patient is not registered at {location.name}."})
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy_for(location.clinic_id))
    on = local_date(timing.occurred_at, location)
    require_licensed_actor(by, timezone.localdate())
    require_registration(location, on)
    field = "drawn_ml" if drawn != given else "quantity_ml"
    if hold is not None:
        if hold.container_id != locked.pk or hold.released_at is not None or hold.quantity_ml != drawn:
            raise ServiceError("The draw held for this administration does not match it.", field=field)
    else:
        check_usable(locked, on)
    if drawn > holds.availability(locked, excluding=hold).available_ml:
        raise holds.not_enough(locked, drawn, excluding=hold, field=field)
    wasted = drawn - given
    signed_by = witnesses.accept(witness, actor=by, location=location, on=timezone.localdate()) if wasted else None
    if hold is not None:
        hold = holds.release(by=by, hold=hold, note="posted as an administration")
    group = chain.new_group()
    entry = chain.append(
        container=locked,
        kind=Kind.ADMINISTER,
        quantity_ml=-given,
        actor=by,
        timing=timing,
        patient=patient,
        drawn_ml=drawn,
        session_reference=fitted(session_reference, field="session_reference", limit=100),
        group_ref=group,
    )
    waste = None
    if wasted:
        assert witness is not None and signed_by is not None  # accept() refused a missing signature
        waste = chain.append(
            container=locked,
            kind=Kind.WASTE,
            quantity_ml=-wasted,
            actor=by,
            timing=timing,
            witness=signed_by,
            witness_method=witness.method,
            manner=fitted(waste_manner, field="waste_manner", limit=200) or "syringe remainder wasted",
            reason=SYRINGE_WASTE_REASON,
            related_entry=entry,
            group_ref=group,
        )
    if hold is not None:
        Hold.objects.filter(pk=hold.pk).update(released_entry=entry)
    after_removal(locked, timing)
    audit.record(
        actor=by,
        action="ledger.administer",
        obj=entry,
        patient_id=patient.pk,
        detail={
            "container": locked.label,
            "quantity_ml": str(given),
            "wasted_ml": str(wasted),
            "witness": signed_by.username if signed_by else None,
            "backdated": timing.backdated,
        },
    )
    return Administration(entry=entry, waste=waste)
