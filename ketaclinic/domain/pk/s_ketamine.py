"""``fanta2015``: S-ketamine with S-norketamine, intravenous only (knowledge/pharmacokinetics.md §1).

S-ketamine disposition of Fanta et al. 2015, fixed in the parent-metabolite model of Otto et al. 2021 (as coded in
nlmixr2lib ``Otto_2021_s_ketamine``): three compartments for S-ketamine, two for S-norketamine; all S-ketamine
clearance forms S-norketamine (fraction metabolised assumed 1).

The published as-run model is followed exactly (Otto 2021, as run in nlmixr2lib ``Otto_2021_s_ketamine``):

- weight: only the S-ketamine central volume scales × (WT/70) and its clearance × (WT/70)^0.75; the peripheral
  volumes, the inter-compartmental clearances and every S-norketamine parameter are not scaled (identical at
  70 kg; scaling them, as an earlier version did, moved predictions by −12 % … +17 % at 100 kg);
- S-norketamine is read as the fitted model reads it, amount / V with no molar-mass factor: the fitted volume
  already absorbs the conversion (an earlier 223.7/237.7 factor read 5.9 % low).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .inputs import Dose, Subject
from .model import Model, ModelInfo, Parameters, RandomEffects, add_effect_site, register
from .system import LinearSystem, SystemBuilder

__all__ = ["SKetamineNorketamine"]

FloatArray = NDArray[np.float64]


class SKetamineNorketamine(Model):
    """Fanta 2015 / Otto 2021 parent-metabolite model."""

    info = ModelInfo(
        id="fanta2015",
        title="S-ketamine with S-norketamine, IV, 3 + 2 compartments",
        citation="Fanta S et al. Eur J Clin Pharmacol 2015;71:441, disposition fixed in Otto ME et al. "
        "Eur J Clin Pharmacol 2021;77:1181 (as run in the nlmixr2lib model library)",
        drug="S-ketamine",
        population="healthy adult volunteers",
        sampling_site=None,
        routes=("iv",),
        metabolite="S-norketamine",
        metabolite_units="ng/mL as the fitted model reads it (amount / V, no molar-mass factor)",
        parameter_source="as coded (as run) in nlmixr2lib: S-ketamine V1 133 L × (WT/70), CL 95.2 L/h × (WT/70)^0.75; "
        "Vp1 187, Vp2 98.8 L, Q1 23.2, Q2 157 L/h; S-norketamine V 98.6, Vp 160 L, CL 57.7, Q 42.8 L/h "
        "(none of these scaled with weight)",
        variability="published: ω² V1 0.084, cov 0.023, ω² CL 0.026 (S-ketamine); ω² V 0.040, cov 0.044, "
        "ω² CL 0.103 (S-norketamine)",
        variability_assumed=False,
        notes=(
            "iv only: the model was built from intravenous data and has no absorption defaults.",
            "Fraction of S-ketamine metabolised to S-norketamine assumed 1.",
        ),
    )
    random_effects = RandomEffects(
        ("v1_l", "cl_l_per_min", "vm_l", "clm_l_per_min"),
        np.array(
            [
                [0.084, 0.023, 0.0, 0.0],
                [0.023, 0.026, 0.0, 0.0],
                [0.0, 0.0, 0.040, 0.044],
                [0.0, 0.0, 0.044, 0.103],
            ]
        ),
    )

    def typical(self, subject: Subject) -> dict[str, float]:
        """Otto 2021 / Fanta 2015 as run: V1 × (WT/70), CL × (WT/70)^0.75, nothing else scaled (L, L/min)."""
        ratio = subject.weight_kg / 70.0
        return {
            "v1_l": 133.0 * ratio,
            "cl_l_per_min": 95.2 / 60.0 * ratio**0.75,
            "vp1_l": 187.0,
            "vp2_l": 98.8,
            "q1_l_per_min": 23.2 / 60.0,
            "q2_l_per_min": 157.0 / 60.0,
            "vm_l": 98.6,
            "vmp_l": 160.0,
            "clm_l_per_min": 57.7 / 60.0,
            "qm_l_per_min": 42.8 / 60.0,
        }

    def clearance_l_per_min(self, params: Parameters) -> FloatArray:
        return np.asarray(params["cl_l_per_min"], dtype=np.float64)

    def central_volume_l(self, params: Parameters) -> FloatArray:
        return np.asarray(params["v1_l"], dtype=np.float64)

    def assemble(self, params: Parameters, doses: Sequence[Dose], ke0_per_min: float | None) -> LinearSystem:
        self.check_doses(doses)
        states: tuple[str, ...] = ("central", "peripheral1", "peripheral2", "metabolite", "metabolite_peripheral")
        if ke0_per_min is not None:
            states = (*states, "effect")
        v1, vm = params["v1_l"], params["vm_l"]
        b = SystemBuilder(len(v1), states)
        b.flow("central", "metabolite", params["cl_l_per_min"] / v1)
        b.flow("central", "peripheral1", params["q1_l_per_min"] / v1)
        b.flow("peripheral1", "central", params["q1_l_per_min"] / params["vp1_l"])
        b.flow("central", "peripheral2", params["q2_l_per_min"] / v1)
        b.flow("peripheral2", "central", params["q2_l_per_min"] / params["vp2_l"])
        b.flow("metabolite", None, params["clm_l_per_min"] / vm)
        b.flow("metabolite", "metabolite_peripheral", params["qm_l_per_min"] / vm)
        b.flow("metabolite_peripheral", "metabolite", params["qm_l_per_min"] / params["vmp_l"])
        add_effect_site(b, "central", ke0_per_min)
        for dose in doses:
            b.zero_order("central", dose.start_min, dose.duration_min, dose.amount_mg)
        b.output("plasma", "central", 1000.0 / v1)
        b.output("metabolite", "metabolite", 1000.0 / vm)  # as fitted: no molar-mass factor (Otto 2021)
        if ke0_per_min is not None:
            b.output("effect_site", "effect", 1000.0 / v1)
        return b.build()


register(SKetamineNorketamine())
