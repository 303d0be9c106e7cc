from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.domain.billing.claim_rules import ClaimLine, PayerRules, build_claim_lines
from ketaclinic.domain.billing.x12_837p import (
    BillingProvider,
    Claim,
    Interchange,
    Payer,
    Receiver,
    Submitter,
    Subscriber,
    X12Error,
    render_837p,
)
from tests.billing_x12 import validate_837p
from tests.domain.billing.factories import iv_facts, spravato_facts

FEES = {
    "G2083": Decimal("1289.82"),
    "99213": Decimal("150"),
    "J0013": Decimal("12.5"),
    "96365": Decimal("400"),
    "J3490": Decimal("35.25"),
}


def interchange(lines: tuple[ClaimLine, ...], filing: str = "CI", **claim_changes: Any) -> Interchange:
    total = sum((line.charge or Decimal(0) for line in lines), Decimal(0))
    claim = Claim(
        claim_id="PT0001",
        total_charge=total,
        place_of_service="11",
        diagnoses=("F33.2", "R45.851"),
        service_date=dt.date(2026, 3, 2),
        lines=lines,
        prior_auth="PA123456",
        rendering_npi="1234567893",
        rendering_last_name="Smith",
        rendering_first_name="John",
    )
    return Interchange(
        submitter=Submitter("Ketaclinic Demo", "TGJ23", "Billing desk", "305-555-2222"),
        receiver=Receiver("Demo Clearinghouse", "66783JJT"),
        billing_provider=BillingProvider(
            "Keta Clinic LLC",
            "1234567893",
            "123456789",
            "EI",
            "2084P0800X",
            "123 Main St",
            "Springfield",
            "IL",
            "62701-0000",
        ),
        subscriber=Subscriber(
            "W123456789",
            "Doe",
            "Jane",
            dt.date(1980, 1, 1),
            "F",
            "456 Oak Ave",
            "Springfield",
            "IL",
            "62704",
            "GRP123",
            filing,
        ),
        payer=Payer("Acme Health", "12345"),
        claim=dataclasses.replace(claim, **claim_changes),
        interchange_control_number=1,
        group_control_number=1,
        transaction_control_number=1,
        production=False,
        created=dt.datetime(2026, 3, 2, 12, 53),
    )


def medicare_lines() -> tuple[ClaimLine, ...]:
    return build_claim_lines(spravato_facts(esketamine_dose_mg=84), PayerRules("medicare"), FEES).lines


def commercial_lines() -> tuple[ClaimLine, ...]:
    return build_claim_lines(spravato_facts(), PayerRules("commercial"), FEES).lines


def iv_lines() -> tuple[ClaimLine, ...]:
    return build_claim_lines(iv_facts(), PayerRules("commercial"), FEES).lines


def telehealth_lines() -> tuple[ClaimLine, ...]:
    facts = spravato_facts(route="oral", telehealth="home", esketamine_dose_mg=None, ndc11=None)
    return build_claim_lines(facts, PayerRules("medicaid"), FEES).lines


@pytest.mark.parametrize(
    ("lines", "filing", "pos"),
    [
        (medicare_lines, "MB", "11"),
        (commercial_lines, "CI", "11"),
        (iv_lines, "CI", "11"),
        (telehealth_lines, "MC", "10"),
    ],
    ids=["g2083", "em", "iv", "telehealth"],
)
def test_pyx12_accepts_our_claims(lines: Any, filing: str, pos: str) -> None:
    text = render_837p(interchange(lines(), filing, place_of_service=pos))
    assert f"***{pos}:B:1*" in text
    verdict = validate_837p(text)
    assert verdict.accepted, verdict.ack_999 + text


def test_segments_follow_the_guide() -> None:
    text = render_837p(interchange(commercial_lines(), prior_auth=None, rendering_npi=None))
    segments = [s for s in text.split("~\n") if s]
    assert segments[0].startswith("ISA*00*") and segments[0].endswith("*0*T*:")
    assert "HI*ABK:F332*ABF:R45851" in segments
    assert "SV1*HC:99213*150*UN*1***1" in segments
    assert "SV1*HC:J0013*700*UN*56***1" in segments
    assert "LIN**N4*50458002802" in segments and "CTP****2*UN" in segments
    assert not any(s.startswith(("REF*G1", "NM1*82")) for s in segments)
    st = segments.index("ST*837*0001*005010X222A1")
    se = next(s for s in segments if s.startswith("SE*"))
    assert se == f"SE*{segments.index(se) - st + 1}*0001"
    assert validate_837p(text).accepted


