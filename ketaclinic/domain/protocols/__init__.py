"""The protocol library: treatment protocols as TOML data files, loaded into validated frozen dataclasses.

Each ``*.toml`` file next to this module is one protocol (depression IV, depression IM, esketamine, CRPS outpatient,
fibromyalgia test dose, oral, sublingual). A protocol carries its dose range, default dose, infusion duration,
ceilings and minimums (each with a severity: ``hard_stop``, ``override_allowed`` or ``caution``), series, vital-sign
cadence, dosing-weight basis, discharge threshold, chair-side session settings (``[session]``: fasting window,
pregnancy test, pre-dose measures, sedation scale, CADSS times, the no-driving rule) and sources. All figures come from
``shared/knowledge/clinical-rules.md`` §3-§4 and instruments.md; each file cites the rows it uses. Where the knowledge
files give no figure (the fasting window and the no-driving rule for racemic ketamine), the value is a **clinic
policy** default, marked ``*_basis = "clinic_policy"`` and shown as such.

    from ketaclinic.domain import protocols
    protocols.all()                         # every shipped protocol, sorted by id
    p = protocols.get("depression_iv")      # unknown id -> ValueError
    clinic_p = protocols.apply_overrides(p, {"infusion_duration_min": 45})

Clinic overrides are re-validated with the same rules as the files plus the **hard limits** below, which no clinic
setting can loosen:

* IV low-dose ceiling: infusion ≤ 1 mg/kg/h, bolus ≤ 0.5 mg/kg (Pennsylvania low-dose ketamine guideline 2020;
  clinical-rules.md §3). A clinic may lower them; their severity is at least ``override_allowed`` (a prescriber may
  exceed them only with a written, audited reason).
* Esketamine (Spravato PI; clinical-rules.md §3): doses only 28, 56 or 84 mg, one device = 28 mg, the allowed-dose
  rule is a ``hard_stop``, observation ≥ 120 min, no food for 2 h and no liquids for 30 min before dosing (a clinic
  may ask for longer), the label regimen itself cannot be overridden.
* Absolute maximum (never signable, no override passes): the Ketalar US label §2.2 anaesthetic doses, an IV bolus
  ≥ 1 mg/kg, IV delivered at ≥ 0.5 mg/kg/min, IM ≥ 6.5 mg/kg (clinical-rules.md §3). Stored on each IV/IM protocol
  (``absolute_*`` fields); a clinic may lower them, never raise them.
* Identity (id, route, indications, regulatory status, sources) cannot be overridden.

A malformed file (bad TOML, unknown key, wrong type, inconsistent values) raises :class:`ProtocolError` (a
``ValueError``) naming the file and the field.

The package is split by concept: ``limits`` (vocabularies and hard limits), ``model`` (the frozen dataclasses),
``fields`` (typed field readers and ``ProtocolError``), ``parsing`` (raw values to a protocol), ``validation`` (the
rules a whole protocol obeys) and ``library`` (the shipped files, lookup and clinic overrides).
"""

from __future__ import annotations

from ketaclinic.domain.protocols.fields import ProtocolError
from ketaclinic.domain.protocols.library import _load_directory as _load_directory
from ketaclinic.domain.protocols.library import all, apply_overrides, get, ids, loads
from ketaclinic.domain.protocols.limits import (
    ABSOLUTE_MAXIMA,
    ESKETAMINE_ALLOWED_DOSES_MG,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_FASTING_FOOD_MIN,
    ESKETAMINE_FASTING_LIQUIDS_MIN,
    ESKETAMINE_MIN_OBSERVATION_MIN,
    LABEL_ANAESTHETIC_IM_MG_PER_KG,
    LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG,
    LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN,
    LABEL_ANAESTHETIC_SOURCE,
    LIMIT_NAMES,
    LOW_DOSE_BOLUS_CEILING_MG_PER_KG,
    LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H,
    MIN_SEVERITY,
    NOT_OVERRIDABLE,
    PREDOSE_MEASURES,
    REGULATORY_STATUSES,
    RULE_BASES,
    SEDATION_SCALES,
    SEVERITIES,
    WEIGHT_BASES,
    Severity,
)
from ketaclinic.domain.protocols.model import EsketamineRegimen, Protocol

__all__ = [
    "ABSOLUTE_MAXIMA",
    "ESKETAMINE_ALLOWED_DOSES_MG",
    "ESKETAMINE_DEVICE_MG",
    "ESKETAMINE_FASTING_FOOD_MIN",
    "ESKETAMINE_FASTING_LIQUIDS_MIN",
    "ESKETAMINE_MIN_OBSERVATION_MIN",
    "LABEL_ANAESTHETIC_IM_MG_PER_KG",
    "LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG",
    "LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN",
    "LABEL_ANAESTHETIC_SOURCE",
    "LIMIT_NAMES",
    "LOW_DOSE_BOLUS_CEILING_MG_PER_KG",
    "LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H",
    "MIN_SEVERITY",
    "NOT_OVERRIDABLE",
    "PREDOSE_MEASURES",
    "REGULATORY_STATUSES",
    "RULE_BASES",
    "SEDATION_SCALES",
    "SEVERITIES",
    "WEIGHT_BASES",
    "EsketamineRegimen",
    "Protocol",
    "ProtocolError",
    "Severity",
    "all",
    "apply_overrides",
    "get",
    "ids",
    "loads",
]
