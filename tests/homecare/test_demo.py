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