def test_production_flag_and_no_taxonomy() -> None:
    base = interchange(iv_lines())
    text = render_837p(
        dataclasses.replace(
            base,
            production=True,
            billing_provider=dataclasses.replace(base.billing_provider, taxonomy=None),
            subscriber=dataclasses.replace(base.subscriber, group_number=None),
        )
    )
    assert "*0*P*:~" in text and "PRV*" not in text and "SBR*P*18*******CI~" in text
    assert "CTP****35*ME" in text


def test_a_broken_claim_is_rejected_by_pyx12() -> None:
    text = render_837p(interchange(iv_lines())).replace("DTP*472", "DTP*999", 1)
    verdict = validate_837p(text)
    assert not verdict.accepted and "IK5*R" in verdict.ack_999


def _line(**changes: Any) -> ClaimLine:
    return dataclasses.replace(commercial_lines()[0], **changes)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"payer": Payer("Acme", " ")}, "payer id is missing"),
        ({"billing_provider": "npi="}, "no NPI"),
        ({"billing_provider": "npi=1234567890"}, "check digit"),
        ({"billing_provider": "tax_id=12-34"}, "nine digits"),
        ({"billing_provider": "tax_id_kind=XX"}, "EI"),
        ({"billing_provider": "name=A*B"}, "reserves"),
        ({"billing_provider": "name= "}, "missing"),
        ({"billing_provider": "postal_code=ABCDE"}, "digits only"),
        ({"subscriber": "filing_indicator=QQ"}, "filing indicator"),
        ({"subscriber": "sex=X"}, "F, M or U"),
        ({"submitter": "submitter_id=SUBMITTERIDTOOLONG"}, "15 characters"),
        ({"claim": "rendering_npi=1234567890"}, "rendering provider"),
        ({"claim": "diagnoses="}, "no diagnosis"),
        ({"claim": "lines="}, "no service line"),
        ({"claim": "total_charge=1"}, "not the sum"),
        ({"interchange_control_number": 1_000_000_000}, "Control numbers"),
    ],
)
def test_bad_input_says_why(changes: dict[str, Any], words: str) -> None:
    base = interchange(commercial_lines())
    ((part, change),) = changes.items()
    if isinstance(change, str) and "=" in change:
        field, value = change.split("=", 1)
        parsed: Any = () if field in ("diagnoses", "lines") else Decimal(value) if field == "total_charge" else value
        change = dataclasses.replace(getattr(base, part), **{field: parsed})
    with pytest.raises(X12Error, match=words):
        render_837p(dataclasses.replace(base, **{part: change}))


@pytest.mark.parametrize(
    ("lines", "diagnoses", "words"),
    [
        ((_line(),) * 51, ("F33.2",), "at most 50 service lines"),
        ((_line(),), tuple(f"F33.{i}" for i in range(13)), "at most 12 diagnoses"),
        ((_line(charge=None),), ("F33.2",), "no charge"),
        ((_line(units=Decimal(0)),), ("F33.2",), "at least one unit"),
        ((_line(charge=Decimal(-1)),), ("F33.2",), "negative charge"),
        ((_line(modifiers=("25", "59", "XE", "XS", "XU")),), ("F33.2",), "4 modifiers"),
        ((_line(diagnosis_pointers=()),), ("F33.2",), "1 to 4"),
        ((_line(diagnosis_pointers=(1, 2, 3, 4, 5)),), tuple("ABCDE"), "1 to 4"),
        ((_line(diagnosis_pointers=(2,)),), ("F33.2",), "does not have"),
        ((_line(ndc11="5045800280"),), ("F33.2",), "11 digits"),
        ((_line(ndc11="50458002802", ndc_quantity=None),), ("F33.2",), "quantity and a unit"),
        ((_line(ndc11="50458002802", ndc_quantity=Decimal(2), ndc_unit="XX"),), ("F33.2",), "quantity and a unit"),
    ],
)
def test_bad_claims_say_why(lines: tuple[ClaimLine, ...], diagnoses: tuple[str, ...], words: str) -> None:
    total = sum((line.charge or Decimal(0) for line in lines), Decimal(0))
    with pytest.raises(X12Error, match=words):
        render_837p(interchange(lines, diagnoses=diagnoses, total_charge=total))
