"""The ASC X12 837P (005010X222A1) professional claim as text, from plain dataclasses.

Structure per the billing knowledge base §10, which follows the pyx12 map ``837.5010.X222.A1.xml`` (a machine-readable
transcription of the X12 005010X222A1 implementation guide): envelope ISA/GS/ST, BHT, submitter 1000A (NM1*41, PER),
receiver 1000B (NM1*40), billing provider 2000A/2010AA (HL*20, PRV, NM1*85, N3, N4, REF*EI|SY), subscriber
2000B/2010BA/2010BB (HL*22, SBR, NM1*IL, N3, N4, DMG, NM1*PR), claim 2300 (CLM, REF*G1, HI with ABK then ABF and no
period in the ICD-10-CM code), rendering provider 2310B (NM1*82), service lines 2400 (LX, SV1 with pointers 1–12,
DTP*472) with the drug's NDC in 2410 (LIN**N4, CTP quantity and unit); SE counts the segments from ST to SE.
At most 50 service lines and 12 diagnoses per claim (pyx12 map repeat counts). The patient is the subscriber
(SBR02 = 18, self).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketaclinic.domain.billing.claim_rules import ClaimLine
from ketaclinic.domain.billing.identifiers import npi_problem, tax_id_problem

__all__ = [
    "FILING_INDICATORS",
    "MAX_LINES",
    "BillingProvider",
    "Claim",
    "Interchange",
    "Payer",
    "Receiver",
    "Submitter",
    "Subscriber",
    "X12Error",
    "render_837p",
]

MAX_LINES: Final = 50
MAX_DIAGNOSES: Final = 12
FILING_INDICATORS: Final = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "AM",
        "BL",
        "CH",
        "CI",
        "DS",
        "FI",
        "HM",
        "LM",
        "MA",
        "MB",
        "MC",
        "OF",
        "TV",
        "VA",
        "WC",
        "ZZ",
    ]
)
"""SBR09 claim filing indicator codes allowed by the pyx12 map (e.g. CI commercial, MB Medicare Part B, MC Medicaid)."""
NDC_UNITS: Final = frozenset({"F2", "GR", "ME", "ML", "UN"})
_RESERVED: Final = ("*", "~", ":", "^")


class X12Error(ValueError):
    """The claim cannot be written as an 837P; the message is a sentence saying why."""


@dataclass(frozen=True)
class Submitter:
    name: str
    submitter_id: str
    contact_name: str
    phone: str


@dataclass(frozen=True)
class Receiver:
    name: str
    receiver_id: str


@dataclass(frozen=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str
    tax_id_kind: str  # "EI" (EIN) or "SY" (SSN)
    taxonomy: str | None
    street: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class Subscriber:
    member_id: str
    last_name: str
    first_name: str
    dob: dt.date
    sex: str  # "F" | "M" | "U"
    street: str
    city: str
    state: str
    postal_code: str
    group_number: str | None
    filing_indicator: str  # e.g. "MB", "CI", "MC"


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str


@dataclass(frozen=True)
class Claim:
    claim_id: str
    total_charge: Decimal
    place_of_service: str
    diagnoses: tuple[str, ...]
    service_date: dt.date
    lines: tuple[ClaimLine, ...]
    prior_auth: str | None = None
    rendering_npi: str | None = None
    rendering_last_name: str | None = None
    rendering_first_name: str | None = None


@dataclass(frozen=True)
class Interchange:
    submitter: Submitter
    receiver: Receiver
    billing_provider: BillingProvider
    subscriber: Subscriber
    payer: Payer
    claim: Claim
    interchange_control_number: int
    group_control_number: int
    transaction_control_number: int
    production: bool
    created: dt.datetime


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _text(value: str, what: str) -> str:
    cleaned = " ".join(value.split()).upper()
    if not cleaned:
        raise X12Error(f"The {what} is missing.")
    if any(mark in cleaned for mark in _RESERVED):
        raise X12Error(f"The {what} contains a character X12 reserves (* ~ : ^): please remove it.")
    return cleaned


def _digits(value: str, what: str) -> str:
    cleaned = value.replace("-", "").replace(" ", "")
    if not cleaned.isdigit():
        raise X12Error(f"The {what} must be digits only (got {value!r}).")
    return cleaned


def _check(interchange: Interchange) -> None:
    claim = interchange.claim
    provider = interchange.billing_provider
    if not interchange.payer.payer_id.strip():
        raise X12Error("The payer id is missing: take it from the payer's or clearinghouse's payer list.")
    for what, value in (
        ("submitter id", interchange.submitter.submitter_id),
        ("receiver id", interchange.receiver.receiver_id),
    ):
        if len(value) > 15:
            raise X12Error(f"The {what} is longer than the 15 characters X12 allows.")
    numbers = (
        interchange.interchange_control_number,
        interchange.group_control_number,
        interchange.transaction_control_number,
    )
    if any(not 1 <= n <= 999_999_999 for n in numbers):
        raise X12Error("Control numbers must be between 1 and 999999999.")
    if not provider.npi:
        raise X12Error("The billing provider has no NPI: an 837P needs the billing NPI (loop 2010AA).")
    for who, npi in (("billing provider", provider.npi), ("rendering provider", claim.rendering_npi)):
        problem = npi_problem(npi) if npi else None
        if problem:
            raise X12Error(f"The {who}'s NPI is not valid: {problem}")
    tax_problem = tax_id_problem(provider.tax_id)
    if tax_problem:
        raise X12Error(tax_problem)
    if provider.tax_id_kind not in ("EI", "SY"):
        raise X12Error("The tax id kind must be EI (employer id) or SY (social security number).")
    if interchange.subscriber.filing_indicator not in FILING_INDICATORS:
        raise X12Error(f"Unknown claim filing indicator {interchange.subscriber.filing_indicator!r} (e.g. MB, CI, MC).")
    if interchange.subscriber.sex not in ("F", "M", "U"):
        raise X12Error("The subscriber's sex must be F, M or U.")
    if not claim.diagnoses:
        raise X12Error("The claim has no diagnosis: at least the principal diagnosis is required.")
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        raise X12Error(f"An 837P claim carries at most {MAX_DIAGNOSES} diagnoses; this one has {len(claim.diagnoses)}.")
    if not claim.lines:
        raise X12Error("The claim has no service line.")
    if len(claim.lines) > MAX_LINES:
        raise X12Error(f"An 837P claim carries at most {MAX_LINES} service lines; this one has {len(claim.lines)}.")
    total = Decimal(0)
    for number, line in enumerate(claim.lines, start=1):
        if line.charge is None:
            raise X12Error(f"Line {number} ({line.code}) has no charge: set the clinic's fee for {line.code}.")
        if line.charge < 0:
            raise X12Error(f"Line {number} ({line.code}) has a negative charge.")
        if len(line.modifiers) > 4:
            raise X12Error(f"Line {number} ({line.code}) has more than the 4 modifiers a service line can carry.")
        if line.units <= 0:
            raise X12Error(f"Line {number} ({line.code}) must have at least one unit.")
        if not line.diagnosis_pointers or len(line.diagnosis_pointers) > 4:
            raise X12Error(f"Line {number} ({line.code}) must point to 1 to 4 diagnoses.")
        if any(not 1 <= p <= len(claim.diagnoses) for p in line.diagnosis_pointers):
            raise X12Error(f"Line {number} ({line.code}) points to a diagnosis the claim does not have.")
        if line.ndc11 is not None and (len(line.ndc11) != 11 or not line.ndc11.isdigit()):
            raise X12Error(f"Line {number} ({line.code}): the NDC must be 11 digits without dashes.")
        if line.ndc11 is not None and (line.ndc_quantity is None or line.ndc_unit not in NDC_UNITS):
            raise X12Error(f"Line {number} ({line.code}): an NDC needs its quantity and a unit (F2, GR, ME, ML, UN).")
        total += line.charge
    if total != claim.total_charge:
        raise X12Error(f"The claim total {claim.total_charge} is not the sum of its lines ({total}).")


def _claim_segments(interchange: Interchange) -> list[str]:
    claim = interchange.claim
    pos = _digits(claim.place_of_service, "place of service")
    segments = [f"CLM*{_text(claim.claim_id, 'claim id')}*{_num(claim.total_charge)}***{pos}:B:1*Y*A*Y*Y"]
    if claim.prior_auth:
        segments.append(f"REF*G1*{_text(claim.prior_auth, 'prior authorisation number')}")
    codes = [_text(code, "diagnosis code").replace(".", "") for code in claim.diagnoses]
    segments.append("HI*" + "*".join(("ABK:" if i == 0 else "ABF:") + c for i, c in enumerate(codes)))
    if claim.rendering_npi:
        last = _text(claim.rendering_last_name or "", "rendering provider's last name")
        first = _text(claim.rendering_first_name or "", "rendering provider's first name")
        segments.append(f"NM1*82*1*{last}*{first}****XX*{claim.rendering_npi}")
    service_date = claim.service_date.strftime("%Y%m%d")
    for number, line in enumerate(claim.lines, start=1):
        procedure = ":".join(("HC", _text(line.code, "procedure code"), *line.modifiers))
        pointers = ":".join(str(p) for p in line.diagnosis_pointers)
        assert line.charge is not None  # checked in _check
        segments += [
            f"LX*{number}",
            f"SV1*{procedure}*{_num(line.charge)}*UN*{_num(line.units)}***{pointers}",
            f"DTP*472*D8*{service_date}",
        ]
        if line.ndc11 is not None:
            assert line.ndc_quantity is not None
            segments += [f"LIN**N4*{line.ndc11}", f"CTP****{_num(line.ndc_quantity)}*{line.ndc_unit}"]
    return segments


def render_837p(interchange: Interchange) -> str:
    """The 837P text, one segment per line; raises :class:`X12Error` with a sentence on bad input."""
    _check(interchange)
    sub, rec, prov = interchange.submitter, interchange.receiver, interchange.billing_provider
    member, payer, created = interchange.subscriber, interchange.payer, interchange.created
    sender_id = _text(sub.submitter_id, "submitter id")
    receiver_id = _text(rec.receiver_id, "receiver id")
    icn = f"{interchange.interchange_control_number:09d}"
    st = f"{interchange.transaction_control_number:04d}"
    hhmm = created.strftime("%H%M")
    body = [
        f"ST*837*{st}*005010X222A1",
        f"BHT*0019*00*{_text(interchange.claim.claim_id, 'claim id')}*{created:%Y%m%d}*{hhmm}*CH",
        f"NM1*41*2*{_text(sub.name, 'submitter name')}*****46*{sender_id}",
        f"PER*IC*{_text(sub.contact_name, 'submitter contact')}*TE*{_digits(sub.phone, 'submitter phone')}",
        f"NM1*40*2*{_text(rec.name, 'receiver name')}*****46*{receiver_id}",
        "HL*1**20*1",
    ]
    if prov.taxonomy:
        body.append(f"PRV*BI*PXC*{_text(prov.taxonomy, 'taxonomy code')}")
    body += [
        f"NM1*85*2*{_text(prov.name, 'billing provider name')}*****XX*{prov.npi}",
        f"N3*{_text(prov.street, 'billing provider street')}",
        f"N4*{_text(prov.city, 'billing provider city')}*{_text(prov.state, 'billing provider state')}"
        f"*{_digits(prov.postal_code, 'billing provider ZIP code')}",
        f"REF*{prov.tax_id_kind}*{prov.tax_id}",
        "HL*2*1*22*0",
        f"SBR*P*18*{_text(member.group_number, 'group number') if member.group_number else ''}******"
        f"{member.filing_indicator}",
        f"NM1*IL*1*{_text(member.last_name, 'subscriber last name')}"
        f"*{_text(member.first_name, 'subscriber first name')}****MI*{_text(member.member_id, 'member id')}",
        f"N3*{_text(member.street, 'subscriber street')}",
        f"N4*{_text(member.city, 'subscriber city')}*{_text(member.state, 'subscriber state')}"
        f"*{_digits(member.postal_code, 'subscriber ZIP code')}",
        f"DMG*D8*{member.dob:%Y%m%d}*{member.sex}",
        f"NM1*PR*2*{_text(payer.name, 'payer name')}*****PI*{_text(payer.payer_id, 'payer id')}",
        *_claim_segments(interchange),
    ]
    body.append(f"SE*{len(body) + 1}*{st}")
    mode = "P" if interchange.production else "T"
    envelope = [
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender_id:<15}*ZZ*{receiver_id:<15}*{created:%y%m%d}*{hhmm}*^*00501*{icn}"
        f"*0*{mode}*:",
        f"GS*HC*{sender_id}*{receiver_id}*{created:%Y%m%d}*{hhmm}*{interchange.group_control_number}*X*005010X222A1",
    ]
    trailer = [f"GE*1*{interchange.group_control_number}", f"IEA*1*{icn}"]
    return "".join(segment + "~\n" for segment in envelope + body + trailer)
