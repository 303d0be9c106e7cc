"""The demo's home-programme patient: thresholds set, one refused and one cleared check-in, a planted discrepancy."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.demo import homecare as demo
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import HomeCheckIn, HomeDiscrepancyReview, TakeHomePrescription

pytestmark = pytest.mark.django_db


def test_demo_programme(main_st: Any, bob: Any, alice: Any) -> None:
    demo.load(locations=[main_st], users={"prescriber": bob, "nurse": alice})
    assert list(HomeCheckIn.objects.order_by("at").values_list("cleared", flat=True)) == [False, True]
    balance = queries.balance(TakeHomePrescription.objects.get())
    assert balance.expected == 5 and balance.counted == 3 and balance.discrepancy is True
    review = HomeDiscrepancyReview.objects.get()
    assert review.status == "open" and review.assigned_to == bob and review.counted == 3


def test_demo_screens_show_a_new_bladder_symptom(main_st: Any, bob: Any, alice: Any) -> None:
    from ketaclinic.demo import home_monitoring as screens_demo
    from ketaclinic.homecare import monitoring
    from ketaclinic.homecare.models import HomeProgramme

    demo.load(locations=[main_st], users={"prescriber": bob, "nurse": alice})
    screens_demo.load()
    programme = HomeProgramme.objects.select_related("patient__location").get()
    assert monitoring.screens(programme).new_bladder_symptoms == ("Sudden urge to pass urine",)
    assert [s.code for s in monitoring.suggestions(programme)] == ["bladder", "discrepancy"]
