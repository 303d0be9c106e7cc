"""Stopping a home programme: the prescriber's decision, with a reason, audited; the stop-trigger suggestions
(``homecare.monitoring``) only inform it — nothing stops a programme automatically."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.homecare import monitoring
from ketaclinic.homecare.models import HomeProgramme, TakeHomePrescription
from ketaclinic.homecare.services.enrolment import _prescriber
from ketaclinic.locking import lock

STOP_REASON_MAX_CHARS = 1000


@transaction.atomic
def stop_programme(*, by: User, programme: HomeProgramme, reason: str) -> HomeProgramme:
    """Stop an active programme and its open take-home prescriptions (no further check-in clears a dose).

    The reason is required. The audit row records which stop suggestions were showing when the prescriber stopped.
    """
    _prescriber(by)
    text = (reason or "").strip()
    if not text:
        raise ServiceError("Give the reason for stopping the home programme.", field="reason")
    if len(text) > STOP_REASON_MAX_CHARS:
        raise ServiceError(f"Keep the reason under {STOP_REASON_MAX_CHARS} characters.", field="reason")
    row = lock(HomeProgramme).select_related("patient__location").get(pk=programme.pk)
    if row.status != HomeProgramme.Status.ACTIVE or row.entered_in_error:
        raise ServiceError("This home programme is not active.")
    showing = [s.code for s in monitoring.suggestions(row)]
    now = timezone.now()
    row.status = HomeProgramme.Status.STOPPED
    row.stopped_at = now
    row.stopped_by = by
    row.stop_reason = text
    row.save(update_fields=["status", "stopped_at", "stopped_by", "stop_reason"])
    closed = TakeHomePrescription.objects.filter(programme=row, stopped_at__isnull=True).update(stopped_at=now)
    audit.record(
        actor=by,
        action="homecare.stop",
        obj=row,
        patient_id=row.patient_id,
        detail={"prescriptions_stopped": closed, "suggestions_shown": showing},
    )
    return row
