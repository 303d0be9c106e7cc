"""The claim builder: one session's facts and the payer's rules → the proposed claim lines, each saying why.

Defaults follow the billing knowledge base (§1–§6); every row is a default that a payer contract may override
(``PayerRules.overrides``), and every rule the knowledge base could not confirm from a primary source is a named rule
in ``PayerRules.confirmed``: until the clinic confirms it the line is still proposed but marked ``unconfirmed`` (or,
where no default exists, no line is proposed and a note says what to confirm).

Sources, by the names used in each line's ``source``: Highmark Wholecare policy HHO-DE-MP-1265 (2024) and CarePartners
of Connecticut (2022) for the G2082/G2083 descriptors; The Rybar Group, Coding Conundrum: SPRAVATO parts 1 and 2;
Janssen, SPRAVATO Payer Coverage and Reimbursement; Blue Cross Blue Shield of Massachusetts (2023) for J3490 and the
G-codes; Osmind (2026) for S0013 → J0013; Noridian JF, E/M Services and Drug Administration Billing (modifier 25);
First Coast Service Options and CMS Pub 100-04 ch. 17 §40 (JW/JZ); CMS Transmittal 11045 / CR 12427 (2021) for
place of service 02 and 10; CMS MLN 1500 course for diagnosis pointers; openFDA NDC directory (containers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from ketaclinic.domain.billing.codes import CODES, code_in_effect
from ketaclinic.domain.billing.times import (
    EM_MINUTES_ESTABLISHED,
    EM_MINUTES_NEW,
    PAYER_KINDS,
    PROLONGED_FIRST_UNIT_MIN,
    em_code_for_time,
    iv_infusion_codes,
    prolonged_units,
)
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE, IV_ROUTE

__all__ = [
    "DRUG_SUPPLIES",
    "ESKETAMINE_DEVICE_MG",
    "G_CODE_SPLIT_MG",
    "KETAMINE_MULTI_DOSE_NDCS",
    "MAX_DIAGNOSES",
    "MAX_POINTERS_PER_LINE",
    "OVERRIDE_KEYS",
    "VERIFY_RULES",
    "ClaimLine",
    "ClaimProposal",
    "ClaimRuleError",
    "PayerRules",
    "SessionBillingFacts",
    "build_claim_lines",
]

ESKETAMINE_DEVICE_MG: Final = 28
"""One Spravato nasal spray device holds 28 mg (openFDA NDC directory, 50458-028: "VIAL, SINGLE-USE" 28 mg/0.2 mL)."""
G_CODE_SPLIT_MG: Final = 56
"""G2082 up to 56 mg, G2083 above 56 mg (Highmark Wholecare policy HHO-DE-MP-1265, 2024)."""
MAX_DIAGNOSES: Final = 12
"""A claim carries at most 12 diagnoses (CMS-1500 item 21 letters A–L; 837P HI, X12 005010X222A1)."""
MAX_POINTERS_PER_LINE: Final = 4
"""A service line points to at most 4 diagnoses (NUCC 1500 instructions item 24E; 837P SV107)."""
KETAMINE_MULTI_DOSE_NDCS: Final = frozenset({"00409205105", "55150043810"})
"""Ketamine NDCs whose container is "VIAL, MULTI-DOSE" in the openFDA NDC directory (Hospira, Eugia)."""
DRUG_SUPPLIES: Final = ("buy_and_bill", "specialty_pharmacy")
TELEHEALTH: Final = (None, "home", "other")
IV_ROUTES: Final = (IV_ROUTE,)
IM_ROUTES: Final = ("im",)
ESKETAMINE_ROUTES: Final = (ESKETAMINE_ROUTE, "esketamine")
"""The vocabulary's esketamine route; "esketamine" is accepted as a short alias."""
VISIT_ONLY_ROUTES: Final = ("oral", "sublingual", "intranasal")
"""Routes whose drug the patient takes at home from a pharmacy: the clinic bills the visit only."""

