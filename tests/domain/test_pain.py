"""MME per day against the CDC 2022 table (Dowell et al., MMWR Recomm Rep 2022;71(RR-3)) and its worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaclinic.domain import pain

D = Decimal


def test_the_table_is_the_2022_table_not_the_stale_one() -> None:
    factors = {key: o.factor for key, o in pain.FACTORS.items()}
    assert factors == {
        "codeine": D("0.15"),
        "fentanyl transdermal": D("2.4"),
        "hydrocodone": D("1"),
        "hydromorphone": D("5"),
        "methadone": D("4.7"),
        "morphine": D("1"),
        "oxycodone": D("1.5"),
        "oxymorphone": D("3"),
        "tapentadol": D("0.4"),
        "tramadol": D("0.2"),
    }
    assert pain.unit_for("Fentanyl patch") == pain.MCG_PER_HOUR
    assert pain.unit_for("methadone") == pain.MG_PER_DAY


def test_published_worked_examples() -> None:
    # Table note: hydrocodone 5 mg four times a day = 20 mg/day = 20 MME/day.
    assert pain.mme_per_day([("hydrocodone", D("20"))]).total == 20
    # Extended-release oxycodone 10 mg twice a day = 20 mg/day = 30 MME/day.
    assert pain.mme_per_day([("oxycodone", D("20"))]).total == 30
    # Derived in pain.md: a 25 mcg/h patch x 2.4 = 60 MME/day; methadone uses the single 2022 factor 4.7.
    assert pain.mme_per_day([("fentanyl transdermal", D("25"), "mcg/hr")]).total == 60
    assert pain.mme_per_day([("methadone", 20)]).total == 94


def test_contract_example_and_summing_of_the_same_drug() -> None:
    result = pain.mme_per_day([("oxycodone", D("30")), ("Oxycodone/acetaminophen", D("10"), "mg/day")])
    assert result.total == 60
    assert result.per_drug == {"oxycodone": D("60")}
    assert result.flags == ()
    mixed = pain.mme_per_day([("Tramadol ER", D("200")), ("codeine", D("60")), ("tapentadol", D("100"))])
    assert mixed.per_drug == {"tramadol": D("40"), "codeine": D("9"), "tapentadol": D("40")}
    assert mixed.total == D("89")
    assert pain.mme_per_day([]).total == 0


def test_methadone_and_fentanyl_carry_their_cautions() -> None:
    result = pain.mme_per_day([("Methadone", D("10")), ("fentanyl", D("12")), ("morphine", D("15"))])
    assert [c.code for c in result.flags] == ["methadone", "fentanyl_transdermal"]
    assert all("2022" in c.source for c in result.flags)
    assert result.total == D("47") + D("28.8") + D("15")
    assert {c.code for c in pain.GENERAL_CAUTIONS} == {"estimate", "not_for_conversion"}


def test_an_opioid_not_in_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the CDC 2022 MME table"):
        pain.mme_per_day([("buprenorphine", D("8"))])
    with pytest.raises(ValueError, match="not in the CDC 2022 MME table"):
        pain.unit_for("sertraline")
    assert pain.identify_opioid("sertraline") is None
    assert pain.identify_opioid("Hydromorphone-ER") == "hydromorphone"
    assert pain.identify_opioid("dihydrocodeine") is None
    assert pain.identify_opioid("Fentanyl TD patch") == "fentanyl transdermal"
    # Only the patch is in the table: buccal or nasal fentanyl is not converted as if it were one.
    assert pain.identify_opioid("fentanyl buccal") is None
    with pytest.raises(ValueError, match="not in the CDC 2022 MME table"):
        pain.mme_per_day([("fentanyl nasal spray", D("100"))])


def test_a_fentanyl_patch_in_mg_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mcg/h .*not in mg"):
        pain.mme_per_day([("fentanyl transdermal", D("0.6"), "mg/day")])
    with pytest.raises(ValueError, match=r"mcg/h .*not in mg"):
        pain.mme_per_day([("Fentanyl patch", D("0.025"), "mg")])
    with pytest.raises(ValueError, match="Oxycodone is entered in mg/day"):
        pain.mme_per_day([("oxycodone", D("30"), "mcg/h")])


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (("oxycodone",), "Each item"),
        (("oxycodone", D("1"), "mg/day", "extra"), "Each item"),
        ((5, D("1")), "named as text"),
        (("oxycodone", 1.5), "must be a Decimal"),
        (("oxycodone", True), "must be a Decimal"),
        (("oxycodone", D("0")), "positive"),
        (("oxycodone", D("-5")), "positive"),
        (("oxycodone", D("NaN")), "positive"),
        (("oxycodone", D("Infinity")), "positive"),
        (("oxycodone", D("5"), 5), "unit must be text"),
        (("oxycodone", D("5"), "tablets"), "Unknown dose unit"),
    ],
)
def test_bad_items_are_refused_with_a_message(item: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pain.mme_per_day([item])


def test_dose_prompts_at_the_edges() -> None:
    assert pain.dose_prompts(D("49.9")) == ()
    reassess = pain.dose_prompts(D("50"))
    assert [p.code for p in reassess] == ["mme_reassess"]
    assert "50.0 MME/day" in reassess[0].text and "Recommendation 4" in reassess[0].text
    assert [p.code for p in pain.dose_prompts(D("89.9"))] == ["mme_reassess"]
    high = pain.dose_prompts(D("90"))
    assert [p.code for p in high] == ["mme_high"] and high[0].level == "warning"
    assert "Recommendation 5" in high[0].text
    # A clinic's own thresholds.
    assert pain.dose_prompts(D("40"), reassess_at=D("40"), high_at=D("80"))[0].code == "mme_reassess"
    with pytest.raises(ValueError, match="below the high-dose"):
        pain.dose_prompts(D("40"), reassess_at=D("90"), high_at=D("90"))


def test_naloxone_prompt() -> None:
    assert pain.naloxone_prompt(D("0"), naloxone_documented=False, on_opioid_therapy=False) is None
    assert pain.naloxone_prompt(D("0"), naloxone_documented=False) is not None
    assert pain.naloxone_prompt(D("60"), naloxone_documented=True) is None
    low = pain.naloxone_prompt(D("20"), naloxone_documented=False)
    assert low is not None and low.level == "info" and "Recommendation 8" in low.text
    high = pain.naloxone_prompt(D("50"), naloxone_documented=False)
    assert high is not None and high.level == "warning"


def test_naloxone_warning_follows_the_clinics_reassessment_threshold() -> None:
    below = pain.naloxone_prompt(D("49.9"), naloxone_documented=False, warn_at=D("50"))
    assert below is not None and below.level == "info" and "threshold" not in below.text
    at = pain.naloxone_prompt(D("40"), naloxone_documented=False, warn_at=D("40"))
    assert at is not None and at.level == "warning"
    assert "40.0 MME/day is at or above the clinic's reassessment threshold of 40" in at.text
    assert pain.naloxone_prompt(D("60"), naloxone_documented=False, warn_at=D("70")).level == "info"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="positive"):
        pain.naloxone_prompt(D("10"), naloxone_documented=False, warn_at=D("0"))


def test_display_rounds_half_up_to_one_decimal() -> None:
    assert pain.display(D("9.45")) == D("9.5")
    assert pain.display(D("28.8")) == D("28.8")
    assert str(pain.display(D("60"))) == "60.0"


def test_meaningful_targets_from_immpact() -> None:
    assert pain.meaningful_targets(D("7")) == (D("4.90"), D("3.50"))
    assert pain.meaningful_targets(D("6.67")) == (D("4.67"), D("3.34"))
    with pytest.raises(ValueError, match="0–10"):
        pain.meaningful_targets(D("11"))


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("oxycodone er", "Oxycodone ER"),
        ("morphine sulfate er/la", "Morphine sulfate ER/LA"),
        ("fentanyl transdermal", "Fentanyl transdermal"),
        ("  tramadol ", "Tramadol"),
        ("", ""),
    ],
)
def test_display_name_capitalises_and_writes_formulations_in_capitals(stored: str, shown: str) -> None:
    assert pain.display_name(stored) == shown
