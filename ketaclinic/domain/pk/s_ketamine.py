"""``fanta2015``: S-ketamine with S-norketamine, intravenous only (knowledge/pharmacokinetics.md §1).

S-ketamine disposition of Fanta et al. 2015, fixed in the parent-metabolite model of Otto et al. 2021 (as coded in
nlmixr2lib ``Otto_2021_s_ketamine``): three compartments for S-ketamine, two for S-norketamine; all S-ketamine
clearance forms S-norketamine (fraction metabolised assumed 1). Following the knowledge file's convention every
volume scales × (WT/70) and every clearance × (WT/70)^0.75, parent and metabolite alike (the as-run NONMEM code
scales only the central volumes and elimination clearances; the two agree at 70 kg).

The metabolite is reported in mass units of norketamine: the mass flux is carried in S-ketamine mass and converted
with the molar-mass ratio 223.7/237.7 g/mol (VERIFY, knowledge file; the as-run code applies no conversion, which
would read 6 % higher).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .inputs import Dose, Subject
from .model import Model, ModelInfo, Parameters, RandomEffects, add_effect_site, register
from .system import LinearSystem, SystemBuilder

__all__ = ["MW_KETAMINE_G_PER_MOL", "MW_NORKETAMINE_G_PER_MOL", "SKetamineNorketamine"]

#: Molar masses (g/mol) used to express S-norketamine in its own mass units — VERIFY (knowledge file §1).
FloatArray = NDArray[np.float64]

MW_KETAMINE_G_PER_MOL = 237.7
MW_NORKETAMINE_G_PER_MOL = 223.7


class SKetamineNorketamine(Model):
    """Fanta 2015 / Otto 2021 parent-metabolite model."""

    info = ModelInfo(
        id="fanta2015",
        title="S-ketamine with S-norketamine, IV, 3 + 2 compartments",
        citation="Fanta S et al. Eur J Clin Pharmacol 2015;71:441, disposition fixed in Otto ME et al. "
        "Eur J Clin Pharmacol 2021;77:1181 (as coded in nlmixr2lib Otto_2021_s_ketamine)",
        drug="S-ketamine",
        population="healthy adult volunteers",
        sampling_site=None,
        routes=("iv",),
        metabolite="S-norketamine",
        metabolite_units="ng/mL of norketamine (S-ketamine mass flux × 223.7/237.7 g/mol — VERIFY)",
        parameter_source="as coded in nlmixr2lib, per 70 kg: S-ketamine V1 133, Vp1 187, Vp2 98.8 L; CL 95.2, "
        "Q1 23.2, Q2 157 L/h; S-norketamine V 98.6, Vp 160 L; CL 57.7, Q 42.8 L/h",
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
        ratio = subject.weight_kg / 70.0
        volumes = {"v1_l": 133.0, "vp1_l": 187.0, "vp2_l": 98.8, "vm_l": 98.6, "vmp_l": 160.0}
        clearances_l_per_h = {
            "cl_l_per_min": 95.2,
            "q1_l_per_min": 23.2,
            "q2_l_per_min": 157.0,
            "clm_l_per_min": 57.7,
            "qm_l_per_min": 42.8,
        }
        params = {name: value * ratio for name, value in volumes.items()}
        params.update({name: value / 60.0 * ratio**0.75 for name, value in clearances_l_per_h.items()})
        return params

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
        b.output("metabolite", "metabolite", 1000.0 * MW_NORKETAMINE_G_PER_MOL / MW_KETAMINE_G_PER_MOL / vm)
        if ke0_per_min is not None:
            b.output("effect_site", "effect", 1000.0 / v1)
        return b.build()


register(SKetamineNorketamine())
