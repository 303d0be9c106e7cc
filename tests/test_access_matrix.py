"""Every URL × every role and anonymous → the expected status, generated from the URL configuration.

A view added without an entry in EXPECTED fails `test_every_url_is_in_the_matrix`, so a new view is covered the day
it is added (issue 2). The Django admin is covered by its own checks below; the REST API by tests/api/.

Each later app keeps its own rows in ``tests/<app>/access_expectations.py``: a module with ``EXPECTED`` (URL name →
role → status), optionally ``make_world(world) -> dict`` adding the objects its URLs need, and
``url_kwargs(name, world) -> dict | None`` returning the keyword arguments for one of its URL names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.portal import access_expectations as portal_access

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
ROLES = [ANON, FD, NURSE, PRESC, ADMIN]
LOGIN = 302  # a redirect to the sign-in page


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def staff(*, allowed: tuple[str, ...], denied: int = 403) -> dict[str, int]:
    table = {ANON: LOGIN}
    for role in (FD, NURSE, PRESC, ADMIN):
        table[role] = 200 if role in allowed else denied
    return table


ALL_STAFF = (FD, NURSE, PRESC, ADMIN)
CLINICAL = (NURSE, PRESC)
REGISTRARS = (FD, NURSE, PRESC)

EXPECTED: dict[str, dict[str, int]] = {
    "healthz": everyone(200),
    "web:home": everyone(200),
    "web:about": everyone(200),
    "web:how_it_works": everyone(200),
    "web:conditions": everyone(200),
    "web:treatments": everyone(200),
    "web:session": everyone(200),
    "web:risks": everyone(200),
    "web:candidates": everyone(200),
    "web:dashboard": staff(allowed=ALL_STAFF),
    "web:clinical_settings": staff(allowed=(ADMIN,)),
    "accounts:login": everyone(200),
    "accounts:login_verify": everyone(302),  # nobody has a pending password step
    "accounts:mfa_enrol": everyone(302),
    "accounts:logout": everyone(405),  # POST only
    "accounts:keepalive": everyone(405),  # POST only
    "patients:list": staff(allowed=ALL_STAFF),
    "patients:create": staff(allowed=REGISTRARS),
    "patients:chart": staff(allowed=ALL_STAFF),
    "patients:edit": staff(allowed=REGISTRARS),
    "patients:measurement_create": staff(allowed=CLINICAL),
    "patients:condition_create": staff(allowed=CLINICAL),
    "patients:medication_create": staff(allowed=CLINICAL),
    "patients:allergy_create": staff(allowed=CLINICAL),
    "patients:nkda_create": staff(allowed=CLINICAL),
    "patients:consent_create": staff(allowed=REGISTRARS),
    "patients:entered_in_error": staff(allowed=CLINICAL, denied=404),
    "audit:list": staff(allowed=(ADMIN,)),
    "audit:export": staff(allowed=(ADMIN,)),
}

APP_MODULES = []
for _module_name in (
    "accounts.access_expectations",
    "intake.access_expectations",
    "plans.access_expectations",
    "infusions.access_expectations",
    "outcomes.access_expectations",
    "followup.access_questionnaires",
    "followup.access_trajectory",
    "followup.access_dashboard",
    "followup.access_letters",
    "ledger.access_expectations",
    "scheduling.access_expectations",
    "portal.access_expectations",
    "consents.access_expectations",
    "patients.access_expectations",
    "billing.access_invoices",
    "billing.access_claims",
    "billing.access_authorisations",
    "homecare.access_expectations",
    "pain.access_expectations",
):
    try:
        APP_MODULES.append(importlib.import_module(f"tests.{_module_name}"))
    except ModuleNotFoundError:
        continue
for _module in APP_MODULES:
    EXPECTED.update(_module.EXPECTED)

SKIPPED_NAMESPACES = ("admin", "api", "fhir")  # token-only APIs: tests/api/, tests/fhir/


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace or ""
            if namespace in SKIPPED_NAMESPACES:
                continue
            names += _walk(pattern.url_patterns, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(prefix + pattern.name)
    return names


def all_url_names() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


def test_every_url_is_in_the_matrix() -> None:
    missing = [name for name in all_url_names() if name not in EXPECTED]
    assert not missing, f"add these views to EXPECTED in {__file__}: {missing}"
    stale = [name for name in EXPECTED if name not in all_url_names()]
    assert not stale, f"these names no longer exist: {stale}"


def url_for(name: str, pat: Any, condition: Any, world: dict[str, Any] | None = None) -> str:
    from django.urls import NoReverseMatch

    for module in APP_MODULES:
        build = getattr(module, "url_kwargs", None)
        app_kwargs = build(name, world) if build and world is not None else None
        if app_kwargs is not None:
            return reverse(name, kwargs=app_kwargs)
    fallbacks = (
        None,
        {"patient_id": pat.pk},
        {"patient_id": pat.pk, "kind": "condition", "row_id": condition.pk},
        {"patient_id": pat.pk, "document_id": condition.pk},  # the patient is checked first: 404 before the document
    )
    for kwargs in fallbacks:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a URL for {name}: add its arguments to url_for")


def build_world() -> dict[str, Any]:
    """The fixed cast (tests/conftest.py), Pat with a condition, and every app's objects (``make_world``)."""
    from ketaclinic.patients import services
    from tests.conftest import make_bob, make_clinic, make_location, make_patient, make_user

    clinic = make_clinic()
    main, lakeside = make_location(clinic, "Main"), make_location(clinic, "Lakeside")
    cast = {
        FD: make_user("carol", "front_desk", clinic, [main]),
        NURSE: make_user("alice", "nurse", clinic, [main], title="RN"),
        PRESC: make_bob(clinic, main),
        ADMIN: make_user("dave", "clinic_admin", clinic, [main, lakeside]),
    }
    pat = make_patient(main)
    condition = services.add_condition(
        by=cast[PRESC], patient=pat, description="Major depressive disorder", icd10_code="F33.2"
    )
    world = {"cast": cast, "pat": pat, "condition": condition}
    for module in APP_MODULES:
        if hasattr(module, "make_world"):
            world = module.make_world(world)
    return world