VERIFY_RULES: Final = MappingProxyType(
    {
        "medicare_specialty_pharmacy": "Medicare pays G2082/G2083 when a specialty pharmacy, not the clinic, supplies"
        " the esketamine (the descriptor includes the drug; confirm with the MAC).",
        "medicare_g_code_excludes_em": "Nothing else (no visit, no prolonged time) is billed with G2082/G2083 on the"
        " same day (vendor statement; confirm with the MAC).",
        "clinical_staff_prolonged": "Extra nursing time (99415/99416) starts once staff time runs 30 min past the"
        " visit time (one secondary source; the 2024 CPT threshold table was not found).",
        "jz_on_j0013": "This payer wants modifier JZ (no drug discarded) on J0013 lines (single-use devices).",
        "esketamine_ndc_units": "This payer wants the J0013 NDC quantity as the number of devices (unit UN).",
        "commercial_specialty_pharmacy": "With a specialty pharmacy the pharmacy bills the esketamine and the clinic"
        " bills only the visit and prolonged time.",
    }
)
"""The rules the billing knowledge base marks VERIFY, by the name a clinic confirms them under."""

OVERRIDE_KEYS: Final = ("esketamine_drug_code", "ketamine_drug_code")
"""Payer overrides the builder understands: the drug code to use instead of the default."""


class ClaimRuleError(ValueError):
    """The session cannot be billed as given; the message is a sentence saying why."""


@dataclass(frozen=True)
class SessionBillingFacts:
    """What the claim builder needs from one session (routes as in ``ketaclinic.domain.vocabulary.ROUTES``)."""

    service_date: dt.date
    route: str
    new_patient: bool
    infusion_min: int | None
    practitioner_min: int
    clinical_staff_min: int
    esketamine_dose_mg: int | None
    ketamine_dose_mg: Decimal | None
    ndc11: str | None
    drug_supply: str
    diagnoses: tuple[str, ...]
    separately_identifiable_em: bool
    telehealth: str | None = None


@dataclass(frozen=True)
class PayerRules:
    """The payer's kind, whether it takes the esketamine G-codes, its confirmed rules and its overrides."""

    payer_kind: str
    accepts_g_codes: bool = False
    confirmed: frozenset[str] = frozenset()
    overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimLine:
    """One proposed service line; ``why`` is a plain sentence with the numbers, ``source`` the citation."""

    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    unit_charge: Decimal | None
    charge: Decimal | None
    diagnosis_pointers: tuple[int, ...]
    ndc11: str | None
    ndc_quantity: Decimal | None
    ndc_unit: str | None
    why: str
    source: str
    unconfirmed: bool


@dataclass(frozen=True)
class ClaimProposal:
    lines: tuple[ClaimLine, ...]
    place_of_service: str
    notes: tuple[str, ...]


@dataclass
class _Draft:
    code: str
    units: int | Decimal
    why: str
    source: str
    modifiers: tuple[str, ...] = ()
    ndc11: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None
    unconfirmed: bool = False


def _validate(facts: SessionBillingFacts, payer: PayerRules) -> None:
    if payer.payer_kind not in PAYER_KINDS:
        raise ClaimRuleError(f"Unknown payer kind {payer.payer_kind!r}: expected one of {', '.join(PAYER_KINDS)}.")
    known_routes = IV_ROUTES + IM_ROUTES + ESKETAMINE_ROUTES + VISIT_ONLY_ROUTES
    if facts.route not in known_routes:
        raise ClaimRuleError(f"Unknown route {facts.route!r}: expected one of {', '.join(known_routes)}.")
    if facts.drug_supply not in DRUG_SUPPLIES:
        raise ClaimRuleError(f"Unknown drug supply {facts.drug_supply!r}: expected buy_and_bill or specialty_pharmacy.")
    if facts.telehealth not in TELEHEALTH:
        raise ClaimRuleError(f"Unknown telehealth setting {facts.telehealth!r}: expected none, home or other.")
    if facts.telehealth is not None and facts.route not in VISIT_ONLY_ROUTES:
        raise ClaimRuleError("An infusion, injection or Spravato session is given in person: it cannot be telehealth.")
    if not facts.diagnoses:
        raise ClaimRuleError("A claim needs at least one diagnosis: add the principal diagnosis first.")
    if len(facts.diagnoses) > MAX_DIAGNOSES:
        raise ClaimRuleError(f"A claim carries at most {MAX_DIAGNOSES} diagnoses; this one has {len(facts.diagnoses)}.")
    if facts.practitioner_min < 0 or facts.clinical_staff_min < 0:
        raise ClaimRuleError("Practitioner and staff minutes cannot be negative.")
    for key, code in payer.overrides.items():
        if key not in OVERRIDE_KEYS:
            raise ClaimRuleError(f"Unknown payer override {key!r}: expected one of {', '.join(OVERRIDE_KEYS)}.")
        if code not in CODES:
            raise ClaimRuleError(
                f"The payer override {key} names {code}, which is not a billing code this clinic uses."
            )


