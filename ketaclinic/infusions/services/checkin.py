"""Check-in to the start of dosing: open a session from an open order, record what the hard stops need, score the
pre-dose scales (a suicidality flag raises a safety alert), the esketamine R1 acknowledgement, cancel, and start.

Starting is where the drug leaves the ledger: the product, lot and container are chosen from the ledger's stock at the
location. Esketamine devices and IM injections are posted to the ledger at once (given = drawn); an IV infusion is
posted when it ends, with the volume actually given and the witnessed waste of any remainder (ledger invariant 3).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import instruments
from ketaclinic.domain import sessions as chairside
from ketaclinic.domain.controlled import draws as draw_rules
from ketaclinic.infusions.models import DrugAdministration, RateChange, SessionAlert, SessionScore, TreatmentSession
from ketaclinic.infusions.services import checklist
from ketaclinic.infusions.services.common import (
    finish_write,
    instrument_errors,
    moment,
    open_write,
    protocol_for,
    replayed,
    require,
    require_location,
    within,
)
from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Container, Product
from ketaclinic.ledger.services import holds as ledger_holds
from ketaclinic.ledger.services.common import check_usable, local_date
from ketaclinic.locking import lock
from ketaclinic.outcomes import services as outcomes
from ketaclinic.outcomes.services import safety
from ketaclinic.outcomes.services.measurements import COURSE_INSTRUMENTS
from ketaclinic.patients.models import Patient
from ketaclinic.plans import services as plans
from ketaclinic.plans.evaluation import effective_protocol
from ketaclinic.plans.models import PlanVersion, SessionOrder
from ketaclinic.scheduling import services as calendar
from ketaclinic.scheduling.models import Appointment, Chair

CHAIR_ROUTES = ("iv", "im", "intranasal_esketamine")
"""Routes given in the chair from ledger stock. Oral and sublingual doses have no ledger product form yet."""
CHECKIN_FIELDS = (
    "chair",
    "last_food_at",
    "last_liquids_at",
    "escort_name",
    "escort_phone",
    "ride_home_confirmed",
    "pregnancy_test",
)
IN_CHAIR_SCALES = ("cssrs_screener", "cadss")


@transaction.atomic
def create_session(
    *, by: User, order: SessionOrder, chair: str, appointment: Appointment | None = None
) -> TreatmentSession:
    """Check a patient in for an open order of their signed, current plan. The escort defaults from the intake.

    ``appointment``: the calendar appointment this session was checked in from (``check_in_appointment``)."""
    require(by, "sessions.record")
    order = lock(SessionOrder).select_related("plan_version__plan__patient").get(pk=order.pk)
    patient = order.plan_version.plan.patient
    require_location(by, patient.location)
    if order.status != SessionOrder.Status.OPEN:
        raise ValidationError({"order": f"This order is {order.get_status_display().lower()}, not open."})
    if order.plan_version.status != PlanVersion.Status.SIGNED or order.plan_version.plan.status != "active":
        raise ValidationError({"order": "This order's plan is not the signed, current one."})
    if order.route not in CHAIR_ROUTES:
        raise ValidationError(
            {"order": f"{order.route} doses are not given in the chair here yet (no ledger product form)."}
        )
    if TreatmentSession.objects.filter(order=order).exclude(status=TreatmentSession.Status.CANCELLED).exists():
        raise ValidationError({"order": "A session for this order already exists."})
    lock(Patient).filter(pk=patient.pk).first()  # one active session per patient, also on PG
    if TreatmentSession.objects.filter(patient=patient, status__in=["check_in", "infusing", "observation"]).exists():
        raise ValidationError({"order": "This patient already has a session in progress."})
    chair = within(chair, limit=TreatmentSession._meta.get_field("chair").max_length or 20, field="chair")
    if not chair:
        raise ValidationError({"chair": "Say which chair the patient is in."})
    _, tuning_version = effective_protocol(patient.location.clinic, order.plan_version.protocol_id)
    escort = _escort_from_intake(patient)
    session = TreatmentSession.objects.create(
        patient=patient,
        location=patient.location,
        order=order,
        protocol_id=order.plan_version.protocol_id,
        protocol_tuning_version=tuning_version,
        route=order.route,
        chair=chair,
        checked_in_by=by,
        escort_name=escort[0],
        escort_phone=escort[1],
        appointment=appointment,
    )
    audit.record(
        actor=by,
        action="session.check_in",
        obj=session,
        patient_id=patient.pk,
        detail={
            "order": order.pk,
            "session_number": order.session_number,
            "chair": session.chair,
            "appointment": appointment.pk if appointment else None,
        },
    )
    return session


@transaction.atomic
def check_in_appointment(*, by: User, appointment: Appointment) -> TreatmentSession:
    """Check a patient in from today's booked appointment: the session opens for the appointment's order in the
    appointment's chair (nobody types a chair), and the calendar marks the appointment checked in, both in one
    transaction (a refusal by either leaves nothing written). Locks follow the house order (ketaclinic.locking):
    the order and the patient inside ``create_session``, then the appointment."""
    require(by, "sessions.record")
    if appointment.order_id is None or appointment.chair_id is None:
        raise ValidationError(
            {"appointment": "Only a treatment session booked against an order and a chair is checked in here."}
        )
    order = SessionOrder.objects.get(pk=appointment.order_id)
    chair = Chair.objects.get(pk=appointment.chair_id)
    session = create_session(by=by, order=order, chair=chair.label, appointment=appointment)
    try:
        calendar.mark_checked_in(by=by, appointment=appointment)
    except PermissionDenied:
        raise
    except ServiceError as error:
        raise ValidationError({"appointment": error.message}) from error
    return session


def _escort_from_intake(patient: Patient) -> tuple[str, str]:
    intake = (
        IntakeAssessment.objects.filter(patient=patient, entered_in_error=False)
        .exclude(ride_home_name="")
        .order_by("-pk")
        .first()
    )
    return (intake.ride_home_name, intake.ride_home_phone) if intake else ("", "")


@transaction.atomic
def update_checkin(
    *, by: User, session: TreatmentSession, version: int | None, changes: Mapping[str, Any]
) -> TreatmentSession:
    """Record check-in facts (chair, fasting times, escort and ride home, pregnancy test). Times may not be in the
    future; an unknown field is refused."""
    locked, _ = open_write(by=by, session=session, version=version, statuses=[TreatmentSession.Status.CHECK_IN])
    unknown = set(changes) - set(CHECKIN_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed at check-in."))
    changed = []
    for name, value in changes.items():
        if name in ("last_food_at", "last_liquids_at") and value is not None:
            value = moment(value, field=name)
        if isinstance(value, str):
            value = value.strip()
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if "chair" in changed and not locked.chair:
        raise ValidationError({"chair": "Say which chair the patient is in."})
    if "chair" in changed and locked.appointment_id is not None:
        raise ValidationError({"chair": "The chair is the appointment's: move the appointment on the calendar."})
    if "pregnancy_test" in changed:
        locked.pregnancy_test_at = timezone.now() if locked.pregnancy_test else None
        changed.append("pregnancy_test_at")
    try:
        locked.full_clean(exclude=["patient", "location", "order", "checked_in_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if not changed:
        return locked
    finish_write(locked, fields=changed)
    audit.record(
        actor=by,
        action="session.check_in.update",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"fields": sorted(changed)},
    )
    return locked


def _check_scale(session: TreatmentSession, instrument: str) -> None:
    protocol = protocol_for(session)
    allowed_at_check_in = (*protocol.predose_measures, "cssrs_screener")
    if instrument == "cadss":
        return
    if instrument not in allowed_at_check_in:
        raise ValidationError({"instrument": f"{instrument!r} is not a scale of this session."})
    if session.status != TreatmentSession.Status.CHECK_IN:
        raise ServiceError("The pre-dose scales are scored at check-in, before dosing.")


@transaction.atomic
def record_score(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    instrument: str,
    answers: Sequence[object],
    taken_at: Any = None,
    token: uuid.UUID | None = None,
) -> SessionScore:
    """Score a scale item by item (``domain.instruments``). PHQ-9 item 9 ≥ 1 or a positive C-SSRS raises a safety
    alert for the patient's primary clinician in the same transaction (once per session and scale)."""
    locked, replay = open_write(by=by, session=session, version=version, token=token)
    if replay is not None:
        return replayed(SessionScore, replay)
    _check_scale(locked, instrument)
    try:
        score = instruments.score(instrument, list(answers))
    except instruments.InvalidAnswers as exc:
        raise instrument_errors(exc) from None
    except ValueError as exc:
        raise ValidationError({"instrument": str(exc)}) from None
    when = moment(taken_at, field="taken_at")
    row = SessionScore.objects.create(
        session=locked,
        instrument=instrument,
        answers=list(score.answers),
        total=float(score.total),
        band=score.band or "",
        flags=sorted(score.flags),
        taken_at=when,
        recorded_by=by,
    )
    _safety_alert(by, locked, row, score)
    if instrument in COURSE_INSTRUMENTS:  # the pre-dose score joins the patient's outcome series (issue 8)
        outcomes.record_measurement(
            by=by, patient=locked.patient, score=score, context="pre_session", source=row, taken_at=when
        )
    finish_write(locked, token=token, kind="score", obj=row)
    audit.record(
        actor=by,
        action="session.score",
        obj=row,
        patient_id=locked.patient_id,
        detail={"instrument": instrument, "total": row.total, "flags": row.flags},
    )
    return row


