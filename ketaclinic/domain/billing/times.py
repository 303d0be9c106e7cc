"""Time rules: infusion minutes → drug-administration codes, practitioner minutes → visit level and prolonged units.

Sources (billing knowledge base §1.2 and §2):

* An infusion of 15 minutes or less is an IV push (96374); 96365 needs more than 15 minutes (medcoder.ai 96365;
  Coding Ahead 96365 quick reference).
* 96366 counts an additional hour only when the infusion runs more than 30 minutes past the previous full hour:
  1 h 30 min = 96365 only, 1 h 31 min = 96365 + 96366 (UW Health, IV Infusion Mini Manual).
* Office visit levels by total practitioner time on the day, 2024 onward a single minimum that "must be met or
  exceeded" (AAPC Coding Alert 2024; American Medical Coding, E/M changes for 2024).
* Prolonged time attaches only to the level-5 visit (99205 / 99215) chosen by time: 99417 (CPT, non-Medicare) from
  75 / 55 minutes; Medicare's G2212 from 89 / 69 minutes; each further unit a full 15 minutes (RVUDoc 99417 and
  G2212; National Government Services, Prolonged Services: "CMS has not implemented CPT 99417").
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EM_MINUTES_ESTABLISHED",
    "EM_MINUTES_NEW",
    "PAYER_KINDS",
    "PROLONGED_FIRST_UNIT_MIN",
    "em_code_for_time",
    "iv_infusion_codes",
    "prolonged_units",
]

PAYER_KINDS: Final = ("medicare", "medicaid", "commercial", "self_pay")

EM_MINUTES_NEW: Final = (("99205", 60), ("99204", 45), ("99203", 30), ("99202", 15))
"""New-patient visit levels, highest first, with their minimum practitioner minutes (AAPC 2024)."""
EM_MINUTES_ESTABLISHED: Final = (("99215", 40), ("99214", 30), ("99213", 20), ("99212", 10))
"""Established-patient visit levels, highest first, with their minimum practitioner minutes (AAPC 2024)."""

PROLONGED_FIRST_UNIT_MIN: Final = {
    ("99205", "cpt"): 75,
    ("99215", "cpt"): 55,
    ("99205", "medicare"): 89,
    ("99215", "medicare"): 69,
}
"""Total practitioner minutes at which the first prolonged unit starts (RVUDoc 99417 / G2212; NGS Medicare)."""

PROLONGED_UNIT_MIN: Final = 15


def iv_infusion_codes(infusion_min: int) -> list[tuple[str, int]]:
    """(code, units) for an IV infusion of ``infusion_min`` minutes: 96374 × 1 up to 15 min; otherwise 96365 × 1
    plus 96366 for each hour after the first that runs more than 30 minutes past the previous full hour."""
    if infusion_min <= 0:
        raise ValueError(f"An infusion lasts at least 1 minute (got {infusion_min}).")
    if infusion_min <= 15:
        return [("96374", 1)]
    codes = [("96365", 1)]
    beyond_first_hour = infusion_min - 60
    if beyond_first_hour > 0:
        extra_hours = beyond_first_hour // 60 + (1 if beyond_first_hour % 60 > 30 else 0)
        if extra_hours:
            codes.append(("96366", extra_hours))
    return codes


def em_code_for_time(minutes: int, new_patient: bool) -> str | None:
    """The highest office-visit level whose minimum practitioner time ``minutes`` meets; None below the lowest."""
    if minutes < 0:
        raise ValueError(f"Practitioner time cannot be negative (got {minutes}).")
    for code, minimum in EM_MINUTES_NEW if new_patient else EM_MINUTES_ESTABLISHED:
        if minutes >= minimum:
            return code
    return None


def prolonged_units(em_code: str, minutes: int, payer_kind: str) -> tuple[str, int] | None:
    """(code, units) of prolonged practitioner time after the level-5 visit ``em_code``: G2212 for Medicare, 99417
    for everyone else; None for other visit levels or below the first-unit threshold."""
    if payer_kind not in PAYER_KINDS:
        raise ValueError(f"Unknown payer kind {payer_kind!r}: expected one of {', '.join(PAYER_KINDS)}.")
    scheme = "medicare" if payer_kind == "medicare" else "cpt"
    first = PROLONGED_FIRST_UNIT_MIN.get((em_code, scheme))
    if first is None or minutes < first:
        return None
    code = "G2212" if scheme == "medicare" else "99417"
    return code, 1 + (minutes - first) // PROLONGED_UNIT_MIN
