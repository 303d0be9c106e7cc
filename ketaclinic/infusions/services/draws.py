"""Correcting a wrong drawn volume while the infusion runs (issue 15, item 2).

The draw recorded at the start is held against the vial until the infusion ends and is posted. When it was typed
wrong (40 mL "drawn" for a 4.1 mL order), the nurse corrects it before the end, with a second licensed person's
signature like every other controlled-substance correction (21 CFR 1304.21(a): records complete and accurate;
witnessed like a waste, clinic practice under controlled-substances.md invariant 5). The corrected draw must fit what
the vial has available; a draw further from the order than the clinic's tolerance keeps its reason. After the end,
the draw is posted and a wrong volume is corrected in the ledger itself (a reversal).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.infusions.services.checkin import check_draw_difference
from ketaclinic.infusions.services.common import finish_write, open_write
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.services import witnesses


@transaction.atomic
def correct_draw(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    drawn_ml: Decimal,
    reason: str,
    witness: ledger.WitnessSignature | None,
    token: uuid.UUID | None = None,
) -> TreatmentSession:
    """Set the running infusion's drawn volume to ``drawn_ml``: witnessed, with the reason, audited; the vial's hold
    follows, so the books and every chair see the corrected remainder at once. Nothing changes on a refusal."""
    locked, replay = open_write(
        by=by, session=session, version=version, token=token, statuses=[TreatmentSession.Status.INFUSING]
    )
    if replay is not None:
        return locked
    administration = locked.administrations.select_related("hold", "container").first()
    if administration is None or administration.hold is None or administration.hold.released_at is not None:
        raise ServiceError(
            "This infusion's draw is not held against its vial (it was posted already): correct it in "
            "the ledger with a reversal."
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say what was wrong with the recorded volume."})
    if drawn_ml <= 0:
        raise ValidationError({"drawn_ml": "Enter the volume actually drawn (mL)."})
    before = administration.drawn_ml
    if drawn_ml == before:
        raise ValidationError({"drawn_ml": f"{before} mL is what is recorded already."})
    order = locked.order
    if order.drug_volume_ml is not None and drawn_ml < order.drug_volume_ml:
        raise ValidationError(
            {
                "drawn_ml": f"Less than the ordered {order.drug_volume_ml} mL: the infusion cannot give its dose "
                "from it. End the infusion early with the volume given instead."
            }
        )
    check_draw_difference(locked, drawn_ml, reason=reason)
    signed_by = witnesses.accept(witness, actor=by, location=locked.location, on=timezone.localdate())
    ledger.change_hold(by=by, hold=administration.hold, quantity_ml=drawn_ml, reason=reason)
    administration.drawn_ml = drawn_ml
    administration.draw_reason = reason
    administration.save(update_fields=["drawn_ml", "draw_reason"])
    finish_write(locked, token=token, kind="draw_correction", obj=administration)
    audit.record(
        actor=by,
        action="session.draw_correction",
        obj=administration,
        patient_id=locked.patient_id,
        detail={
            "container": administration.container_label,
            "from_ml": str(before),
            "to_ml": str(drawn_ml),
            "reason": reason,
            "witness": signed_by.username,
        },
    )
    return locked


__all__ = ["correct_draw"]
