"""Shared test fixtures: a fixed cast of people and patients built through the real services (STYLE.md).

The cast: clinic "Test Clinic" with locations Main and Lakeside.
  carol (front desk, Main) · alice (nurse, Main) · bob (prescriber, Main, MD + DEA) · dave (clinic admin, Main +
  Lakeside) · erin (nurse, Lakeside). Patients: pat (Main), lake (Lakeside).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop (TESTING.md)

PASSWORD = "correct horse battery staple 42"

# The slowest tests, seconds each: fresh `ketaclinic` processes (migrations, gunicorn), the browser journeys and the
# schema fuzzers. On pytest-xdist workers (`make test`) they are handed out first, so the two workers share them and
# finish together, instead of one worker running the last of them alone while the other idles.
SLOW_FIRST = (
    "tests/test_cli.py",
    "tests/test_serve.py",
    "tests/e2e/",
    "tests/demo_clinic/",
    "tests/api/test_api_fuzz.py",
    "tests/api/test_api_fuzz_live.py",
    "tests/audit/test_refusals.py",
    "tests/test_config.py",
    "tests/test_log_privacy.py",
    "tests/test_file_modes.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers only, move the SLOW_FIRST tests to the front (in that order, each file's own order kept);
    every worker sorts the same collection the same way, as xdist requires. A run in one process keeps file order."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(SLOW_FIRST) if path.startswith(prefix)), len(SLOW_FIRST))

    items.sort(key=rank)  # stable: the order within a rank is the collection order


@pytest.fixture(scope="session", autouse=True)
def _postgres_flush_by_delete() -> Iterator[None]:
    """Empty the PostgreSQL test database after a transactional test with DELETE instead of Django's TRUNCATE.

    Django flushes with one ``TRUNCATE`` of every table, which on PostgreSQL gives each of the ~100 tables and its
    indexes new files: ~0.8 s after every transactional test (the browser tests, the concurrency tests), while the
    few rows those tests write go in milliseconds with ``DELETE``. The result is the same empty tables with the
    sequences left alone (Django's flush does not reset them either unless asked, and then the TRUNCATE still runs).
    Django creates its foreign keys DEFERRABLE INITIALLY DEFERRED, so the order of the deletes does not matter within
    the flush's transaction. The append-only guards are off during the flush (``_append_only_guards``), as for the
    TRUNCATE. SQLite's flush already deletes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: Any, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [f"DELETE FROM {self.quote_name(table)}" for table in tables]  # noqa: S608 (Django's table names)
        return ["SET CONSTRAINTS ALL DEFERRED", *deletes]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(scope="session", autouse=True)
def _remove_stored_files_after_the_run() -> Iterator[None]:
    """The test settings keep signed PDFs and scans in a per-process temporary folder: remove it when the run ends."""
    yield
    import shutil
    import tempfile
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.KETACLINIC_DOCUMENTS_DIR)
    if folder.name.startswith("ketaclinic-test-documents-") and folder.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _append_only_guards(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep the audit table's append-only triggers in place, except while pytest-django flushes the database
    after a transactional test (a flush deletes rows, which the SQLite trigger would refuse)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "live_server" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction", False))
    )
    if not transactional and marker is None and "db" not in request.fixturenames:
        yield
        return
    from django.db import connection

    from ketaclinic.audit import guards

    request.getfixturevalue("transactional_db" if transactional else "db")
    for table in guards.APPEND_ONLY_TABLES:
        guards.install(connection, table)
    yield
    if transactional:
        for table in guards.APPEND_ONLY_TABLES:
            guards.remove(connection, table)


def make_clinic() -> Any:
    from ketaclinic.accounts import services

    return services.create_clinic(by=None, name="Test Clinic", timezone_name="America/Chicago")


def make_location(clinic: Any, name: str) -> Any:
    from ketaclinic.accounts import services

    return services.create_location(by=None, clinic=clinic, name=name)


@pytest.fixture
def clinic(db: Any) -> Any:
    return make_clinic()


