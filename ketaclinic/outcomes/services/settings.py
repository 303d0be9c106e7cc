"""A clinic's clinical settings: the esketamine label jurisdiction, the MADRS remission cut-off and the MME/day
prompt thresholds (CDC 2022, Dowell et al.).

One write path: ``save_clinical_settings`` locks the clinic's row, validates the values against the domain's closed
choices, writes an audit event with what changed (before and after), and, when the MADRS cut-off changes, recomputes
every MADRS course of the clinic's patients in the same transaction, so the trajectory pages and the dashboard never
mix two cut-offs. It lives in ``outcomes`` (not ``accounts``, where the model sits next to ``Clinic``) because it has
to refresh outcome courses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import Clinic, ClinicalSettings, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import outcomes as rules
from ketaclinic.domain.vocabulary import JURISDICTIONS
from ketaclinic.locking import lock
from ketaclinic.outcomes.models import OutcomeCourse
from ketaclinic.outcomes.services.measurements import refresh_course

SETTINGS_FIELDS = ("label_jurisdiction", "madrs_remission_at_most", "mme_reassess_at", "mme_high_at")
MME_FIELDS = ("mme_reassess_at", "mme_high_at")
#: Upper bound of an MME/day prompt threshold (the field is a small integer; far above any published threshold).
MME_THRESHOLD_MAX = 1000


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This setting cannot be changed here."))
    cleaned: dict[str, Any] = {}
    if "label_jurisdiction" in values:
        if values["label_jurisdiction"] not in JURISDICTIONS:
            raise ValidationError({"label_jurisdiction": f"Choose one of {', '.join(JURISDICTIONS)}."})
        cleaned["label_jurisdiction"] = values["label_jurisdiction"]
    if "madrs_remission_at_most" in values:
        raw = values["madrs_remission_at_most"]
        try:
            cutoff = int(raw)
        except (TypeError, ValueError):
            cutoff = -1
        if isinstance(raw, bool) or cutoff not in rules.MADRS_REMISSION_CUTOFFS:
            choices = ", ".join(f"≤ {value}" for value in rules.MADRS_REMISSION_CUTOFFS)
            raise ValidationError({"madrs_remission_at_most": f"Choose one of the published cut-offs: {choices}."})
        cleaned["madrs_remission_at_most"] = cutoff
    for name in MME_FIELDS:
        if name in values:
            cleaned[name] = _mme_threshold(name, values[name])
    return cleaned


def _mme_threshold(name: str, raw: Any) -> int:
    """A whole, positive MME/day threshold (CDC 2022 defaults 50 and 90, Dowell et al.)."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if isinstance(raw, bool) or not 0 < value <= MME_THRESHOLD_MAX:
        raise ValidationError({name: f"Enter a whole number of MME/day from 1 to {MME_THRESHOLD_MAX}."})
    return value


def _check_mme_order(reassess_at: int, high_at: int) -> None:
    if reassess_at >= high_at:
        raise ValidationError(
            {
                "mme_high_at": f"The high-dose prompt ({high_at} MME/day) must be above the reassessment prompt "
                f"({reassess_at} MME/day)."
            }
        )


@transaction.atomic
def save_clinical_settings(*, by: User | None, clinic: Clinic, values: Mapping[str, Any]) -> ClinicalSettings:
    """Change the clinic's clinical settings; audited with before/after (security.md H4). ``by`` is ``None`` only
    for the demo loader (audited as the system)."""
    if by is not None:
        if not (by.is_superuser or role_can(by.role, "clinical_settings.manage")):
            raise PermissionDenied("Your role may not do this (clinical_settings.manage).")
        if by.clinic_id != clinic.pk:
            raise PermissionDenied("That belongs to another clinic.")
    cleaned = _clean(values)
    row = lock(ClinicalSettings).filter(clinic=clinic).first() or ClinicalSettings(clinic=clinic)
    before = {name: getattr(row, name) for name in SETTINGS_FIELDS}
    _check_mme_order(
        cleaned.get("mme_reassess_at", before["mme_reassess_at"]), cleaned.get("mme_high_at", before["mme_high_at"])
    )
    changed = [name for name, value in cleaned.items() if before[name] != value]
    for name in changed:
        setattr(row, name, cleaned[name])
    row.updated_at = timezone.now()
    row.updated_by = by
    row.save()
    audit.record(
        actor=by,
        action="clinic.clinical_settings.change",
        obj=row,
        detail={name: {"before": before[name], "after": getattr(row, name)} for name in changed},
    )
    if "madrs_remission_at_most" in changed:
        courses = OutcomeCourse.objects.filter(instrument="madrs", location__clinic=clinic).select_related("patient")
        for course in courses.order_by("pk"):
            refresh_course(course.patient, "madrs")
    return row
