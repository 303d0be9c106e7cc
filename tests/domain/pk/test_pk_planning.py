"""Plan route → simulator doses, and doses of equal systemic exposure (pharmacokinetics.md §2)."""

import pytest

from ketaclinic.domain import pk
from ketaclinic.domain.pk import planning


def test_iv_plan_is_one_infusion() -> None:
    assert planning.session_doses("iv", 40.0, duration_min=40) == [pk.Dose(route="iv", amount_mg=40.0, duration_min=40)]


def test_esketamine_is_devices_five_minutes_apart() -> None:
    doses = planning.session_doses("intranasal_esketamine", 84.0)
    assert [(d.amount_mg, d.start_min) for d in doses] == [(28.0, 0.0), (28.0, 5.0), (28.0, 10.0)]
    assert planning.model_for("intranasal_esketamine") == ("perez_ruixo2021", "intranasal")


@pytest.mark.parametrize(
    ("route", "dose", "field"),
    [("oral", 0.0, "dose_mg"), ("intranasal_esketamine", 50.0, "dose_mg"), ("banana", 10.0, "plan_route")],
)
def test_bad_input_names_the_argument(route: str, dose: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        planning.session_doses(route, dose)


def test_only_iv_is_infused() -> None:
    with pytest.raises(ValueError, match="duration_min"):
        planning.session_doses("im", 35.0, duration_min=10)
    assert planning.session_doses("im", 35.0) == [pk.Dose(route="im", amount_mg=35.0)]


def test_equivalent_doses_deliver_the_same_systemic_amount() -> None:
    doses = {d.route: d for d in planning.equivalent_doses("iv", 35.0)}
    assert doses["iv"].dose_mg == 35.0
    assert doses["im"].dose_mg == pytest.approx(35.0 / 0.93, abs=0.05)
    assert doses["oral"].dose_mg == pytest.approx(175.0)
    assert doses["sublingual"].dose_mg == pytest.approx(116.7, abs=0.05)
    from_oral = {d.route: d.dose_mg for d in planning.equivalent_doses("oral", 200.0)}
    assert from_oral["iv"] == pytest.approx(40.0)


def test_equal_systemic_doses_give_equal_auc() -> None:
    subject = pk.Subject(weight_kg=70)
    aucs = []
    for equivalent in planning.equivalent_doses("iv", 35.0):
        result = pk.simulate(planning.session_doses(equivalent.route, equivalent.dose_mg), subject, t_end_min=6000)
        aucs.append(result.auc_ng_h_per_ml)
    assert max(aucs) == pytest.approx(min(aucs), rel=0.01)


def test_esketamine_has_no_racemic_equivalent_and_unknown_routes_fail() -> None:
    assert planning.equivalent_doses("intranasal_esketamine", 56.0) == ()
    with pytest.raises(ValueError, match="route"):
        planning.bioavailability("rectal")
