"""Raising the safety alert a scored suicide-risk screen calls for (instruments.md § phq9, § cssrs_screener).

One helper for every place a screen is scored (intake, the chair before a session, a questionnaire from home):

* PHQ-9 item 9 ≥ 1 (flag ``suicidality``) → severity ``unrated`` and the PHQ-9 item 9 safety workflow as the action
  (give the C-SSRS screener, alert the primary clinician, crisis resources);
* a C-SSRS screener above ``negative`` → its triage band as the severity and the Columbia action for that band.

The alert goes through ``outcomes.services.raise_alert``, which addresses the patient's primary clinician and e-mails
them after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction

from ketaclinic.accounts.models import User
from ketaclinic.domain import instruments
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.outcomes.services.alerts import raise_alert
from ketaclinic.patients.models import Patient

SCREENS = ("phq9", "cssrs_screener")


def _phq9_item9_text(score: instruments.Score) -> str:
    item9 = instruments.get("phq9").items[8]
    answer = score.answers[8] if len(score.answers) > 8 else None
    label = dict(item9.options).get(answer, str(answer)) if isinstance(answer, int) else str(answer)
    return f"PHQ-9 item 9 ({item9.label.lower()}) answered “{label}”"


@transaction.atomic
def raise_for_screen(
    *,
    by: User | None,
    patient: Patient,
    score: instruments.Score,
    source: models.Model,
    where: str,
    sibling_source_ids: Iterable[int] | None = None,
) -> SafetyAlert | None:
    """Raise the alert ``score`` calls for, or return ``None`` when it calls for none.

    ``where`` says where the screen was taken ("at intake", "from home"); it ends up in the alert's message.
    ``sibling_source_ids`` are the ids of rows of the same kind as ``source`` that count as the same screen (a scale
    re-entered at the same intake): while one of them has an open alert for this scale, no second alert is raised.
    ``by`` is ``None`` when the patient answered themselves.
    """
    if score.instrument not in SCREENS or instruments.SUICIDALITY not in score.flags:
        return None
    source_type = source._meta.label_lower
    ids = {source.pk, *(sibling_source_ids or ())}
    if SafetyAlert.objects.filter(
        source_type=source_type, source_id__in=ids, instrument=score.instrument, acknowledged_at__isnull=True
    ).exists():
        return None
    if score.instrument == "cssrs_screener":
        band = str(score.band)
        severity = band
        message = f"C-SSRS screener {where}: {band} risk ({score.total} of 6 questions answered yes)."
        action = instruments.cssrs_recommended_action(band) or ""
    else:
        severity = SafetyAlert.Severity.UNRATED
        message = f"{_phq9_item9_text(score)} {where}; total {score.total} ({score.band})."
        action = " ".join(instruments.PHQ9_ITEM9_SAFETY_WORKFLOW)
    return raise_alert(
        by=by,
        patient=Patient.objects.select_related("primary_clinician").get(pk=patient.pk),  # fresh addressee
        kind=SafetyAlert.Kind.SUICIDALITY,
        severity=severity,
        instrument=score.instrument,
        score_total=float(score.total),
        score_band=score.band or "",
        source=source,
        message=message,
        recommended_action=action,
    )
