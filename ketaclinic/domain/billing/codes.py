"""The billing codes a ketamine / esketamine clinic uses, with OUR OWN short plain-English labels.

The labels are written for this clinic and are not the AMA CPT descriptors (the CPT code set is licensed by the
American Medical Association; its descriptor text is never shipped here). HCPCS Level II codes are CMS codes.
Effective dates are set only where a published source states them (billing knowledge base §3):

* G2082 / G2083: added 1 Jan 2020 by the CY 2020 Medicare Physician Fee Schedule final rule and interim final rule
  (Federal Register Vol. 84 No. 221, 15 Nov 2019, 84 FR 62568).
* S0013 (esketamine nasal spray, 1 mg) ends 31 Dec 2025; J0013 (same drug, same 1 mg unit) starts 1 Jan 2026 with the
  CMS 2026 HCPCS Level II update (Osmind 2026; Neolytix 2026; UnitedHealthcare policy 2026D0069P).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["CODES", "BillingCode", "code_in_effect", "label_for"]

_CPT_SOURCE = "CPT code set (American Medical Association)"


@dataclass(frozen=True)
class BillingCode:
    """One procedure or supply code: ``system`` is "CPT" or "HCPCS"; ``label`` is our own short words."""

    code: str
    system: Literal["CPT", "HCPCS"]
    label: str
    source: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


def _cpt(code: str, label: str, source: str = _CPT_SOURCE) -> BillingCode:
    return BillingCode(code, "CPT", label, source)


_ALL: Final = (
    _cpt("96365", "IV infusion, first hour", f"{_CPT_SOURCE}; > 15 min rule per Coding Ahead 96365"),
    _cpt(
        "96366", "IV infusion, each extra hour", f"{_CPT_SOURCE}; 31-minute rule per UW Health IV Infusion Mini Manual"
    ),
    _cpt("96374", "IV push (infusion of 15 min or less)", f"{_CPT_SOURCE}; as quoted by medcoder.ai 96374"),
    _cpt("96372", "Injection into muscle or under the skin", f"{_CPT_SOURCE}; as quoted by medcoder.ai 96372"),
    _cpt("99202", "New patient visit, 15 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99203", "New patient visit, 30 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99204", "New patient visit, 45 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99205", "New patient visit, 60 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99212", "Return patient visit, 10 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99213", "Return patient visit, 20 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99214", "Return patient visit, 30 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt("99215", "Return patient visit, 40 min or more", "AAPC Coding Alert 2024 (single minimum times)"),
    _cpt(
        "99417", "Longer visit, each extra 15 min (non-Medicare)", "CPT 99417 as quoted by Coding Ahead; RVUDoc 99417"
    ),
    BillingCode(
        "G2212",
        "HCPCS",
        "Longer visit, each extra 15 min (Medicare)",
        "National Government Services (Medicare MAC), Prolonged Services; RVUDoc G2212",
    ),
    _cpt("99415", "Extra nursing time during a visit, first hour", "CPT 99415 as quoted by iframe.ai and Coding Ahead"),
    _cpt("99416", "Extra nursing time, each further 30 min", "CPT 99416 as quoted by Coding Ahead Case2Code"),
    BillingCode(
        "G2082",
        "HCPCS",
        "Spravato session up to 56 mg, with 2 h watch (return patient)",
        "Federal Register 84 FR 62568 (15 Nov 2019); Highmark Wholecare policy HHO-DE-MP-1265 (2024)",
        effective_from=dt.date(2020, 1, 1),
    ),
    BillingCode(
        "G2083",
        "HCPCS",
        "Spravato session over 56 mg, with 2 h watch (return patient)",
        "Federal Register 84 FR 62568 (15 Nov 2019); Highmark Wholecare policy HHO-DE-MP-1265 (2024)",
        effective_from=dt.date(2020, 1, 1),
    ),
    BillingCode(
        "S0013",
        "HCPCS",
        "Esketamine nasal spray, per mg (until 2025)",
        "Osmind, SPRAVATO J Code (2026): replaced by J0013 on 1 Jan 2026",
        effective_to=dt.date(2025, 12, 31),
    ),
    BillingCode(
        "J0013",
        "HCPCS",
        "Esketamine nasal spray, per mg",
        "CMS 2026 HCPCS Level II update as reported by Osmind and Neolytix (2026); UnitedHealthcare 2026D0069P",
        effective_from=dt.date(2026, 1, 1),
    ),
    BillingCode(
        "J3490",
        "HCPCS",
        "Drug without its own code (ketamine), NDC required",
        "Blue Cross Blue Shield of Massachusetts, How to request and bill for ketamine and esketamine (2023)",
    ),
    _cpt("90791", "Psychiatric intake assessment", "CPT 90791 as quoted by Mindcare Billing; BCBS Illinois policy"),
    _cpt(
        "90792", "Psychiatric intake with medical care", "CPT 90792 as quoted by Mindcare Billing; BCBS Illinois policy"
    ),
    _cpt("90833", "Talk therapy with a visit, 16 min or more", "BCBS Illinois psychiatry payment policy; Empr 2013"),
    _cpt("90836", "Talk therapy with a visit, 38 min or more", "BCBS Illinois psychiatry payment policy; Empr 2013"),
    _cpt("90838", "Talk therapy with a visit, 53 min or more", "BCBS Illinois psychiatry payment policy; Empr 2013"),
)

CODES: Final[dict[str, BillingCode]] = {c.code: c for c in _ALL}
"""Every code the clinic bills, by code."""


def code_in_effect(code: str, on: dt.date) -> bool:
    """True when ``code`` is known and valid on ``on`` (its effective dates, both ends inclusive)."""
    found = CODES.get(code)
    if found is None:
        return False
    if found.effective_from is not None and on < found.effective_from:
        return False
    return found.effective_to is None or on <= found.effective_to


def label_for(code: str) -> str:
    """Our own short label for ``code``; an unknown code raises ``KeyError`` with a sentence."""
    try:
        return CODES[code].label
    except KeyError:
        raise KeyError(f"{code} is not a billing code this clinic uses.") from None
