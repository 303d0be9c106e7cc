"""Cache-Control: no-store on everything that may carry patient data, Permissions-Policy on everything (issue 13,
defect 9a; OWASP ASVS 5.0 V14.3.2, V3.4; security.md H9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.web.middleware import PERMISSIONS_POLICY
from tests.conftest import sign_in


def no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_policy_turns_off_powerful_features() -> None:
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in PERMISSIONS_POLICY


@pytest.mark.django_db
def test_public_pages_carry_the_permissions_policy(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response["Permissions-Policy"] == PERMISSIONS_POLICY


@pytest.mark.django_db
def test_static_files_carry_the_policy_and_stay_cacheable(client: Client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("ketaclinic/app.css")
    response = client.get("/static/ketaclinic/app.css")
    assert response.status_code == 200
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert not no_store(response) and "Pragma" not in response
    response.close()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/staff/", "/patients/?q=Rivera", "/audit/export.csv"])
def test_every_response_to_a_signed_in_user_is_no_store(client: Client, dave: Any, pat: Any, path: str) -> None:
    sign_in(client, dave)
    response = client.get(path)
    assert response.status_code == 200, path
    assert no_store(response) and response["Pragma"] == "no-cache"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


@pytest.mark.django_db
def test_chart_and_print_pages_are_no_store(client: Client, alice: Any, pat: Any) -> None:
    sign_in(client, alice)
    assert no_store(client.get(f"/patients/{pat.pk}/"))


@pytest.mark.django_db
def test_api_and_questionnaire_responses_are_no_store_even_signed_out(client: Client) -> None:
    api = client.get("/api/v1/patients/")
    assert api.status_code in (401, 403) and no_store(api)
    questionnaire = client.get("/q/not-a-real-token-at-all-000000000/")
    assert no_store(questionnaire) and questionnaire["Permissions-Policy"] == PERMISSIONS_POLICY


@pytest.mark.django_db
def test_a_csv_download_is_no_store_wherever_it_comes_from(rf: Any) -> None:
    from django.http import HttpResponse

    from ketaclinic.web.middleware import PrivacyHeadersMiddleware

    def view(request: Any) -> HttpResponse:
        response = HttpResponse("a,b\n", content_type="text/csv")
        response["Cache-Control"] = "max-age=600"
        return response

    request = rf.get("/somewhere.csv")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    response = PrivacyHeadersMiddleware(view)(request)
    assert response["Cache-Control"] == "no-store"
