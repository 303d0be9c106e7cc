"""Esketamine doses by label jurisdiction (issue 16 item 13): the US prescribing information (FDA) doses every adult
alike; the ≥ 65 rules (28 mg start, 28 mg allowed, no suicidal-ideation regimen) are the EU/UK SmPC's (§4.2)."""

from __future__ import annotations

import pytest

from ketaclinic.domain import protocols
from ketaclinic.domain.dosing import check_esketamine_dose, esketamine_allowed_doses_mg

ESK = protocols.get("esketamine")


@pytest.mark.parametrize(("first", "allowed"), [(True, (56,)), (False, (56, 84))])
def test_us_label_gives_a_70_year_old_the_adult_doses(first, allowed):
    """Spravato US prescribing information (FDA) §2: the same doses at any adult age — day 1 56 mg, then 56 or 84 mg
    (issue 16 item 13: before, a 70-year-old in a US clinic was held to the EU/UK SmPC's 28 mg start)."""
    assert esketamine_allowed_doses_mg(ESK, age_years=70, first_dose=first) == allowed
    assert esketamine_allowed_doses_mg(ESK, age_years=70, first_dose=first, jurisdiction="us") == allowed


def test_us_label_56_mg_day_one_at_70_passes_and_28_mg_is_refused():
    ok = check_esketamine_dose(ESK, dose_mg=56, age_years=70, first_dose=True)
    assert ok.findings == () and not ok.blocked
    (finding,) = check_esketamine_dose(ESK, dose_mg=28, age_years=70, first_dose=True).findings
    assert finding.severity == "hard_stop"
    assert finding.source == "Spravato US prescribing information (FDA) §2: doses and schedule"


def test_us_label_refuses_28_mg_after_day_one_too():
    (finding,) = check_esketamine_dose(ESK, dose_mg=28, age_years=70).findings
    assert finding.message.startswith("28 mg is not a US-label dose")


def test_eu_smpc_holds_a_70_year_old_to_28_mg_on_day_one_and_cites_the_smpc():
    """Spravato EU/UK SmPC §4.2: at 65 and over day 1 is 28 mg."""
    (finding,) = check_esketamine_dose(ESK, dose_mg=56, age_years=70, first_dose=True, jurisdiction="eu").findings
    assert finding.severity == "hard_stop"
    assert "EU/UK SmPC §4.2" in finding.source and ".md" not in finding.source


def test_us_label_has_a_suicidal_ideation_regimen_at_70():
    """US label: 84 mg twice weekly for 4 weeks, no age limit in the US text; the SmPC did not study ≥ 65."""
    assert esketamine_allowed_doses_mg(
        ESK, age_years=70, indication="depression_with_suicidal_ideation", first_dose=True
    ) == (84,)
    with pytest.raises(ValueError, match="EU/UK SmPC"):
        esketamine_allowed_doses_mg(
            ESK, age_years=70, indication="depression_with_suicidal_ideation", jurisdiction="eu"
        )
    with pytest.raises(ValueError, match=r"^jurisdiction:"):
        esketamine_allowed_doses_mg(ESK, age_years=70, jurisdiction="ca")