def _place_of_service(telehealth: str | None) -> tuple[str, str | None]:
    if telehealth == "home":
        return "10", "Place of service 10: telehealth with the patient at home (CMS Transmittal 11045, CR 12427, 2021)."
    if telehealth == "other":
        return "02", "Place of service 02: telehealth, patient not at home (CMS Transmittal 11045, CR 12427, 2021)."
    return "11", None


def _uses_g_codes(facts: SessionBillingFacts, payer: PayerRules) -> bool:
    if facts.route not in ESKETAMINE_ROUTES or payer.payer_kind == "self_pay":
        return False
    if payer.payer_kind == "medicare":
        return True
    return payer.accepts_g_codes and facts.drug_supply == "buy_and_bill"


def _esketamine_dose(facts: SessionBillingFacts) -> int:
    dose = facts.esketamine_dose_mg
    if dose is None or dose <= 0:
        raise ClaimRuleError("A Spravato session needs the dose given in mg (28, 56 or 84).")
    if dose % ESKETAMINE_DEVICE_MG:
        raise ClaimRuleError(f"{dose} mg is not a whole number of 28 mg Spravato devices.")
    return dose


def _g_code_lines(facts: SessionBillingFacts, payer: PayerRules, notes: list[str]) -> list[_Draft]:
    if facts.new_patient:
        raise ClaimRuleError(
            "G2082/G2083 are for established patients only: bill the first visit as a new-patient visit"
            " (99202–99205) and start Spravato at the next visit."
        )
    dose = _esketamine_dose(facts)
    medicare = payer.payer_kind == "medicare"
    if medicare and facts.drug_supply == "specialty_pharmacy" and "medicare_specialty_pharmacy" not in payer.confirmed:
        notes.append(
            "No line proposed: G2082/G2083 include providing the esketamine, and a specialty pharmacy supplied it."
            " The clinic must confirm with its Medicare contractor (MAC) how to bill this session."
        )
        return []
    code = "G2083" if dose > G_CODE_SPLIT_MG else "G2082"
    comparison = "more than" if dose > G_CODE_SPLIT_MG else "no more than"
    payer_name = "Medicare" if medicare else "This payer"
    why = (
        f"{dose} mg is {comparison} {G_CODE_SPLIT_MG} mg, so {code}; {payer_name} bundles the visit, the drug and"
        " 2 h of observation into it — nothing else is billed for this session."
    )
    source = "Highmark Wholecare policy HHO-DE-MP-1265 (2024); The Rybar Group, Coding Conundrum: SPRAVATO part 2"
    unconfirmed = False
    if medicare:
        source += "; Federal Register 84 FR 62568 (2019)"
        if "medicare_g_code_excludes_em" not in payer.confirmed:
            unconfirmed = True
            notes.append("Unconfirmed: " + VERIFY_RULES["medicare_g_code_excludes_em"])
    else:
        source += "; Blue Cross Blue Shield of Massachusetts (2023)"
    if facts.separately_identifiable_em or facts.practitioner_min or facts.clinical_staff_min:
        notes.append(f"No separate visit or prolonged-time line: {code} already includes the visit and observation.")
    return [_Draft(code, 1, why, source, unconfirmed=unconfirmed)]


