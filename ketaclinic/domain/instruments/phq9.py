"""PHQ-9 (Kroenke, Spitzer & Williams 2001): 9 items, 0–3 each, total 0–27, last 2 weeks.

Source: shared/knowledge/instruments.md § phq9. Free to reproduce, so the items carry the published text.
An optional 10th "difficulty" question (LOINC 69722-7) is recorded but not scored; ``answers`` may have 9 or 10
values. Item 9 ≥ 1 flags ``suicidality`` whatever the total and starts the safety workflow below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import SUICIDALITY, Instrument, Item, Score, band_for, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "SAFETY_WORKFLOW", "SUICIDALITY_ITEM", "SUICIDALITY_MIN_ANSWER", "score"]

#: Severity bands as (lower bound, name): 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately severe,
#: 20–27 severe (Kroenke 2001; instruments.md § phq9).
BANDS: Final[tuple[tuple[float, str], ...]] = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately severe"),
    (20, "severe"),
)
#: Item 9 (thoughts of death or self-harm) at or above this answer flags suicidality (instruments.md § phq9).
SUICIDALITY_ITEM: Final = 9
SUICIDALITY_MIN_ANSWER: Final = 1
#: What a positive item 9 starts, in order (instruments.md § phq9).
SAFETY_WORKFLOW: Final[tuple[str, ...]] = (
    "Administer the C-SSRS screener.",
    "Alert the patient's primary clinician.",
    "Show crisis resources to the patient.",
)

_FREQUENCY: Final = ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day"))
_DIFFICULTY: Final = (
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
)
_ITEMS: Final = (
    ("anhedonia", "Little interest or pleasure", "Little interest or pleasure in doing things", "44250-9"),
    ("depressed_mood", "Feeling down or hopeless", "Feeling down, depressed, or hopeless", "44255-8"),
    ("sleep", "Sleep problems", "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("energy", "Tired or little energy", "Feeling tired or having little energy", "44254-1"),
    ("appetite", "Poor appetite or overeating", "Poor appetite or overeating", "44251-7"),
    (
        "self_worth",
        "Feeling bad about yourself",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        "44258-2",
    ),
    (
        "concentration",
        "Trouble concentrating",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "psychomotor",
        "Moving or speaking slowly, or restless",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or "
        "restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    (
        "self_harm",
        "Thoughts of death or self-harm",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
        "44260-8",
    ),
)

DEFINITION: Final = Instrument(
    id="phq9",
    name="Patient Health Questionnaire-9 (PHQ-9)",
    items=(
        *(
            Item(number, key, label, text, _FREQUENCY, code)
            for number, (key, label, text, code) in enumerate(_ITEMS, start=1)
        ),
        Item(
            10,
            "difficulty",
            "Difficulty caused by these problems",
            "If you checked off any problems, how difficult have these problems made it for you to do your work, "
            "take care of things at home, or get along with other people?",
            _DIFFICULTY,
            "69722-7",
            required=False,
            scored=False,
        ),
    ),
    source="Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression severity measure. "
    "J Gen Intern Med 2001;16(9):606-613.",
    licence_note="Free to reproduce (Pfizer; no permission required).",
    total_range=(0, 27),
    bands=BANDS,
    recall_period="last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    loinc_panel="44249-1",
    loinc_total="44261-6",
    # Answer codes for 0..3. instruments.md marks LA6571-9 (3 = nearly every day) VERIFY.
    answer_codes=((0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9")),
    flag_names=frozenset({SUICIDALITY}),
    unverified_codes=frozenset({"LA6571-9"}),
)


def score(answers: Sequence[object]) -> Score:
    """Score a PHQ-9: sum of items 1–9; the 10th (difficulty) answer is validated and kept but not scored.

    Raises
    ------
    InvalidAnswers
        Fewer than 9 or more than 10 answers, a missing item 1–9, a non-integer or a value outside 0–3.
    """
    values = validate_int_answers(DEFINITION, answers)
    items = required_ints(values, 9)
    total = sum(items)
    flags = {SUICIDALITY} if items[SUICIDALITY_ITEM - 1] >= SUICIDALITY_MIN_ANSWER else set()
    return Score("phq9", total, band_for(total, BANDS), frozenset(flags), answers=values)
