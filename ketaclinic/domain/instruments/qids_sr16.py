"""QIDS-SR16 (Rush et al. 2003): 16 self-report items, 0–3 each, last 7 days; NOT a plain sum.

Source: shared/knowledge/instruments.md § qids_sr16. The 16 items map onto the nine DSM symptom domains; sleep,
appetite/weight and psychomotor take the highest of their items, and the total is the sum of the nine domains (0–27).
Free to reproduce, so items carry the published wording. No LOINC codes are verified: item ``code`` is ``None`` and an
interop layer should use a local code system keyed on ``Item.key``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from ._core import SUICIDALITY, Instrument, Item, Score, band_for, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "DOMAINS", "SUICIDALITY_ITEM", "SUICIDALITY_MIN_ANSWER", "score"]

#: Severity bands as (lower bound, name): 0–5 none, 6–10 mild, 11–15 moderate, 16–20 severe, 21–27 very severe
#: (Rush 2003; instruments.md § qids_sr16).
BANDS: Final[tuple[tuple[float, str], ...]] = (
    (0, "none"),
    (6, "mild"),
    (11, "moderate"),
    (16, "severe"),
    (21, "very severe"),
)
#: The nine domains, in scoring order, with their 1-based items; a domain scores the highest of its items.
DOMAINS: Final[Mapping[str, tuple[int, ...]]] = MappingProxyType(
    {
        "sleep": (1, 2, 3, 4),
        "mood": (5,),
        "appetite_weight": (6, 7, 8, 9),
        "concentration": (10,),
        "self_view": (11,),
        "suicidal_ideation": (12,),
        "interest": (13,),
        "energy": (14,),
        "psychomotor": (15, 16),
    }
)
#: Item 12 (thoughts of death or suicide) at or above this answer flags suicidality (instruments.md § qids_sr16).
SUICIDALITY_ITEM: Final = 12
SUICIDALITY_MIN_ANSWER: Final = 1

_ITEMS: Final = (
    (
        "falling_asleep",
        "Falling asleep",
        (
            "I never take longer than 30 minutes to fall asleep.",
            "I take at least 30 minutes to fall asleep, less than half the time.",
            "I take at least 30 minutes to fall asleep, more than half the time.",
            "I take more than 60 minutes to fall asleep, more than half the time.",
        ),
    ),
    (
        "sleep_during_night",
        "Sleep during the night",
        (
            "I do not wake up at night.",
            "I have a restless, light sleep with a few brief awakenings each night.",
            "I wake up at least once a night, but I go back to sleep easily.",
            "I awaken more than once a night and stay awake for 20 minutes or more, more than half the time.",
        ),
    ),
    (
        "waking_too_early",
        "Waking up too early",
        (
            "Most of the time, I awaken no more than 30 minutes before I need to get up.",
            "More than half the time, I awaken more than 30 minutes before I need to get up.",
            "I almost always awaken at least one hour or so before I need to, but I go back to sleep eventually.",
            "I awaken at least one hour before I need to, and can't go back to sleep.",
        ),
    ),
    (
        "sleeping_too_much",
        "Sleeping too much",
        (
            "I sleep no longer than 7-8 hours/night, without napping during the day.",
            "I sleep no longer than 10 hours in a 24-hour period including naps.",
            "I sleep no longer than 12 hours in a 24-hour period including naps.",
            "I sleep longer than 12 hours in a 24-hour period including naps.",
        ),
    ),
    (
        "feeling_sad",
        "Feeling sad",
        (
            "I do not feel sad.",
            "I feel sad less than half the time.",
            "I feel sad more than half the time.",
            "I feel sad nearly all of the time.",
        ),
    ),
    (
        "decreased_appetite",
        "Decreased appetite",
        (
            "There is no change in my usual appetite.",
            "I eat somewhat less often or lesser amounts of food than usual.",
            "I eat much less than usual and only with personal effort.",
            "I rarely eat within a 24-hour period, and only with extreme personal effort or when others persuade me "
            "to eat.",
        ),
    ),
    (
        "increased_appetite",
        "Increased appetite",
        (
            "There is no change from my usual appetite.",
            "I feel a need to eat more frequently than usual.",
            "I regularly eat more often and/or greater amounts of food than usual.",
            "I feel driven to overeat both at mealtime and between meals.",
        ),
    ),
    (
        "decreased_weight",
        "Decreased weight (within the last two weeks)",
        (
            "I have not had a change in my weight.",
            "I feel as if I have had a slight weight loss.",
            "I have lost 2 pounds or more.",
            "I have lost 5 pounds or more.",
        ),
    ),
    (
        "increased_weight",
        "Increased weight (within the last two weeks)",
        (
            "I have not had a change in my weight.",
            "I feel as if I have had a slight weight gain.",
            "I have gained 2 pounds or more.",
            "I have gained 5 pounds or more.",
        ),
    ),
    (
        "concentration",
        "Concentration / decision making",
        (
            "There is no change in my usual capacity to concentrate or make decisions.",
            "I occasionally feel indecisive or find that my attention wanders.",
            "Most of the time, I struggle to focus my attention or to make decisions.",
            "I cannot concentrate well enough to read or cannot make even minor decisions.",
        ),
    ),
    (
        "view_of_myself",
        "View of myself",
        (
            "I see myself as equally worthwhile and deserving as other people.",
            "I am more self-blaming than usual.",
            "I largely believe that I cause problems for others.",
            "I think almost constantly about major and minor defects in myself.",
        ),
    ),
    (
        "thoughts_of_death",
        "Thoughts of death or suicide",
        (
            "I do not think of suicide or death.",
            "I feel that life is empty or wonder if it's worth living.",
            "I think of suicide or death several times a week for several minutes.",
            "I think of suicide or death several times a day in some detail, or I have made specific plans for "
            "suicide or have actually tried to take my life.",
        ),
    ),
    (
        "general_interest",
        "General interest",
        (
            "There is no change from usual in how interested I am in other people or activities.",
            "I notice that I am less interested in people or activities.",
            "I find I have interest in only one or two of my formerly pursued activities.",
            "I have virtually no interest in formerly pursued activities.",
        ),
    ),
    (
        "energy_level",
        "Energy level",
        (
            "There is no change in my usual level of energy.",
            "I get tired more easily than usual.",
            "I have to make a big effort to start or finish my usual daily activities (for example, shopping, "
            "homework, cooking, or going to work).",
            "I really cannot carry out most of my usual daily activities because I just don't have the energy.",
        ),
    ),
    (
        "feeling_slowed_down",
        "Feeling slowed down",
        (
            "I think, speak, and move at my usual rate of speed.",
            "I find that my thinking is slowed down or my voice sounds dull or flat.",
            "It takes me several seconds to respond to most questions and I'm sure my thinking is slowed.",
            "I am often unable to respond to questions without extreme effort.",
        ),
    ),
    (
        "feeling_restless",
        "Feeling restless",
        (
            "I do not feel restless.",
            "I'm often fidgety, wringing my hands, or need to shift how I am sitting.",
            "I have impulses to move about and am quite restless.",
            "At times, I am unable to stay seated and need to pace around.",
        ),
    ),
)

DEFINITION: Final = Instrument(
    id="qids_sr16",
    name="Quick Inventory of Depressive Symptomatology, Self-Report (QIDS-SR16)",
    items=tuple(
        Item(number, key, label, label, tuple(enumerate(anchors)))
        for number, (key, label, anchors) in enumerate(_ITEMS, start=1)
    ),
    source="Rush AJ, Trivedi MH, Ibrahim HM, et al. The 16-Item Quick Inventory of Depressive Symptomatology (QIDS), "
    "clinician rating (QIDS-C), and self-report (QIDS-SR): a psychometric evaluation in patients with chronic major "
    "depression. Biol Psychiatry 2003;54(5):573-583.",
    licence_note="Free to reproduce.",
    total_range=(0, 27),
    bands=BANDS,
    recall_period="last 7 days",
    instructions="Choose the one response to each item that best describes you for the past seven days.",
    subscale_names=tuple(DOMAINS),
    flag_names=frozenset({SUICIDALITY}),
)


def score(answers: Sequence[object]) -> Score:
    """Score a QIDS-SR16: total = sum of the nine domain scores; subscales are the domain scores by name.

    Raises
    ------
    InvalidAnswers
        Not exactly 16 answers, a missing item, a non-integer or a value outside 0–3.
    """
    values = validate_int_answers(DEFINITION, answers)
    items = required_ints(values, 16)
    domains = {name: max(items[number - 1] for number in numbers) for name, numbers in DOMAINS.items()}
    total = sum(domains.values())
    flags = {SUICIDALITY} if items[SUICIDALITY_ITEM - 1] >= SUICIDALITY_MIN_ANSWER else set()
    return Score("qids_sr16", total, band_for(total, BANDS), frozenset(flags), domains, answers=values)