def _visit_lines(
    facts: SessionBillingFacts, payer: PayerRules, notes: list[str], with_procedure: bool, staff_prolonged: bool
) -> list[_Draft]:
    if with_procedure and not facts.separately_identifiable_em:
        notes.append(
            "No visit line: the drug-administration code covers assessment and monitoring; a visit is billed only when"
            " a significant, separately identifiable evaluation is documented (Noridian JF)."
        )
        return []
    em = em_code_for_time(facts.practitioner_min, facts.new_patient)
    if em is None:
        notes.append(
            f"No visit line: {facts.practitioner_min} min of practitioner time is below the lowest visit level."
        )
        return []
    minimum = dict(EM_MINUTES_NEW + EM_MINUTES_ESTABLISHED)[em]
    kind = "new" if facts.new_patient else "return"
    modifiers: tuple[str, ...] = ()
    why = f"{facts.practitioner_min} min of practitioner time meets the {minimum} min of {em} ({kind} patient visit)."
    source = "AAPC Coding Alert 2024 (single minimum times)"
    if with_procedure:
        modifiers = ("25",)
        why += " Modifier 25: a significant, separately identifiable evaluation was documented on the day of the drug"
        why += " administration."
        source += "; Noridian JF, E/M Services and Drug Administration Billing"
    lines = [_Draft(em, 1, why, source, modifiers=modifiers)]
    prolonged = prolonged_units(em, facts.practitioner_min, payer.payer_kind)
    if prolonged is not None:
        code, units = prolonged
        first = PROLONGED_FIRST_UNIT_MIN[(em, "medicare" if code == "G2212" else "cpt")]
        lines.append(
            _Draft(
                code,
                units,
                f"{facts.practitioner_min} min of practitioner time: the first 15 min unit of {code} starts at {first}"
                f" min after {em}, each further unit needs a full 15 min, so {units} unit(s).",
                "National Government Services (Medicare MAC), Prolonged Services; RVUDoc G2212"
                if code == "G2212"
                else "CPT 99417 as quoted by Coding Ahead; RVUDoc 99417",
            )
        )
        if code == "99417" and units > 4:
            notes.append(f"{units} units of 99417: one coder forum reports a limit of 4 per day; check with the payer.")
    elif staff_prolonged:
        lines.extend(_staff_prolonged_lines(facts, payer, notes, em, minimum))
    return lines


def _staff_prolonged_lines(
    facts: SessionBillingFacts, payer: PayerRules, notes: list[str], em: str, visit_min: int
) -> list[_Draft]:
    """99415 once clinical staff time runs 30 min or more past the visit's minimum time, then 99416 for each full
    30 min after that first hour (iframe.ai 99415, a secondary source; the 2024 CPT threshold table was not found,
    so these lines stay unconfirmed until the clinic confirms "clinical_staff_prolonged")."""
    beyond = facts.clinical_staff_min - visit_min
    if beyond < 30:
        return []
    unconfirmed = "clinical_staff_prolonged" not in payer.confirmed
    if unconfirmed:
        notes.append("Unconfirmed: " + VERIFY_RULES["clinical_staff_prolonged"])
    source = "CPT 99415/99416 as quoted by iframe.ai and Coding Ahead Case2Code; threshold per iframe.ai 99415"
    lines = [
        _Draft(
            "99415",
            1,
            f"{facts.clinical_staff_min} min of nursing time is {beyond} min past the {visit_min} min of {em}"
            " (30 min or more), so the first hour of extra nursing time.",
            source,
            unconfirmed=unconfirmed,
        )
    ]
    further = (beyond - 60) // 30 if beyond >= 90 else 0
    if further:
        lines.append(
            _Draft(
                "99416",
                further,
                f"{beyond} min past the visit time: after the first hour each full 30 min counts,"
                f" so {further} unit(s).",
                source,
                unconfirmed=unconfirmed,
            )
        )
    return lines


