"""Staff pages: enrol with a bad monitor writes nothing; the programme page shows the balance and the discrepancy."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.homecare import services
from ketaclinic.homecare.models import HomeProgramme, HomeStockEntry
from tests.homecare.conftest import GOOD, sign_agreement, sign_eligibility

pytestmark = pytest.mark.django_db


def test_enrol_monitor_is_patient_refused_on_the_page(client_as: Any, bob: Any, pat: Any) -> None:
    sign_eligibility(pat, bob, ["sublingual"])
    sign_agreement(pat)
    page = client_as(bob).post(
        f"/homecare/patient/{pat.pk}/",
        {
            "route": "sublingual_troche",
            "monitor_name": "Pat Rivera",
            "monitor_date_of_birth": "1980-04-30",
            "monitor_phone": "555 0100",
        },
    )
    assert page.status_code == 200
    assert "cannot be the patient" in page.content.decode()
    assert not HomeProgramme.objects.exists()


def test_programme_page_shows_balance_and_discrepancy(client_as: Any, alice: Any, prescription: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    client = client_as(alice)
    answer = client.post(
        f"/homecare/patient/{prescription.programme.patient_id}/record/",
        {"prescription": prescription.pk, "kind": "count", "doses": "3"},
    )
    assert answer.status_code == 302 and HomeStockEntry.objects.filter(kind="count").exists()
    page = client.get(f"/homecare/patient/{prescription.programme.patient_id}/").content.decode()
    assert "= <strong>5</strong> doses expected" in page
    assert 'data-testid="discrepancy"' in page


def test_settings_unset_says_so(client_as: Any, dave: Any) -> None:
    page = client_as(dave).get("/homecare/settings/").content.decode()
    assert "no home dose is released" in page


def test_telehealth_only_patient_warned_as_the_dea_date_nears(client_as: Any, bob: Any, programme: Any) -> None:
    import datetime as dt

    import time_machine

    HomeProgramme.objects.filter(pk=programme.pk).update(in_person_evaluation_on=None)
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC)):
        page = client_as(bob).get(f"/homecare/patient/{programme.patient_id}/").content.decode()
    assert 'data-testid="telehealth-warning"' in page and "31 Dec 2026" in page


def test_chart_links_to_the_programme(client_as: Any, alice: Any, carol: Any, pat: Any) -> None:
    assert "chart-home-programme" in client_as(alice).get(f"/patients/{pat.pk}/").content.decode()
    assert "chart-home-programme" not in client_as(carol).get(f"/patients/{pat.pk}/").content.decode()
