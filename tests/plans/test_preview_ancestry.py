"""Issue 16, item 6: the esketamine preview follows the patient's recorded ancestry (Perez-Ruixo et al. 2021,
esketamine population PK: Asian patients have higher exposure; Japanese patients FRn × 1.34)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.plans import preview as pk_preview

BODY: dict[str, Any] = {"weight_kg": 70.0, "age_years": 40.0, "sex": "male", "height_cm": 175.0}
ESKETAMINE_56 = {"route": "intranasal_esketamine", "dose_mg": 56.0, "duration_min": None}


def cmax(ancestry: str) -> float:
    return pk_preview.preview(**BODY, **ESKETAMINE_56, ancestry=ancestry).typical["cmax_ng_ml"]


def test_japanese_patients_get_the_published_higher_esketamine_peak() -> None:
    """Perez-Ruixo 2021: typical 56 mg Cmax 94.5 ng/mL in Japanese, 73.2 in non-Japanese Asian patients."""
    assert cmax("japanese") == pytest.approx(94.5, rel=0.10)
    assert cmax("asian") == pytest.approx(73.2, rel=0.10)
    assert cmax("japanese") > cmax("asian") > cmax("other")
    assert cmax("") == cmax("other")  # not recorded: the model's reference population


def test_racemic_models_ignore_ancestry() -> None:
    iv = {"route": "iv", "dose_mg": 35.0, "duration_min": 40.0}
    plain = pk_preview.preview(**BODY, **iv).typical
    assert pk_preview.preview(**BODY, **iv, ancestry="japanese").typical == plain


def test_an_unknown_ancestry_is_refused() -> None:
    with pytest.raises(ValueError, match="ancestry"):
        pk_preview.preview(**BODY, **ESKETAMINE_56, ancestry="martian")
