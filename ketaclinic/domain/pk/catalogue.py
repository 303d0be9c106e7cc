"""The model catalogue behind :func:`models`: model ids in the knowledge file's order, the default and lookup by id.

Importing this module imports every model module (racemic, S-ketamine, esketamine), each of which registers its
models with :func:`.model.register`, so the registry is complete before any lookup. The model interface (metadata,
random effects, parameter sampling) lives in :mod:`.model` and is re-exported here.
"""

from __future__ import annotations

from . import esketamine, racemic, s_ketamine  # noqa: F401  (each module registers its models on import)
from .model import _REGISTRY, ASSUMED_OMEGA, Model, ModelInfo, RandomEffects, sample_parameters

__all__ = [
    "ASSUMED_OMEGA",
    "DEFAULT_MODEL",
    "MODEL_IDS",
    "Model",
    "ModelInfo",
    "RandomEffects",
    "get_model",
    "models",
    "sample_parameters",
]

#: Model ids in the order of the knowledge file.
MODEL_IDS: tuple[str, ...] = (
    "domino1984",
    "clements1981",
    "hijazi2003",
    "kamp2020",
    "herd2007",
    "fanta2015",
    "perez_ruixo2021",
)
DEFAULT_MODEL = "kamp2020"


def get_model(model_id: str) -> Model:
    """The model with this id; ``ValueError`` naming ``model`` if unknown."""
    if not isinstance(model_id, str) or model_id not in _REGISTRY:
        raise ValueError(f"model must be one of {', '.join(MODEL_IDS)} (got {model_id!r})")
    return _REGISTRY[model_id]


def models() -> dict[str, ModelInfo]:
    """All models: id → :class:`ModelInfo` (citation, drug, sampling site, supported routes, variability).

    In the order of knowledge/pharmacokinetics.md §1; ``DEFAULT_MODEL`` (``"kamp2020"``) is the default.
    """
    return {model_id: _REGISTRY[model_id].info for model_id in MODEL_IDS}
