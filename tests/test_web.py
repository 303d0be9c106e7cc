"""Public page, health check and the security headers every response carries (security.md H9)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.db import OperationalError
from django.test import Client


def test_healthz_reports_the_database(db: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_naming_the_database_when_it_fails(db: Any) -> None:
    with mock.patch("ketaclinic.web.views.connection.cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unavailable"


def test_healthz_answers_only_get(db: Any) -> None:
    assert Client().post("/healthz").status_code == 405


def test_the_public_page_has_no_external_assets_and_strict_headers(db: Any) -> None:
    response = Client().get("/")
    body = response.content.decode()
    assert response.status_code == 200 and "Ketamine therapy" in body
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in body  # no inline scripts (CSP)


def test_htmx_comes_from_our_own_static_files(db: Any) -> None:
    body = Client().get("/").content.decode()
    assert "/static/django_htmx/htmx" in body
