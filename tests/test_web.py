"""Public page, health check and the security headers every response carries (security.md H9)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client


def test_healthz_reports_the_database(db: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_naming_the_database_when_it_fails(db: Any) -> None:
    with mock.patch("ketaclinic.web.views.site.connection.cursor", side_effect=OperationalError("down")):
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


PUBLIC_PAGES = [
    ("/", "Ketamine therapy, given with care"),
    ("/what-is-ketamine-therapy/", "Schedule III controlled substances"),
    ("/how-it-works/", "NMDA receptor"),
    ("/what-it-treats/", "Treatment-resistant depression"),
    ("/ways-it-is-given/", "Esketamine nasal spray"),
    ("/your-session/", "A responsible adult must take you home"),
    ("/risks/", "Risks and side effects"),
    ("/who-it-is-not-for/", "Ketamine is not given if you have"),
    ("/consultation/", "Request a consultation"),
]


@pytest.mark.parametrize(("path", "text"), PUBLIC_PAGES)
def test_every_public_page_is_self_contained_with_the_call_to_action(path: str, text: str, db: Any) -> None:
    response = Client().get(path)
    body = response.content.decode()
    assert response.status_code == 200 and text in body
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body  # no external assets
    assert "<script>" not in body and "<iframe" not in body  # no inline scripts, no embedded trackers
    assert 'href="/consultation/"' in body  # the call to action on every page
    assert "988" in body  # crisis line on every page
    assert 'aria-label="Main"' in body and 'id="main"' in body  # landmarks for assistive technology
    for page, _ in PUBLIC_PAGES[:-1]:
        assert f'href="{page}"' in body  # the site's navigation


def test_the_stylesheet_prints_the_public_pages_without_navigation(db: Any) -> None:
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "ketaclinic/web/static/ketaclinic/app.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".site-nav" in print_rules and ".cta" in print_rules