def _safety_alert(by: User, session: TreatmentSession, row: SessionScore, score: instruments.Score) -> None:
    """PHQ-9 item 9 ≥ 1 or a positive C-SSRS before dosing alerts the primary clinician (once per session and scale)."""
    siblings = session.scores.filter(instrument=row.instrument).values_list("pk", flat=True)
    safety.raise_for_screen(
        by=by,
        patient=session.patient,
        score=score,
        source=row,
        where="before a treatment session",
        sibling_source_ids=list(siblings),
    )


@transaction.atomic
def acknowledge_risk(*, by: User, session: TreatmentSession, version: int | None, note: str) -> TreatmentSession:
    """Esketamine R1: the prescriber documents that the benefit outweighs the risk of a short-term BP rise."""
    if not (by.role == "prescriber" or by.is_superuser):
        raise PermissionDenied("The prescriber documents the risk/benefit decision (esketamine rule R1).")
    locked, _ = open_write(by=by, session=session, version=version, statuses=[TreatmentSession.Status.CHECK_IN])
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write the risk/benefit reasoning."})
    if checklist.r1_alert(locked) is None:
        raise ServiceError("The latest pre-dose blood pressure does not need a risk/benefit acknowledgement.")
    now = timezone.now()
    locked.risk_benefit_note, locked.risk_benefit_by, locked.risk_benefit_at = note, by, now
    SessionAlert.objects.filter(session=locked, code=checklist.R1_CODE, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=now, acknowledgement_note=note
    )
    finish_write(locked, fields=["risk_benefit_note", "risk_benefit_by", "risk_benefit_at"])
    audit.record(actor=by, action="session.risk_benefit", obj=locked, patient_id=locked.patient_id)
    return locked