def _esketamine_drug_line(facts: SessionBillingFacts, payer: PayerRules, notes: list[str]) -> list[_Draft]:
    dose = _esketamine_dose(facts)
    if facts.drug_supply == "specialty_pharmacy":
        note = "No drug line: a specialty pharmacy supplied the esketamine and bills it (Janssen procurement models)."
        if "commercial_specialty_pharmacy" not in payer.confirmed:
            note += " Unconfirmed: " + VERIFY_RULES["commercial_specialty_pharmacy"]
        notes.append(note)
        return []
    if not facts.ndc11:
        raise ClaimRuleError("The esketamine drug line needs the 11-digit NDC of the Spravato kit used.")
    default = "J0013" if code_in_effect("J0013", facts.service_date) else "S0013"
    code = payer.overrides.get("esketamine_drug_code", default)
    if code != default:
        notes.append(f"{code} instead of {default} for the esketamine: this payer's override.")
    devices = dose // ESKETAMINE_DEVICE_MG
    modifiers: tuple[str, ...] = ()
    unconfirmed = "esketamine_ndc_units" not in payer.confirmed
    if unconfirmed:
        notes.append("Unconfirmed: " + VERIFY_RULES["esketamine_ndc_units"])
    why = (
        f"{dose} mg of esketamine at 1 unit per mg is {dose} units of {code}"
        f" ({code} from 1 Jan 2026, S0013 before); NDC quantity {devices} device(s) of 28 mg."
    )
    if code == "J0013" and "jz_on_j0013" in payer.confirmed:
        modifiers = ("JZ",)
        why += " JZ: nothing was discarded from the single-use devices, as this payer asks."
    elif code == "J0013":
        notes.append("No JZ modifier on J0013: add it only if this payer confirms it wants JZ (single-use devices).")
    return [
        _Draft(
            code,
            dose,
            why,
            "Osmind, SPRAVATO J Code (2026); UnitedHealthcare 2026D0069P; openFDA NDC directory 50458-028",
            modifiers=modifiers,
            ndc11=facts.ndc11,
            ndc_quantity=Decimal(devices),
            ndc_unit="UN",
            unconfirmed=unconfirmed,
        )
    ]


def _ketamine_lines(facts: SessionBillingFacts, payer: PayerRules, notes: list[str]) -> list[_Draft]:
    lines: list[_Draft] = []
    if facts.route in IV_ROUTES:
        if facts.infusion_min is None or facts.infusion_min <= 0:
            raise ClaimRuleError("An IV session needs the infusion time in minutes (start to stop).")
        for code, units in iv_infusion_codes(facts.infusion_min):
            lines.append(_Draft(code, units, _infusion_why(code, units, facts.infusion_min), _INFUSION_SOURCE[code]))
    else:
        lines.append(
            _Draft(
                "96372",
                1,
                "Ketamine injected into a muscle: one injection code for the session.",
                "CPT code set; medcoder.ai 96372",
            )
        )
    if facts.drug_supply == "specialty_pharmacy":
        notes.append("No drug line: the ketamine was not supplied by the clinic.")
        return lines
    if not facts.ndc11:
        raise ClaimRuleError("The ketamine drug line (J3490) needs the 11-digit NDC of the vial used.")
    if facts.ketamine_dose_mg is None or facts.ketamine_dose_mg <= 0:
        raise ClaimRuleError("The ketamine drug line needs the dose given in mg.")
    code = payer.overrides.get("ketamine_drug_code", "J3490")
    if facts.ndc11 not in KETAMINE_MULTI_DOSE_NDCS:
        notes.append(
            f"NDC {facts.ndc11}: the container type is not known here. JW/JZ apply only to single-dose containers;"
            " check this NDC in the FDA NDC directory."
        )
    dose = facts.ketamine_dose_mg.normalize()
    lines.append(
        _Draft(
            code,
            1,
            f"Ketamine has no drug code of its own, so {code} with the NDC; {dose:f} mg given, reported as the NDC"
            " quantity in mg (ME). No JW/JZ: ketamine comes in multi-dose vials.",
            "Blue Cross Blue Shield of Massachusetts (2023); X12 005010X222A1 implementation guide, loop 2410;"
            " First Coast Service Options JW/JZ (2024)",
            ndc11=facts.ndc11,
            ndc_quantity=facts.ketamine_dose_mg,
            ndc_unit="ME",
        )
    )
    return lines


