"""The shared vocabulary: each code list and its labelled choices agree, and the modules that re-export it share it."""

from ketaclinic.domain import eligibility, monitoring, protocols, questionnaires, vocabulary


def test_choice_lists_label_every_code_once_in_order() -> None:
    assert tuple(code for code, _ in vocabulary.INDICATION_CHOICES) == vocabulary.INDICATIONS
    assert tuple(code for code, _ in vocabulary.ROUTE_CHOICES) == vocabulary.ROUTES
    assert all(label.strip() for _, label in [*vocabulary.INDICATION_CHOICES, *vocabulary.ROUTE_CHOICES])


def test_named_codes_belong_to_their_vocabulary() -> None:
    assert vocabulary.PAIN_INDICATIONS.issubset(vocabulary.INDICATIONS)
    indications = {vocabulary.TREATMENT_RESISTANT_DEPRESSION, vocabulary.DEPRESSION_WITH_SUICIDAL_IDEATION}
    assert indications < set(vocabulary.INDICATIONS)
    assert {vocabulary.IV_ROUTE, vocabulary.ESKETAMINE_ROUTE} < set(vocabulary.ROUTES)


def test_domain_modules_re_export_the_same_objects() -> None:
    assert eligibility.INDICATIONS is vocabulary.INDICATIONS
    assert eligibility.ROUTES is vocabulary.ROUTES
    assert eligibility.CONDITIONS is vocabulary.CONDITIONS
    assert questionnaires.PAIN_INDICATIONS is eligibility.PAIN_INDICATIONS is vocabulary.PAIN_INDICATIONS
    assert monitoring.PLAUSIBLE_SYSTOLIC_MMHG is vocabulary.PLAUSIBLE_SYSTOLIC_MMHG
    assert monitoring.DISCHARGE_SCORE_MAX is vocabulary.DISCHARGE_SCORE_MAX
    assert monitoring.ESKETAMINE_MIN_OBSERVATION_MIN is protocols.ESKETAMINE_MIN_OBSERVATION_MIN


def test_plausibility_bounds_are_ordered_ranges() -> None:
    bounds = [getattr(vocabulary, name) for name in vocabulary.__all__ if name.startswith("PLAUSIBLE_")]
    assert len(bounds) == 8
    assert all(low < high for low, high in bounds)