@transaction.atomic
def override_allergy(*, by: User, session: TreatmentSession, version: int | None, note: str) -> TreatmentSession:
    """Issue 15: ketamine or esketamine matches a recorded allergy. Only a prescriber doses anyway, saying why in
    writing; the matches overridden are kept with the note (a later allergy needs a new decision)."""
    if not (by.role == "prescriber" or by.is_superuser):
        raise PermissionDenied("Only a prescriber can override an allergy stop.", field="note")
    locked, _ = open_write(by=by, session=session, version=version, statuses=[TreatmentSession.Status.CHECK_IN])
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write why the drug is given despite the recorded allergy."})
    check = checklist.allergy_check(locked)
    if not check.matches:
        raise ServiceError("No recorded allergy matches this session's drug: there is nothing to override.")
    locked.allergy_override_note, locked.allergy_override_by = note, by
    locked.allergy_override_at, locked.allergy_override_matches = timezone.now(), check.codes
    finish_write(
        locked,
        fields=["allergy_override_note", "allergy_override_by", "allergy_override_at", "allergy_override_matches"],
    )
    audit.record(
        actor=by,
        action="session.allergy_override",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"matches": check.codes, "note": note},
    )
    return locked


@transaction.atomic
def cancel_session(*, by: User, session: TreatmentSession, version: int | None, reason: str) -> TreatmentSession:
    """The session does not go ahead (before dosing). The order stays open for another day."""
    locked, _ = open_write(by=by, session=session, version=version, statuses=[TreatmentSession.Status.CHECK_IN])
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the session does not go ahead."})
    locked.status = TreatmentSession.Status.CANCELLED
    locked.cancelled_reason, locked.cancelled_by, locked.cancelled_at = reason, by, timezone.now()
    finish_write(locked, fields=["status", "cancelled_reason", "cancelled_by", "cancelled_at"])
    audit.record(actor=by, action="session.cancel", obj=locked, patient_id=locked.patient_id, detail={"reason": reason})
    if locked.appointment_id is not None:  # the calendar frees the appointment's chair and order
        calendar.session_not_given(by=by, appointment=Appointment(pk=locked.appointment_id), reason=reason)
    return locked


