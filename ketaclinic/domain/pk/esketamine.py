"""``perez_ruixo2021``: esketamine nasal spray with noresketamine (knowledge/pharmacokinetics.md §1).

Perez-Ruixo et al. 2021 (820 subjects, 13 studies; Table 3 as transcribed in nlmixr2lib
``PerezRuixo_2020_esketamine``). Structure, time converted from hours to minutes:

- intranasal: the nasally absorbed part (FRn per device) goes to a nasal depot → central (ka_n); the swallowed
  part, ``(1 − FRn_eff) × dose × Fgut``, enters a swallow depot as a zero-order input over Dsw, then the liver
  (ka_sw);
- oral solution: ``dose × Fgut`` enters a PO depot over Dpo, then the liver (ka_po);
- iv: into central;
- esketamine: central, two peripherals, and a hepato-portal compartment exchanging with central at Qh; from the
  liver, elimination (kel) and metabolism to noresketamine (kmet); plasma clearance is the well-stirred
  ``Qh·E``, ``E = Vh(kel+kmet)/(Qh + Vh(kel+kmet))``;
- noresketamine: two apparent compartments, in esketamine mass equivalents.

Devices: a dose of n × 28 mg is n devices given together; the first device of an administration has FRn, every
further device FRn × 0.62, and separate intranasal doses starting within 30 min of the first device of an
administration count as its later devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .inputs import Dose, Subject
from .model import Model, ModelInfo, Parameters, RandomEffects, add_effect_site, register
from .system import LinearSystem, SystemBuilder

__all__ = [
    "ADMINISTRATION_WINDOW_MIN",
    "DEVICE_MG",
    "JAPANESE_FRN_FACTOR",
    "LATER_DEVICE_FACTOR",
    "MEASURED_ORAL_F",
    "NORESKETAMINE_CAVEAT",
    "EsketamineNasal",
    "device_factors",
    "oral_bioavailability",
]

FloatArray = NDArray[np.float64]

#: One nasal spray device delivers 28 mg esketamine base (32.3 mg esketamine HCl).
DEVICE_MG = 28.0
#: FRn multiplier of every device after the first of an administration (Table 3, "Dose on FRn").
LATER_DEVICE_FACTOR = 0.62
#: Intranasal doses starting within this many minutes of an administration's first device belong to it.
ADMINISTRATION_WINDOW_MIN = 30.0
DSW_MIN = 0.53 * 60  # zero-order duration of the swallowed part (0.53 h)
DPO_MIN = 0.32 * 60  # zero-order duration of an oral solution (0.32 h)
FGUT = 0.64
AGE_QH_L_PER_H_PER_YEAR = 2.19  # Qh falls 2.19 L/h per year of age above 60
#: FRn multiplier for Japanese subjects (Perez-Ruixo 2021 Table 3; Table 4: 56 mg Cmax 94.5 vs 73.2 ng/mL in
#: non-Japanese Asian subjects).
JAPANESE_FRN_FACTOR = 1.34
#: Measured oral esketamine bioavailability, ~8 % (Janssen Medical Information; Fanta 2015: oral S-ketamine 8 %).
MEASURED_ORAL_F = 0.08
#: Noresketamine AUC 0–24 h of this literal encoding over the paper's Table 4 value (746 vs 516 ng·h/mL, 56 mg,
#: typical non-Asian adult; Perez-Ruixo 2021).
NORESKETAMINE_AUC_OVERPREDICTION = 746.0 / 516.0
NORESKETAMINE_CAVEAT = (
    "Noresketamine is apparent (esketamine mass equivalents). Its curve matches the published Cmax, but its AUC "
    "reads ~45 % high: AUC 0–24 h 746 against 516 ng·h/mL at 56 mg in Perez-Ruixo 2021 Table 4. Do not use the "
    "noresketamine AUC for decisions."
)


def device_factors(doses: Sequence[Dose]) -> list[float]:
    """Sum of the per-device FRn multipliers of each dose (0 for non-intranasal doses).

    A dose of n devices that opens an administration contributes ``1 + (n − 1) × 0.62``; one that starts within
    30 min of the administration's first device contributes ``n × 0.62``. The nasally absorbed amount of a dose is
    ``FRn × 28 mg × factor``.

    Raises
    ------
    ValueError
        If an intranasal ``amount_mg`` is not a whole number of 28 mg devices.
    """
    factors = [0.0] * len(doses)
    order = sorted((i for i, dose in enumerate(doses) if dose.route == "intranasal"), key=lambda i: doses[i].start_min)
    first_device_min: float | None = None
    for i in order:
        dose = doses[i]
        devices = round(dose.amount_mg / DEVICE_MG)
        if abs(dose.amount_mg - devices * DEVICE_MG) > 1e-6 * max(1.0, dose.amount_mg):
            raise ValueError(
                f"amount_mg must be a multiple of {DEVICE_MG:g} mg (one esketamine nasal device) for intranasal "
                f"perez_ruixo2021 doses (got {dose.amount_mg:g})"
            )
        if devices == 0:
            continue
        if first_device_min is None or dose.start_min - first_device_min > ADMINISTRATION_WINDOW_MIN:
            first_device_min = dose.start_min
            factors[i] = 1.0 + (devices - 1) * LATER_DEVICE_FACTOR
        else:
            factors[i] = devices * LATER_DEVICE_FACTOR
    return factors


class EsketamineNasal(Model):
    """Perez-Ruixo 2021 esketamine / noresketamine model."""

    info = ModelInfo(
        id="perez_ruixo2021",
        title="Esketamine nasal spray with noresketamine (hepato-portal first pass)",
        citation="Perez-Ruixo C et al. Clin Pharmacokinet 2021;60:501 (820 subjects, 13 studies; Table 3 as "
        "transcribed in the nlmixr2lib model library)",
        drug="esketamine",
        population="healthy subjects and patients with treatment-resistant depression",
        sampling_site=None,
        routes=("iv", "intranasal", "oral"),
        metabolite="noresketamine",
        metabolite_units="ng/mL in esketamine mass equivalents (apparent)",
        parameter_source="Table 3 as transcribed in nlmixr2lib: FRn 0.54 per 28 mg device (later devices × 0.62), "
        "ka_n 2.93, ka_sw 1.45, ka_po 0.97 h⁻¹, Dsw 0.53, Dpo 0.32 h, Fgut 0.64; Vc 192, Vp1 143, Vp2 417, Vh 101 L; "
        "Q1 84.3, Q2 37.6, Qh 151 L/h; kel 1.11, kmet 2.77 h⁻¹; noresketamine Vcn 70, Vpn 115 L, CLn 38, "
        "Q3 26.1 L/h",
        variability="published CV (ω = CV/100): FRn 70.8 (logit SD 0.708), ka_n 61.5, ka_sw 132, ka_po 132, "
        "Vc 27.5, Vp1 49.3, Qh 23.2, Vh 34.6, kel 120, Vcn 31.6, CLn 25.4; kmet 30 (assumed: not printed)",
        variability_assumed=False,
        notes=(
            NORESKETAMINE_CAVEAT,
            "Variability of kmet is assumed (ω 0.30): the paper does not print it.",
            "No weight or sex effect. Covariates used: age above 60 (Qh), Asian ancestry (kel, CLn) and Japanese "
            "ancestry (FRn × 1.34).",
        ),
        metabolite_caveat=NORESKETAMINE_CAVEAT,
    )
    random_effects = RandomEffects.diagonal(
        {
            "frn": 0.708,
            "ka_n_per_min": 0.615,
            "ka_sw_per_min": 1.32,
            "ka_po_per_min": 1.32,
            "vc_l": 0.275,
            "vp1_l": 0.493,
            "qh_l_per_min": 0.232,
            "vh_l": 0.346,
            "kel_per_min": 1.20,
            "kmet_per_min": 0.30,
            "vcn_l": 0.316,
            "cln_l_per_min": 0.254,
        },
        logit=frozenset({"frn"}),
    )

    def typical(self, subject: Subject) -> dict[str, float]:
        age = subject.age_years or 0.0
        qh_l_per_h = 151.0 - AGE_QH_L_PER_H_PER_YEAR * max(0.0, age - 60.0)
        if qh_l_per_h <= 0:
            raise ValueError(f"age_years is outside the range of perez_ruixo2021 (got {subject.age_years:g})")
        asian = subject.asian
        return {
            "frn": 0.54 * (JAPANESE_FRN_FACTOR if subject.japanese else 1.0),
            "fgut": FGUT,
            "ka_n_per_min": 2.93 / 60,
            "ka_sw_per_min": 1.45 / 60,
            "ka_po_per_min": 0.97 / 60,
            "vc_l": 192.0,
            "vp1_l": 143.0,
            "vp2_l": 417.0,
            "q1_l_per_min": 84.3 / 60,
            "q2_l_per_min": 37.6 / 60,
            "qh_l_per_min": qh_l_per_h / 60,
            "vh_l": 101.0,
            "kel_per_min": 1.11 / 60 * (0.36 if asian else 1.0),
            "kmet_per_min": 2.77 / 60,
            "vcn_l": 70.0,
            "cln_l_per_min": 38.0 / 60 * (0.81 if asian else 1.0),
            "vpn_l": 115.0,
            "q3_l_per_min": 26.1 / 60,
        }

    def clearance_l_per_min(self, params: Parameters) -> FloatArray:
        qh = params["qh_l_per_min"]
        intrinsic = params["vh_l"] * (params["kel_per_min"] + params["kmet_per_min"])
        return np.asarray(qh * intrinsic / (qh + intrinsic), dtype=np.float64)

    def central_volume_l(self, params: Parameters) -> FloatArray:
        return np.asarray(params["vc_l"], dtype=np.float64)

    def assemble(self, params: Parameters, doses: Sequence[Dose], ke0_per_min: float | None) -> LinearSystem:
        self.check_doses(doses)
        factors = device_factors(doses)
        used = {dose.route for dose in doses}
        depots = (
            *(("nasal", "swallowed") if "intranasal" in used else ()),
            *(("oral",) if "oral" in used else ()),
        )
        states = (
            *depots,
            "liver",
            "central",
            "peripheral1",
            "peripheral2",
            "metabolite",
            "metabolite_peripheral",
            *(("effect",) if ke0_per_min is not None else ()),
        )
        vc, vcn = params["vc_l"], params["vcn_l"]
        b = SystemBuilder(len(vc), states)
        if "intranasal" in used:
            b.flow("nasal", "central", params["ka_n_per_min"])
            b.flow("swallowed", "liver", params["ka_sw_per_min"])
        if "oral" in used:
            b.flow("oral", "liver", params["ka_po_per_min"])
        b.flow("central", "liver", params["qh_l_per_min"] / vc)
        b.flow("liver", "central", params["qh_l_per_min"] / params["vh_l"])
        b.flow("liver", None, params["kel_per_min"])
        b.flow("liver", "metabolite", params["kmet_per_min"])
        b.flow("central", "peripheral1", params["q1_l_per_min"] / vc)
        b.flow("peripheral1", "central", params["q1_l_per_min"] / params["vp1_l"])
        b.flow("central", "peripheral2", params["q2_l_per_min"] / vc)
        b.flow("peripheral2", "central", params["q2_l_per_min"] / params["vp2_l"])
        b.flow("metabolite", None, params["cln_l_per_min"] / vcn)
        b.flow("metabolite", "metabolite_peripheral", params["q3_l_per_min"] / vcn)
        b.flow("metabolite_peripheral", "metabolite", params["q3_l_per_min"] / params["vpn_l"])
        add_effect_site(b, "central", ke0_per_min)
        for dose, factor in zip(doses, factors, strict=True):
            if dose.route == "iv":
                b.zero_order("central", dose.start_min, dose.duration_min, dose.amount_mg)
            elif dose.route == "oral":
                b.zero_order("oral", dose.start_min, DPO_MIN, dose.amount_mg * params["fgut"])
            elif factor > 0:
                nasal = params["frn"] * DEVICE_MG * factor
                b.bolus("nasal", dose.start_min, nasal)
                b.zero_order("swallowed", dose.start_min, DSW_MIN, (dose.amount_mg - nasal) * params["fgut"])
        b.output("plasma", "central", 1000.0 / vc)
        b.output("metabolite", "metabolite", 1000.0 / vcn)
        if ke0_per_min is not None:
            b.output("effect_site", "effect", 1000.0 / vc)
        return b.build()

    def route_notes(self, doses: Sequence[Dose], subject: Subject) -> tuple[tuple[str, ...], bool]:
        notes: list[str] = []
        if any(dose.route == "intranasal" for dose in doses):
            notes.append(
                "Intranasal: n × 28 mg is n devices given together; doses within 30 min of an administration's "
                "first device count as its later devices (FRn × 0.62). The paper's reference simulations give all "
                "devices at time 0; the label gives 5 minutes between devices."
            )
        if subject.age_years is None:
            notes.append("No age given: no age effect on hepatic blood flow (Qh falls 2.19 L/h per year above 60).")
        uncertain = False
        if any(dose.route == "oral" for dose in doses):
            # The Perez-Ruixo structure gives Fgut × (1 − E) ≈ 17.8 % for an oral solution; measured ≈ 8 %.
            model_f = oral_bioavailability(self.typical(subject))
            notes.append(
                f"Uncertain (oral): this model's oral bioavailability is {model_f:.1%}; measured ≈ "
                f"{MEASURED_ORAL_F:.0%} (Janssen Medical Information; Fanta 2015: oral S-ketamine 8 %), so oral "
                f"exposure may be about {model_f / MEASURED_ORAL_F:.1f}× lower than drawn."
            )
            uncertain = True
        return tuple(notes), uncertain


def oral_bioavailability(params: dict[str, float]) -> float:
    """Oral-solution F of the model (typical values): ``Fgut × (1 − E)``, E the well-stirred hepatic extraction."""
    intrinsic = params["vh_l"] * (params["kel_per_min"] + params["kmet_per_min"])
    extraction = intrinsic / (params["qh_l_per_min"] + intrinsic)
    return params["fgut"] * (1.0 - extraction)


def bioavailability_intranasal(devices: int, frn: float = 0.54) -> float:
    """Absolute bioavailability of ``devices`` × 28 mg given together (typical values), for documentation/tests."""
    effective = frn * (1 + (devices - 1) * LATER_DEVICE_FACTOR) / devices
    intrinsic = 101.0 * (1.11 + 2.77)
    extraction = intrinsic / (151.0 + intrinsic)
    return effective + (1 - effective) * FGUT * (1 - extraction)


register(EsketamineNasal())
