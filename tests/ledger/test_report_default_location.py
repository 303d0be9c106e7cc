"""Issue 15: reports and the Form 106 worksheet opened on the first location alphabetically (Lakeside) for someone who
works at Main; they open on the signed-in user's own location."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.ledger import services
from tests.conftest import make_user, sign_in
from tests.ledger.conftest import receive

pytestmark = pytest.mark.django_db


def opened_on(client: Any, kind: str) -> Any:
    response = client.get(reverse("ledger:report", kwargs={"kind": kind}))
    assert response.status_code == 200
    return response.context["form"].cleaned_data["location"]


@pytest.mark.parametrize("kind", ["administrations", "form106"])
def test_a_report_opens_on_the_users_location_not_the_first_alphabetically(
    client: Any, ledger: Any, main_st: Any, lakeside: Any, dave: Any, kind: str
) -> None:
    """Dave was given Main first and Lakeside as cover; "Lakeside" sorts first."""
    sign_in(client, dave)
    assert opened_on(client, kind) == main_st


def test_the_form_106_worksheet_of_the_users_location_is_shown(
    client: Any, ledger: Any, main_st: Any, dave: Any
) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    services.report_theft_loss(
        by=ledger["nurse"],
        kind="theft",
        discovered_at=timezone.now(),
        description="cabinet forced",
        items=[services.LostItem(vial, Decimal("20"))],
    )
    sign_in(client, dave)
    response = client.get(reverse("ledger:report", kwargs={"kind": "form106"}))
    assert response.context["report"] is not None and response.context["report"].location == main_st


def test_where_the_user_last_worked_wins(client: Any, ledger: Any, main_st: Any, lakeside: Any, clinic: Any) -> None:
    """Assigned Lakeside first, but recording at Main: the reports open on Main."""
    from tests.ledger.conftest import licence

    lena = licence(make_user("lena", "prescriber", clinic, [lakeside]))
    lena.locations.add(main_st)  # later: she now covers Main too
    sign_in(client, lena)
    assert opened_on(client, "receipts") == lakeside
    receive(lena, main_st, ledger["products"]["k10"], ledger["supplier"])
    assert opened_on(client, "receipts") == main_st


def test_a_chosen_location_is_kept(client: Any, ledger: Any, main_st: Any, lakeside: Any, dave: Any) -> None:
    sign_in(client, dave)
    response = client.get(reverse("ledger:report", kwargs={"kind": "receipts"}) + f"?location={lakeside.pk}")
    assert response.context["form"].cleaned_data["location"] == lakeside
