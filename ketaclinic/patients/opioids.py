"""Opioids on the medication list → morphine milligram equivalents per day for the chart (domain.pain, CDC 2022).

The daily dose is entered with the medication (mg/day; a fentanyl patch in mcg/h). An opioid of the CDC 2022 table
without a daily dose is listed as not counted, so the total never silently omits it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from ketaclinic.accounts.models import clinical_settings_for
from ketaclinic.domain import pain

if TYPE_CHECKING:
    from ketaclinic.patients.models import Medication, Patient


def check_daily_dose(name: str, daily_dose: Any, unit: str) -> None:
    """Refuse a daily dose the MME table cannot read: a drug not in the table, or the wrong unit (a fentanyl patch in
    mg). Raises ``ValidationError`` naming the field; nothing is written."""
    if daily_dose in (None, ""):
        if unit:
            raise ValidationError({"daily_dose": "Enter the total daily dose for the unit you chose."})
        return
    key = pain.identify_opioid(name)
    if key is None:
        raise ValidationError(
            {
                "daily_dose": f"{name or 'This medication'} is not an opioid in the CDC 2022 MME table "
                f"({', '.join(sorted(pain.FACTORS))}); leave the daily dose blank."
            }
        )
    try:
        pain.mme_per_day([(name, Decimal(daily_dose), unit or pain.FACTORS[key].unit)])
    except ValueError as exc:
        field_name = "daily_dose_unit" if unit and "entered" in str(exc) else "daily_dose"
        raise ValidationError({field_name: str(exc)}) from None


@dataclass(frozen=True)
class OpioidLine:
    medication: Medication
    key: str
    mme: Decimal | None  # None: no daily dose recorded, not counted

    @property
    def name(self) -> str:
        """The drug name for the card ("Oxycodone ER"; names are stored lower case)."""
        return pain.display_name(self.medication.generic_name)


@dataclass(frozen=True)
class OpioidSummary:
    lines: list[OpioidLine]
    result: pain.MmeResult
    prompts: tuple[pain.Prompt, ...]
    naloxone: pain.Prompt | None
    general_cautions: tuple[pain.Caution, ...] = field(default=pain.GENERAL_CAUTIONS)
    source: str = pain.CDC_2022_SOURCE

    @property
    def total_display(self) -> Decimal:
        return pain.display(self.result.total)

    @property
    def footnoted(self) -> list[str]:
        """Opioids whose footnote in the CDC 2022 table is not yet confirmed (shown as unconfirmed)."""
        return sorted({pain.FACTORS[line.key].label for line in self.lines if line.key in pain.FOOTNOTED})

    @property
    def uncounted(self) -> list[OpioidLine]:
        return [line for line in self.lines if line.mme is None]


def _current(med: Medication, today: dt.date) -> bool:
    return not med.entered_in_error and (med.stopped_on is None or med.stopped_on > today)


def summary_for(patient: Patient, *, today: dt.date) -> OpioidSummary | None:
    """MME/day of the patient's current opioids, or ``None`` when none is on the list."""
    meds = [m for m in patient.medications.all() if _current(m, today)]
    lines: list[OpioidLine] = []
    items: list[tuple[str, Decimal, str]] = []
    for med in meds:
        key = pain.identify_opioid(med.generic_name)
        if key is None:
            continue
        if med.daily_dose is None:
            lines.append(OpioidLine(med, key, None))
            continue
        unit = med.daily_dose_unit or pain.FACTORS[key].unit
        items.append((med.generic_name, med.daily_dose, unit))
        lines.append(OpioidLine(med, key, pain.display(med.daily_dose * pain.FACTORS[key].factor)))
    if not lines:
        return None
    result = pain.mme_per_day(items)
    # The clinic's MME/day prompt thresholds (defaults CDC 2022: 50 and 90; clinical settings page).
    settings = clinical_settings_for(patient.location.clinic_id)
    naloxone_listed = any("naloxone" in m.generic_name.lower() for m in meds)
    return OpioidSummary(
        lines=lines,
        result=result,
        prompts=pain.dose_prompts(
            result.total, reassess_at=Decimal(settings.mme_reassess_at), high_at=Decimal(settings.mme_high_at)
        ),
        naloxone=pain.naloxone_prompt(
            result.total, naloxone_documented=naloxone_listed, warn_at=Decimal(settings.mme_reassess_at)
        ),
    )
