"""Bladder symptom check for ketamine-associated uropathy: five yes/no lower urinary tract symptoms (unscored).

Why these five: the home-programme screening rule is "new frequency/urgency, dysuria, haematuria or suprapubic pain →
clinician review and consider stopping" (supervised at-home ketamine, CLINIC POLICY suggestion), the same symptoms the
eligibility rule ``genitourinary_symptoms`` names (Ketalar US label §2.1/§6: genitourinary pain with chronic off-label
use, "consider cessation"). Frequency 77.1 %, urgency 69.9 % and suprapubic pain 60.4 % were the commonest symptoms in
a meta-analysis of ketamine uropathy (Chan EOT et al., Hong Kong Med J 2022;28:466-74); the FDA lists "lower urinary
tract and bladder symptoms" among the known risks of compounded ketamine (10 Oct 2023).

The validated questionnaires the 2025 IC/BPS consensus names (the NIH GUPI and the PUF) are **not** used: their item
wording and scoring are not in the clinic's reference files. ``total`` is the number of symptoms answered "yes"
(0–5) with no band; what matters is a symptom that is new since the baseline check
(``ketaclinic.domain.home_monitoring.new_bladder_symptoms``). The evidence comes mostly from recreational users, whose
doses and frequency differ from therapeutic use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import Instrument, Item, Score, required_ints, validate_int_answers

__all__ = ["DEFINITION", "SYMPTOMS", "score"]

#: (key, short label, question) in item order.
SYMPTOMS: Final = (
    ("frequency", "Passing urine more often", "Are you passing urine more often than is usual for you?"),
    ("urgency", "Sudden urge to pass urine", "Do you get a sudden, strong urge to pass urine that is hard to put off?"),
    ("dysuria", "Pain or burning on passing urine", "Does it hurt or burn when you pass urine?"),
    ("haematuria", "Blood in the urine", "Have you seen blood in your urine?"),
    ("suprapubic_pain", "Pain over the bladder", "Do you have pain low in your belly, over the bladder?"),
)
_NO_YES: Final = ((0, "No"), (1, "Yes"))

DEFINITION: Final = Instrument(
    id="bladder_symptoms",
    name="Bladder symptom check",
    items=tuple(Item(number, key, label, text, _NO_YES) for number, (key, label, text) in enumerate(SYMPTOMS, start=1)),
    source="Symptoms to review: FDA, 10 Oct 2023 (lower urinary tract and bladder symptoms); Chan EOT et al., Hong "
    "Kong Med J 2022;28:466-74 (frequency, urgency, suprapubic pain); Ketalar US label §2.1/§6 (consider "
    "cessation). A symptom checklist, not a validated scale.",
    licence_note="Written for this software (plain questions, no third-party item text).",
    total_range=(0, len(SYMPTOMS)),
    recall_period="now",
    instructions="Ketamine can irritate the bladder. Tell us about your bladder as it is now.",
)


def score(answers: Sequence[object]) -> Score:
    """Count the symptoms answered "yes" (1); band ``None``.

    Raises
    ------
    InvalidAnswers
        Not exactly 5 answers, a missing item, a non-integer or a value other than 0 or 1.
    """
    values = validate_int_answers(DEFINITION, answers)
    return Score("bladder_symptoms", sum(required_ints(values, len(SYMPTOMS))), None, frozenset(), answers=values)
