"""The BPI on the pain plan: severity (the BPI total) and interference (a subscale) over time, with the ketamine
sessions and referrals marked on the same chart code as the PEG and pain NRS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.domain import instruments
from ketaclinic.outcomes import services as outcomes
from ketaclinic.pain import services
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _bpi_series(bob: Any, pat: Any) -> Any:
    plan = services.create_plan(
        by=bob, patient=pat, peg_baseline=Decimal("7"), peg_target=Decimal("4"), function_goals="Walk 20 minutes"
    )
    first = services.add_referral(
        by=bob,
        plan=plan,
        kind="physical_therapy",
        provider_name="Lakeside PT",
        provider_contact="555-0100",
        sent_on=dt.date(2026, 1, 10),
    )
    series = (
        (dt.date(2026, 1, 1), [8, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6], plan),  # severity 6, interference 6
        # severity 4, interference 3 (4 of 7 answered)
        (dt.date(2026, 1, 20), [6, 2, 4, 4, 3, 3, 3, 3, None, None, None], first),
        # severity 3; interference not valid: 3 of 7 answered
        (dt.date(2026, 2, 9), [5, 2, 3, 2, 2, 2, 2, None, None, None, None], pat),
    )
    for day, answers, source in series:
        outcomes.record_measurement(
            by=bob,
            patient=pat,
            score=instruments.score("bpi", answers),
            context="pre_session",
            source=source,  # any distinct row: one measurement per source and scale
            taken_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        )
    return plan


def test_pain_plan_shows_bpi_severity_and_interference_charts(bob: Any, pat: Any, client: Any) -> None:
    _bpi_series(bob, pat)
    sign_in(client, bob)
    page = client.get(reverse("pain:plan", args=[pat.pk])).content.decode()
    assert "scale=bpi&amp;referrals=1" in page and "scale=bpi&amp;subscale=interference&amp;referrals=1" in page
    assert "BPI interference (mean of the answered items" in page
    latest = page.split('data-testid="latest-bpi"')[1].split("</dd>")[0]
    assert "severity 3," in latest and "not valid (fewer than 4 of 7 items)" in latest


def test_interference_chart_draws_only_valid_interference_scores(bob: Any, pat: Any, client: Any) -> None:
    _bpi_series(bob, pat)
    sign_in(client, bob)
    url = reverse("trajectory:chart_svg", args=[pat.pk])
    svg = client.get(url + "?scale=bpi&subscale=interference&referrals=1").content.decode()
    assert (
        "BPI interference scores over time for this patient: 2 score(s), from 6 on 2026-01-01 to 3 on 2026-01-20" in svg
    )
    assert "R1 Physical therapy" in svg
    severity = client.get(url + "?scale=bpi&referrals=1").content.decode()
    assert "3 score(s), from 6 on 2026-01-01 to 3 on 2026-02-09" in severity  # severity (5+2+3+2)/4


@pytest.mark.parametrize("query", ["?scale=bpi&subscale=severity", "?scale=peg&subscale=interference", "?subscale=x"])
def test_an_unknown_series_is_not_found(bob: Any, pat: Any, client: Any, query: str) -> None:
    _bpi_series(bob, pat)
    sign_in(client, bob)
    assert client.get(reverse("trajectory:chart_svg", args=[pat.pk]) + query).status_code == 404