_INFUSION_SOURCE: Final = {
    "96374": "medcoder.ai 96374; Coding Ahead 96365 quick reference (15 min or less is a push)",
    "96365": "Coding Ahead 96365 quick reference; ClearCostEstimate 96365/96366",
    "96366": "UW Health, IV Infusion Mini Manual (1 h 30 min vs 1 h 31 min)",
}


def _infusion_why(code: str, units: int, minutes: int) -> str:
    if code == "96374":
        return f"{minutes} min is 15 min or less, so it is reported as an IV push."
    if code == "96365":
        return f"{minutes} min is more than 15 min: one first-hour infusion code."
    return (
        f"{minutes} min: each hour after the first counts only when the infusion runs more than 30 min past the"
        f" previous full hour, so {units} extra hour(s)."
    )


def _finish(draft: _Draft, pointers: tuple[int, ...], fees: Mapping[str, Decimal]) -> ClaimLine:
    units = Decimal(draft.units)
    unit_charge = fees.get(draft.code)
    charge = None if unit_charge is None else (unit_charge * units).quantize(Decimal("0.01"))
    return ClaimLine(
        code=draft.code,
        modifiers=draft.modifiers,
        units=units,
        unit_charge=unit_charge,
        charge=charge,
        diagnosis_pointers=pointers,
        ndc11=draft.ndc11,
        ndc_quantity=draft.ndc_quantity,
        ndc_unit=draft.ndc_unit,
        why=draft.why,
        source=draft.source,
        unconfirmed=draft.unconfirmed,
    )


def build_claim_lines(
    facts: SessionBillingFacts, payer: PayerRules, fees: Mapping[str, Decimal] | None = None
) -> ClaimProposal:
    """The proposed claim for one session (billing knowledge base §4 decision table, §1–§6); raises
    :class:`ClaimRuleError` with a sentence when the session cannot be billed as given."""
    _validate(facts, payer)
    place, place_note = _place_of_service(facts.telehealth)
    notes: list[str] = [place_note] if place_note else []
    drafts: list[_Draft]
    if _uses_g_codes(facts, payer):
        drafts = _g_code_lines(facts, payer, notes)
    elif facts.route in ESKETAMINE_ROUTES:
        drafts = _visit_lines(facts, payer, notes, with_procedure=False, staff_prolonged=True)
        drafts += _esketamine_drug_line(facts, payer, notes)
    elif facts.route in VISIT_ONLY_ROUTES:
        drafts = _visit_lines(facts, payer, notes, with_procedure=False, staff_prolonged=False)
    else:
        procedure = _ketamine_lines(facts, payer, notes)
        drafts = _visit_lines(facts, payer, notes, with_procedure=True, staff_prolonged=False) + procedure
    overridden = set(payer.overrides.values())
    for draft in drafts:
        if draft.code not in overridden and not code_in_effect(draft.code, facts.service_date):
            raise ClaimRuleError(f"{draft.code} is not a valid code on {facts.service_date:%d %b %Y}.")
    if payer.payer_kind == "self_pay":
        notes.append("Self-pay: these lines make the superbill the patient can send to their insurer.")
    pointers = tuple(range(1, min(len(facts.diagnoses), MAX_POINTERS_PER_LINE) + 1))
    lines = tuple(_finish(d, pointers, fees or {}) for d in drafts)
    return ClaimProposal(lines=lines, place_of_service=place, notes=tuple(notes))
