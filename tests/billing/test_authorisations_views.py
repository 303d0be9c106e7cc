"""The prior authorisation pages: a patient's list with add and withdraw, and a location's running-out list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.billing.models import PriorAuthorisation, PriorAuthPolicy
from tests.billing.authorisation_helpers import authorise, clinic_today, cover, make_payer
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(clinic: Any) -> Any:
    return make_payer(clinic, name="Cigna")


def form(payer: Any, today: dt.date, **changes: Any) -> dict[str, Any]:
    data = {
        "payer": payer.pk,
        "reference": "PA900",
        "service": "esketamine",
        "approved_sessions": "8",
        "approved_devices": "23",
        "valid_from": today.isoformat(),
        "valid_to": (today + dt.timedelta(days=90)).isoformat(),
        "note": "",
    }
    data.update(changes)
    return data


def test_front_desk_adds_one_and_sees_it_with_what_payers_typically_approve(
    client: Any, carol: Any, pat: Any, payer: Any
) -> None:
    sign_in(client, carol)
    url = reverse("billing:patient_authorisations", args=[pat.pk])
    page = client.get(url).content.decode()
    assert "No prior authorisation on file." in page and "Record an authorisation" in page
    assert "QualChoice medical policy Spravato BI734:00" in page and "up to 23 nasal spray devices" in page
    response = client.post(url, form(payer, clinic_today(pat)), follow=True)
    text = response.content.decode()
    assert "Authorisation PA900 recorded." in text and "0 of 8 sessions" in text and "0 of 23 devices" in text
    assert "no Cigna coverage in force" in text
    cover(pat, payer)
    assert "no Cigna coverage in force" not in client.get(url).content.decode()


def test_bad_input_shows_the_message_and_writes_nothing(client: Any, carol: Any, pat: Any, payer: Any) -> None:
    sign_in(client, carol)
    url = reverse("billing:patient_authorisations", args=[pat.pk])
    today = clinic_today(pat)
    response = client.post(url, form(payer, today, valid_to=(today - dt.timedelta(days=1)).isoformat()))
    assert response.status_code == 422 and "The last day is before the first day." in response.content.decode()
    response = client.post(url, form(payer, today, service="iv_infusion"))
    assert "Devices are counted for esketamine only." in response.content.decode()
    assert not PriorAuthorisation.objects.exists()


def test_clinicians_read_without_a_form_and_cannot_add(
    client: Any, alice: Any, carol: Any, pat: Any, payer: Any
) -> None:
    authorise(carol, pat, payer)
    sign_in(client, alice)
    url = reverse("billing:patient_authorisations", args=[pat.pk])
    page = client.get(url).content.decode()
    assert "PA123" in page and "Record an authorisation" not in page and "Withdraw" not in page
    client.post(url, form(payer, clinic_today(pat), reference="NEW1"))
    assert PriorAuthorisation.objects.count() == 1
    assert client.post(reverse("billing:authorisation_withdraw", args=[1]), {"reason": "x"}).status_code == 403


def test_withdraw_with_a_reason(client: Any, carol: Any, pat: Any, payer: Any) -> None:
    authorisation = authorise(carol, pat, payer)
    sign_in(client, carol)
    url = reverse("billing:authorisation_withdraw", args=[authorisation.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422 and PriorAuthorisation.objects.get().status == "active"
    assert "Not withdrawn: Say why it is withdrawn." in refused.content.decode()
    done = client.post(url, {"reason": "Payer letter was for another drug"}, follow=True).content.decode()
    assert "Authorisation PA123 withdrawn." in done and "Payer letter was for another drug" in done
    assert client.post(reverse("billing:authorisation_withdraw", args=[999999]), {"reason": "x"}).status_code == 404


def test_a_patient_at_another_location_is_404(client: Any, carol: Any, lake: Any) -> None:
    sign_in(client, carol)
    assert client.get(reverse("billing:patient_authorisations", args=[lake.pk])).status_code == 404


def test_running_out_asks_for_a_window_until_the_clinic_sets_one(
    client: Any, carol: Any, dave: Any, pat: Any, payer: Any, main_st: Any
) -> None:
    today = clinic_today(pat)
    authorise(carol, pat, payer, reference="SOON", valid_to=today + dt.timedelta(days=10))
    authorise(carol, pat, payer, reference="LATER", valid_to=today + dt.timedelta(days=50))
    sign_in(client, carol)
    url = reverse("billing:authorisations_running_out")
    page = client.get(url, {"location": main_st.pk}).content.decode()
    assert "The clinic has not set a window" in page and "SOON" not in page
    page = client.get(url, {"location": main_st.pk, "days": "14"}).content.decode()
    assert "SOON" in page and "LATER" not in page and "14 days, as chosen" in page
    assert client.get(url, {"location": main_st.pk, "days": "13"}).context["days"] is None  # not one of the choices
    assert client.post(url, {"location": main_st.pk, "running_out_days": "60"}).status_code == 404  # admins only
    sign_in(client, dave)
    refused = client.post(url, {"location": main_st.pk, "running_out_days": "0"})
    assert refused.status_code == 422 and not PriorAuthPolicy.objects.exists()
    client.post(url, {"location": main_st.pk, "running_out_days": "60", "running_out_left": ""})
    page = client.get(url, {"location": main_st.pk}).content.decode()
    assert "the clinic's window: 60 days" in page and "SOON" in page and "LATER" in page
