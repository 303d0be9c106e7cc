"""Which published consents the patient portal asks a patient to sign (clinic practice; Spravato REMS for the
esketamine acknowledgement)."""

from __future__ import annotations

from ketaclinic.domain import consent_requests as rule

EVERY_KIND = ["treatment", "esketamine_rems", "home_programme", "telehealth", "financial_policy"]


def test_everyone_is_asked_the_treatment_telehealth_and_financial_documents_in_the_order_published() -> None:
    assert rule.kinds_to_ask(EVERY_KIND, esketamine=False) == ["treatment", "telehealth", "financial_policy"]
    assert rule.kinds_to_ask(["financial_policy", "treatment"], esketamine=False) == ["financial_policy", "treatment"]


def test_the_rems_acknowledgement_only_for_an_esketamine_patient_and_the_home_agreement_never() -> None:
    asked = rule.kinds_to_ask(EVERY_KIND, esketamine=True)
    assert asked == ["treatment", "esketamine_rems", "telehealth", "financial_policy"]
    assert rule.STAFF_ONLY == ("home_programme",) and "home_programme" not in asked


def test_nothing_published_nothing_asked() -> None:
    assert rule.kinds_to_ask([], esketamine=True) == []


def test_a_version_typed_by_hand_is_read_in_one_spelling() -> None:
    assert [rule.same_version(v) for v in ("2", " v2", "Version 2", "ver. 2", "V.2", "2026-01")] == [
        "2",
        "2",
        "2",
        "2",
        "2",
        "2026-01",
    ]


def test_a_consent_held_of_the_same_kind_and_version_is_not_asked_again() -> None:
    asked = [("treatment", 2), ("telehealth", 1), ("financial_policy", 1)]
    held = [("treatment", "Version 2"), ("telehealth", "2"), ("privacy", "1")]
    assert rule.not_yet_held(asked, held) == [("telehealth", 1), ("financial_policy", 1)]
    assert rule.not_yet_held(asked, []) == asked