@pytest.fixture(scope="class")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """One world for every (URL, role) case, built once in an outer transaction that is rolled back at the end.

    Each case still runs in its own savepoint (pytest-django's ``db``), so whatever a request writes (sessions, audit
    events, an opened questionnaire link) is undone before the next case. Building the world per case took ~0.22 s of
    each case's ~0.24 s (issue 14, item 6)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class TestEveryRoleOnEveryUrl:
    """Grouped in a class so the shared world lives only as long as these cases."""

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_role_gets_expected_status(
        self, name: str, role: str, world: dict[str, Any], db: None, client: Any
    ) -> None:
        from tests.conftest import sign_in

        if role != ANON:
            sign_in(client, world["cast"][role])
        response = client.get(url_for(name, world["pat"], world["condition"], world))
        assert response.status_code == EXPECTED[name][role], f"{name} as {role}"
        if (
            role == ANON
            and EXPECTED[name][role] == LOGIN
            and name not in ("accounts:login_verify", "accounts:mfa_enrol")
        ):
            # The patient portal has its own sign-in page: a staff login is not a portal session.
            portal = name.startswith("portal:") and name not in portal_access.STAFF_PAGES
            login = reverse("portal:login") if portal else reverse("accounts:login")
            assert response["Location"].startswith(login)


PATIENT_SCOPED = [
    name for name in EXPECTED if name.startswith("patients:") and name not in ("patients:list", "patients:create")
]


@pytest.mark.parametrize("name", PATIENT_SCOPED)
def test_patient_at_another_location_is_404_not_403(
    name: str, cast: dict[str, Any], lake: Any, erin: Any, client: Any
) -> None:
    """Object-level access inside the query: a Main nurse never learns a Lakeside patient exists."""
    from ketaclinic.patients import services
    from tests.conftest import sign_in

    condition = services.add_condition(by=erin, patient=lake, description="Fibromyalgia", icd10_code="M79.7")
    sign_in(client, cast["nurse"])
    assert client.get(url_for(name, lake, condition)).status_code == 404


def test_a_half_signed_in_user_is_sent_back_to_sign_in(alice: Any, client: Any) -> None:
    """Password without the second factor is not a session for roles that need MFA."""
    client.force_login(alice)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_admin_site_needs_a_verified_staff_user(dave: Any, alice: Any, client: Any) -> None:
    from tests.conftest import sign_in

    assert client.get("/admin/").status_code == 302
    sign_in(client, alice)
    assert client.get("/admin/").status_code == 302  # not staff
