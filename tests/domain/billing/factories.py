from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

__all__ = ["iv_facts", "spravato_facts"]

from ketaclinic.domain.billing.claim_rules import SessionBillingFacts


def spravato_facts(**changes: Any) -> SessionBillingFacts:
    """An established patient's 56 mg Spravato session in 2026, clinic buy-and-bill, 25 min practitioner time."""
    base: dict[str, Any] = {
        "service_date": dt.date(2026, 3, 2),
        "route": "intranasal_esketamine",
        "new_patient": False,
        "infusion_min": None,
        "practitioner_min": 25,
        "clinical_staff_min": 0,
        "esketamine_dose_mg": 56,
        "ketamine_dose_mg": None,
        "ndc11": "50458002802",
        "drug_supply": "buy_and_bill",
        "diagnoses": ("F33.2",),
        "separately_identifiable_em": False,
        "telehealth": None,
    }
    base.update(changes)
    return SessionBillingFacts(**base)


def iv_facts(**changes: Any) -> SessionBillingFacts:
    """A 40 min IV ketamine infusion (35 mg, Hospira multi-dose vial), no separate evaluation."""
    base: dict[str, Any] = {
        "route": "iv",
        "infusion_min": 40,
        "esketamine_dose_mg": None,
        "ketamine_dose_mg": Decimal("35"),
        "ndc11": "00409205105",
    }
    base.update(changes)
    return spravato_facts(**base)