@pytest.fixture
def main_st(clinic: Any) -> Any:
    return make_location(clinic, "Main")


@pytest.fixture
def lakeside(clinic: Any) -> Any:
    return make_location(clinic, "Lakeside")


def make_user(username: str, role: str, clinic: Any, locations: list[Any], **extra: Any) -> Any:
    from ketaclinic.accounts import services

    return services.create_user(
        by=None,
        username=username,
        password=PASSWORD,
        role=role,
        clinic=clinic,
        locations=locations,
        first_name=username.capitalize(),
        last_name="Test",
        **extra,
    )


@pytest.fixture
def carol(clinic: Any, main_st: Any) -> Any:
    return make_user("carol", "front_desk", clinic, [main_st])


@pytest.fixture
def alice(clinic: Any, main_st: Any) -> Any:
    return make_user("alice", "nurse", clinic, [main_st], title="RN")


@pytest.fixture
def bob(clinic: Any, main_st: Any) -> Any:
    return make_bob(clinic, main_st)


def make_bob(clinic: Any, main_st: Any) -> Any:
    """The prescriber, with a current medical licence and DEA registration."""
    from ketaclinic.accounts import services

    user = make_user("bob", "prescriber", clinic, [main_st], title="MD")
    expiry = dt.date.today() + dt.timedelta(days=365)
    services.add_licence(by=None, user=user, kind="medical", number="036.123456", state="IL", expires_on=expiry)
    services.add_licence(by=None, user=user, kind="dea", number="BT1234563", state="IL", expires_on=expiry)
    return user


@pytest.fixture
def dave(clinic: Any, main_st: Any, lakeside: Any) -> Any:
    return make_user("dave", "clinic_admin", clinic, [main_st, lakeside])


@pytest.fixture
def erin(clinic: Any, lakeside: Any) -> Any:
    return make_user("erin", "nurse", clinic, [lakeside], title="RN")


def make_patient(location: Any, **overrides: Any) -> Any:
    from ketaclinic.patients import services

    data = {
        "given_name": "Pat",
        "family_name": "Rivera",
        "date_of_birth": dt.date(1980, 4, 30),
        "sex": "female",
        "phone": "(217) 555-0123",
        "email": "pat@example.org",
    }
    data.update(overrides)
    return services.create_patient(by=None, location=location, data=data)


@pytest.fixture
def pat(main_st: Any) -> Any:
    return make_patient(main_st)


@pytest.fixture
def lake(lakeside: Any) -> Any:
    return make_patient(lakeside, given_name="Lee", family_name="Shore", date_of_birth=dt.date(1975, 1, 2), sex="male")


@pytest.fixture
def cast(carol: Any, alice: Any, bob: Any, dave: Any) -> dict[str, Any]:
    return {"front_desk": carol, "nurse": alice, "prescriber": bob, "clinic_admin": dave}


def sign_in(client: Any, user: Any) -> Any:
    """Log a test client in as a user who has passed both factors."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    session = client.session
    if user.needs_mfa:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["kc_signed_in_at"] = session["kc_last_seen"] = time.time()
    session.save()
    return client


@pytest.fixture
def client_as(client: Any) -> Callable[[Any], Any]:
    def as_user(user: Any) -> Any:
        client.logout()
        return sign_in(client, user)

    return as_user


def tiny_pdf(title: str = "a document") -> bytes:
    """A small, well-formed one-page PDF (uploads are parsed and checked for active content, so a few bytes that only
    start with ``%PDF-`` no longer pass as a PDF). ``title`` goes in its metadata, so two labels give two files."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


#: For a test that runs ``ketaclinic`` in a subprocess on its own SQLite database, whatever DATABASE_URL says: the
#: PostgreSQL pass of ``make test`` would run exactly the same thing a second time, so it runs in the SQLite pass only.
sqlite_subprocess_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs `ketaclinic` on its own SQLite database: the SQLite pass of `make test` runs it",
)