@dataclass(frozen=True)
class Draw:
    """One container used at the start and the volume drawn from it (mL)."""

    container: Container
    drawn_ml: Decimal


def _check_draws(session: TreatmentSession, draws: Sequence[Draw], *, draw_reason: str = "") -> None:
    order = session.order
    if not draws:
        raise ValidationError({"container": "Choose the container(s) used."})
    if len({d.container.pk for d in draws}) != len(draws):
        raise ValidationError({"container": "The same container is listed twice."})
    substance = Product.Substance.ESKETAMINE if session.is_esketamine else Product.Substance.KETAMINE
    for draw in draws:
        product = draw.container.lot.product
        if draw.container.location_id != session.location_id:
            raise ValidationError({"container": f"{draw.container.label} is not stock of {session.location.name}."})
        if product.substance != substance:
            raise ValidationError({"container": f"{draw.container.label} is {product.name}, not this order's drug."})
        if draw.drawn_ml <= 0:
            raise ValidationError({"drawn_ml": "Enter the volume drawn (mL)."})
        # What the vial can give comes first: no reason makes a draw larger than what is left possible (the hold
        # checks it again under the container's row lock).
        current = Container.objects.select_related("location__clinic").get(pk=draw.container.pk)
        if draw.drawn_ml > ledger.availability(current).available_ml:
            raise ledger_holds.not_enough(current, draw.drawn_ml, field="drawn_ml")
    if session.is_esketamine:
        if order.devices and len(draws) != order.devices:
            raise ValidationError(
                {"container": f"The order is {order.dose_mg} mg: {order.devices} devices ({len(draws)} chosen)."}
            )
        return
    if len(draws) != 1:
        raise ValidationError({"container": "Choose the one vial the dose is drawn from."})
    product, drawn = draws[0].container.lot.product, draws[0].drawn_ml
    if order.concentration_mg_per_ml is not None and product.concentration_mg_per_ml != order.concentration_mg_per_ml:
        raise ValidationError(
            {"container": f"The order is for {order.concentration_mg_per_ml} mg/mL; this vial is {product.name}."}
        )
    if order.drug_volume_ml is not None:
        if session.is_infusion and drawn < order.drug_volume_ml:
            raise ValidationError({"drawn_ml": f"Draw at least the ordered {order.drug_volume_ml} mL."})
        if not session.is_infusion and drawn != order.drug_volume_ml:
            raise ValidationError({"drawn_ml": f"Draw exactly the ordered {order.drug_volume_ml} mL."})
        check_draw_difference(session, drawn, reason=draw_reason)


def check_draw_difference(session: TreatmentSession, drawn_ml: Decimal, *, reason: str) -> None:
    """A draw further from the order's volume than the clinic's tolerance (CLINIC POLICY, default 10 %) needs a
    written reason; within it, none is asked."""
    ordered = session.order.drug_volume_ml
    if ordered is None:
        return
    tolerance = ledger.policy_for(session.location.clinic_id).draw_tolerance_percent
    shown = f"{tolerance.normalize():f}"  # 10 %, 7.5 %
    if draw_rules.needs_reason(drawn_ml, ordered, tolerance) and not reason.strip():
        raise ValidationError(
            {
                "draw_reason": f"{drawn_ml} mL drawn for an order of {ordered} mL "
                f"({draw_rules.difference_percent(drawn_ml, ordered):+} %; the clinic's tolerance is {shown} %): "
                "say why, or draw the ordered volume. Nothing was saved."
            }
        )


