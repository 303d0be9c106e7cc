"""Properties of eligibility.assess over every valid vocabulary combination (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.domain.eligibility import (
    CONDITIONS,
    DRUG_CLASSES,
    INDICATIONS,
    ROUTES,
    RULES,
    SEXES,
    Candidate,
    assess,
)

KNOWN_DRUGS = sorted({name for members in DRUG_CLASSES.values() for name in members})
RULE_INDEX = {rule.code: i for i, rule in enumerate(RULES)}
RULE_LEVEL = {rule.code: rule.level for rule in RULES}


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    systolic = draw(st.integers(min_value=40, max_value=300))
    diastolic = draw(st.integers(min_value=20, max_value=min(200, systolic - 1)))
    drug_names = st.one_of(st.sampled_from(KNOWN_DRUGS), st.text(alphabet="abcxyz ", min_size=1).filter(str.strip))
    return Candidate(
        age_years=draw(st.integers(min_value=0, max_value=130)),
        sex=draw(st.sampled_from(SEXES)),
        indication=draw(st.sampled_from(INDICATIONS)),
        route=draw(st.sampled_from(ROUTES)),
        failed_antidepressant_trials=draw(st.integers(min_value=0, max_value=20)),
        systolic_mmhg=systolic,
        diastolic_mmhg=diastolic,
        conditions=draw(st.frozensets(st.sampled_from(CONDITIONS))),
        medications=draw(st.frozensets(drug_names, max_size=6)),
        pregnant=draw(st.booleans()),
        breastfeeding=draw(st.booleans()),
    )


@given(candidates())
def test_assess_never_crashes_and_status_follows_the_levels(candidate):
    a = assess(candidate)
    levels = {f.level for f in a.findings}
    if "absolute" in levels:
        assert a.status == "ineligible"
    elif "relative" in levels:
        assert a.status == "needs_review"
    else:
        assert a.status == "eligible"


@given(candidates())
def test_findings_are_unique_in_table_order_with_the_tables_level_and_source(candidate):
    a = assess(candidate)
    positions = [RULE_INDEX[code] for code in a.codes]
    assert positions == sorted(set(positions))
    for finding in a.findings:
        assert finding.level == RULE_LEVEL[finding.code]
        assert finding.message.strip()
        assert finding.source.strip()


@given(candidates())
def test_assess_is_deterministic(candidate):
    assert assess(candidate) == assess(candidate)


@given(candidates())
def test_every_recorded_condition_is_reported(candidate):
    assert candidate.conditions <= set(assess(candidate).codes)


@given(candidates(), st.sampled_from(CONDITIONS))
def test_adding_a_condition_never_improves_the_status(candidate, condition):
    order = ["eligible", "needs_review", "ineligible"]
    before = assess(candidate).status
    worse = Candidate(**{**candidate.__dict__, "conditions": candidate.conditions | {condition}})
    assert order.index(assess(worse).status) >= order.index(before)
