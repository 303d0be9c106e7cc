from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ketaclinic.domain.billing.reconciliation import (
    DRUG_UNITS,
    G_CODE_MISMATCH,
    LEDGER_DEVICES,
    REMS_DOSE,
    REMS_LATE,
    UNBILLED_DEVICES,
    SpravatoSessionFacts,
    reconcile_spravato,
)

DAY = dt.date(2026, 3, 2)


def facts(**changes: Any) -> SpravatoSessionFacts:
    base: dict[str, Any] = {
        "session_id": 7,
        "service_date": DAY,
        "documented_dose_mg": 84,
        "rems_form_dose_mg": 84,
        "rems_submitted_on": DAY,
        "ledger_devices": 3,
        "claim_lines": (("G2083", 1),),
        "today": DAY + dt.timedelta(days=30),
    }
    base.update(changes)
    return SpravatoSessionFacts(**base)


def kinds(result: tuple[Any, ...]) -> list[str]:
    return [m.kind for m in result]


def test_all_agree() -> None:
    assert reconcile_spravato(facts()) == ()
    assert reconcile_spravato(facts(claim_lines=(("99213", 1), ("J0013", Decimal(84))))) == ()
    assert reconcile_spravato(facts(rems_form_dose_mg=None, rems_submitted_on=None, today=DAY + dt.timedelta(7))) == ()


def test_rems_form_dose_differs() -> None:
    (m,) = reconcile_spravato(facts(rems_form_dose_mg=56))
    assert m.kind == REMS_DOSE and "84 mg" in m.message and "56 mg" in m.message


def test_ledger_devices_differ() -> None:
    (m,) = reconcile_spravato(facts(ledger_devices=2))
    assert m.kind == LEDGER_DEVICES and "2 device(s) of 28 mg (56 mg)" in m.message


def test_g_code_inconsistent_with_dose() -> None:
    (m,) = reconcile_spravato(facts(claim_lines=(("G2082", 1),)))
    assert m.kind == G_CODE_MISMATCH and "bill G2083" in m.message
    result = reconcile_spravato(facts(documented_dose_mg=56, rems_form_dose_mg=56, ledger_devices=2))
    assert kinds(result) == [G_CODE_MISMATCH] and "bill G2082" in result[0].message
    assert (
        reconcile_spravato(
            facts(documented_dose_mg=56, rems_form_dose_mg=56, ledger_devices=2, claim_lines=(("G2082", 1),))
        )
        == ()
    )


def test_drug_units_differ() -> None:
    (m,) = reconcile_spravato(facts(claim_lines=(("S0013", 56),)))
    assert m.kind == DRUG_UNITS and "56 units" in m.message


def test_devices_without_claim() -> None:
    (m,) = reconcile_spravato(facts(claim_lines=()))
    assert m.kind == UNBILLED_DEVICES
    assert (
        kinds(reconcile_spravato(facts(claim_lines=(), ledger_devices=0, documented_dose_mg=0, rems_form_dose_mg=0)))
        == []
    )


def test_rems_form_overdue_or_late() -> None:
    (m,) = reconcile_spravato(facts(rems_submitted_on=None, today=DAY + dt.timedelta(days=8)))
    assert m.kind == REMS_LATE and "09 Mar 2026" in m.message and "has not been submitted" in m.message
    (m,) = reconcile_spravato(facts(rems_submitted_on=DAY + dt.timedelta(days=8)))
    assert m.kind == REMS_LATE and "after its deadline" in m.message
    assert reconcile_spravato(facts(rems_submitted_on=DAY + dt.timedelta(days=7))) == ()