@transaction.atomic
def start(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    draws: Sequence[Draw],
    started_at: Any = None,
    token: uuid.UUID | None = None,
    draw_reason: str = "",
) -> TreatmentSession:
    """Start dosing once every hard stop is met: record the product, lot and container, the pump settings from the
    order, and the start time (t = 0); post esketamine and IM doses to the ledger; hold an infusion's draw against its
    vial at once (posted when the infusion ends); mark the order given. A draw above what the container has available
    is refused; one further from the order than the clinic's tolerance needs ``draw_reason`` (issue 15, item 2)."""
    locked, replay = open_write(
        by=by, session=session, version=version, token=token, statuses=[TreatmentSession.Status.CHECK_IN]
    )
    if replay is not None:
        return locked
    when = moment(started_at, field="started_at", not_before=locked.checked_in_at, what="check-in")
    stops = checklist.blocking(checklist.checklist(locked, now=when))
    if stops:
        raise ValidationError({"__all__": [f"{item.label}: {item.detail}" for item in stops]})
    _check_draws(locked, draws, draw_reason=draw_reason)
    for draw in draws:
        # Never expired or quarantined stock, judged on the clinic's calendar day of the start (as the ledger judges
        # it when the dose is posted); fresh from the database, not the caller's copy.
        check_usable(Container.objects.get(pk=draw.container.pk), local_date(when, locked.location))
    order = locked.order
    locked.started_at, locked.started_by = when, by
    rows = []
    for draw in draws:
        container = draw.container
        rows.append(
            DrugAdministration.objects.create(
                session=locked,
                container=container,
                product_name=container.lot.product.name,
                ndc=container.lot.product.ndc,
                lot_number=container.lot.lot_number,
                lot_expires_on=container.lot.expires_on,
                container_label=container.label,
                concentration_mg_per_ml=container.lot.product.concentration_mg_per_ml,
                drawn_ml=draw.drawn_ml,
                draw_reason=draw_reason.strip(),
                recorded_by=by,
            )
        )
    if locked.is_infusion:
        for row in rows:
            # The books learn of the draw now, not when the infusion ends: no other chair can draw it again.
            row.hold = ledger.hold(
                by=by,
                container=row.container,
                quantity_ml=row.drawn_ml,
                holder=locked.chair or "a chair",
                reference=f"treatment session {locked.pk}",
                at=when,
            )
            row.save(update_fields=["hold"])
        if order.rate_mg_per_h is None:
            raise ServiceError("The order has no infusion rate: the prescriber re-signs the plan.")
        RateChange.objects.create(
            session=locked,
            kind=RateChange.Kind.START,
            at=when,
            rate_mg_per_h=order.rate_mg_per_h,
            pump_rate_ml_per_h=order.pump_rate_ml_per_h,
            recorded_by=by,
        )
        locked.status = TreatmentSession.Status.INFUSING
    else:
        for row in rows:
            post_to_ledger(by=by, session=locked, administration=row, given_ml=row.drawn_ml)
        locked.dose_delivered_mg = sum((r.drawn_ml * r.concentration_mg_per_ml for r in rows), Decimal(0))
        locked.status = TreatmentSession.Status.OBSERVATION
    if locked.is_esketamine:
        locked.rems_due_on = chairside.rems_due_on(timezone.localdate(when))
    plans.mark_order_given(by=by, order=order)
    finish_write(
        locked,
        token=token,
        kind="start",
        obj=locked,
        fields=["started_at", "started_by", "status", "dose_delivered_mg", "rems_due_on"],
    )
    audit.record(
        actor=by,
        action="session.start",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"containers": [r.container_label for r in rows], "lots": sorted({r.lot_number for r in rows})},
    )
    return locked


def post_to_ledger(
    *,
    by: User,
    session: TreatmentSession,
    administration: DrugAdministration,
    given_ml: Decimal,
    witness: ledger.WitnessSignature | None = None,
    waste_manner: str = "",
) -> DrugAdministration:
    """The ledger's ADMINISTER entry (and the witnessed WASTE of any remainder) for one container, linked back here."""
    result = ledger.administer(
        by=by,
        container=administration.container,
        patient=session.patient,
        quantity_ml=given_ml,
        drawn_ml=administration.drawn_ml,
        occurred_at=session.started_at,
        session_reference=f"treatment session {session.pk}",
        witness=witness,
        waste_manner=waste_manner,
        hold=administration.hold,
    )
    administration.given_ml = given_ml
    administration.ledger_entry = result.entry
    administration.waste_entry = result.waste
    administration.save(update_fields=["given_ml", "ledger_entry", "waste_entry"])
    return administration


__all__ = [
    "CHAIR_ROUTES",
    "Draw",
    "acknowledge_risk",
    "cancel_session",
    "check_draw_difference",
    "create_session",
    "post_to_ledger",
    "record_score",
    "start",
    "update_checkin",
]
