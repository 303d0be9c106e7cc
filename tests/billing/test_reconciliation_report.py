"""The Spravato reconciliation report: the dose in the session record, the REMS form, the ledger's devices and the
claim's lines must agree; each disagreement is listed in plain words, on screen and in the CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.billing.services import reconciliation
from ketaclinic.infusions.models import TreatmentSession
from tests.billing.authorisation_helpers import clinic_today
from tests.billing.claims_world import cover, session, set_up_billing, with_address
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def payers(clinic: Any, main_st: Any, dave: Any, bob: Any, pat: Any) -> dict[str, Any]:
    """The claims set-up at Main (billing identity, payers) with Pat (F33.2, an address)."""
    from ketaclinic.patients import services as chart

    world = set_up_billing(clinic, main_st, dave, bob)
    with_address(pat)
    chart.add_condition(by=bob, patient=pat, description="Major depressive disorder", icd10_code="F33.2")
    return world


def planted(pat: Any, bob: Any, carol: Any, payer: Any) -> Any:
    """84 mg documented in the session record; the claim was built from the 56 mg order: G2082 billed."""
    from ketaclinic.billing.services import claims

    session(pat, bob, "intranasal_esketamine", "56", days_ago=10)  # an earlier session: an established patient
    given = session(pat, bob, "intranasal_esketamine", "56", days_ago=2)
    TreatmentSession.objects.filter(pk=given.pk).update(dose_delivered_mg=Decimal("84"))
    cover(carol, pat, payer)
    claims.create_claim(by=carol, sessions=[TreatmentSession.objects.get(pk=given.pk)], payer=payer)
    return given


def test_84_mg_documented_and_g2082_billed_is_found(
    carol: Any, bob: Any, pat: Any, main_st: Any, payers: dict[str, Any]
) -> None:
    given = planted(pat, bob, carol, payers["medicare"])
    today = clinic_today(pat)
    rows = reconciliation.report(main_st, today - dt.timedelta(days=5), today)
    assert [r.session.pk for r in rows] == [given.pk]
    row = rows[0]
    assert row.facts.documented_dose_mg == 84 and row.facts.claim_lines == (("G2082", Decimal("1.00")),)
    messages = [m.message for m in row.mismatches]
    assert "G2082 is for up to 56 mg but 84 mg was given: bill G2083." in messages
    assert any("ledger shows 0 device(s)" in m for m in messages)
    # A void claim is not a claim.
    from ketaclinic.billing.models import Claim

    Claim.objects.update(status="void")
    assert reconciliation.report(main_st, today - dt.timedelta(days=5), today)[0].facts.claim_lines == ()


def test_devices_in_the_ledger_without_a_claim_are_found(
    alice: Any, bob: Any, pat: Any, main_st: Any, clinic: Any
) -> None:
    from tests.infusions.conftest import (
        check_in,
        complete_check_in,
        make_esk_order,
        make_ready_patient,
        make_stock,
        start_esk,
    )

    stock = make_stock(main_st, clinic, alice)
    order = make_esk_order(make_ready_patient(pat, bob), bob)
    started = start_esk(complete_check_in(check_in(order, alice), alice), alice, stock)
    today = clinic_today(pat)
    row = reconciliation.report(main_st, today, today)[0]
    assert row.session.pk == started.pk and row.facts.ledger_devices == 2
    assert [m.kind for m in row.mismatches] == ["unbilled_devices"]
    assert row.mismatches[0].message == "The ledger shows 2 device(s) used but the session has no claim line."
    # The REMS form, once submitted, must carry the same dose.
    TreatmentSession.objects.filter(pk=started.pk).update(rems_submitted_at=timezone.now(), rems_form={"dose_mg": "84"})
    row = reconciliation.report(main_st, today, today)[0]
    assert "The chart says 56 mg but the REMS form says 84 mg." in [m.message for m in row.mismatches]
    # Another location's report does not show it.
    from tests.conftest import make_location

    assert reconciliation.report(make_location(clinic, "Elsewhere"), today, today) == []


def test_the_page_lists_the_mismatch_with_a_link_and_the_csv_carries_it(
    client: Any, carol: Any, bob: Any, pat: Any, main_st: Any, payers: dict[str, Any]
) -> None:
    given = planted(pat, bob, carol, payers["medicare"])
    today = clinic_today(pat)
    query = {"location": main_st.pk, "from": (today - dt.timedelta(days=5)).isoformat(), "to": today.isoformat()}
    sign_in(client, bob)
    page = client.get(reverse("billing:reconciliation"), query).content.decode()
    assert "G2082 is for up to 56 mg but 84 mg was given: bill G2083." in page
    assert reverse("infusions:session", args=[given.pk]) in page
    assert "1 with something that does not agree" in page
    sign_in(client, carol)  # front desk: the report, without links into clinical sessions
    page = client.get(reverse("billing:reconciliation"), query).content.decode()
    assert "bill G2083" in page and reverse("infusions:session", args=[given.pk]) not in page
    response = client.get(reverse("billing:reconciliation_csv"), query)
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "G-code for the dose" in body and "bill G2083" in body and f"{given.pk}," in body


def test_bad_dates_are_named_and_the_last_30_days_shown(client: Any, carol: Any, main_st: Any) -> None:
    sign_in(client, carol)
    url = reverse("billing:reconciliation")
    for query, said in (
        ({"from": "2026-13-01"}, "Dates are YYYY-MM-DD"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "The last day is before the first"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "At most 366 days"),
    ):
        response = client.get(url, {"location": main_st.pk, **query})
        assert response.status_code == 200 and said in response.content.decode()
        assert (response.context["last"] - response.context["first"]).days == 30


def test_a_csv_cell_that_starts_like_a_formula_is_neutralised(
    client: Any, carol: Any, bob: Any, pat: Any, main_st: Any, payers: dict[str, Any]
) -> None:
    pat.given_name = "=HYPERLINK(1)"
    pat.save()
    planted(pat, bob, carol, payers["medicare"])
    sign_in(client, carol)
    today = clinic_today(pat)
    query = {"location": main_st.pk, "from": (today - dt.timedelta(days=5)).isoformat(), "to": today.isoformat()}
    body = b"".join(client.get(reverse("billing:reconciliation_csv"), query).streaming_content).decode()
    assert "'=HYPERLINK(1) Rivera" in body and ",=HYPERLINK" not in body
