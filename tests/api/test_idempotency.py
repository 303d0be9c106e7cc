"""Idempotency-Key on API writes (security.md "Input"; design/TESTING.md): replay → the stored response; same key
with another body → 422; a retry while the first is in progress → 409; a missing key → 400."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.api import idempotency
from ketaclinic.api.models import IdempotencyRecord
from ketaclinic.ledger.models import Container, Kind, LedgerEntry

# The ledger's fixtures, used here by name (pytest finds fixtures imported into a test module).
from tests.ledger.conftest import ledger, nurse, products, receive, registrants, supplier  # noqa: F401

URL = "/api/v1/ledger/administrations"


@pytest.fixture
def setup(ledger: Any, main_st: Any) -> dict[str, Any]:  # noqa: F811  (the fixture imported above)
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    token = accounts.create_api_token(by=None, user=ledger["nurse"])
    body = {"container_id": vial.pk, "patient_id": ledger["pat"].pk, "quantity_ml": "4.00"}
    return {"vial": vial, "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"}, "body": body, "nurse": ledger["nurse"]}


def post(setup: dict[str, Any], body: dict[str, Any], key: str | None) -> Any:
    headers = dict(setup["auth"])
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return Client().post(URL, body, content_type="application/json", **headers)


def administrations() -> int:
    return LedgerEntry.objects.filter(kind=Kind.ADMINISTER).count()


@pytest.mark.django_db
def test_a_missing_key_is_400(setup: dict[str, Any]) -> None:
    response = post(setup, setup["body"], key=None)
    assert response.status_code == 400
    assert response.json() == {"detail": "The Idempotency-Key header is required for this request."}
    assert administrations() == 0


@pytest.mark.django_db
def test_a_replay_returns_the_stored_response_and_writes_once(setup: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    first = post(setup, setup["body"], key)
    assert first.status_code == 201
    again = post(setup, setup["body"], key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert administrations() == 1
    assert Container.objects.get(pk=setup["vial"].pk).balance_ml == Decimal("16.00")
    record = IdempotencyRecord.objects.get(key=key)
    assert (record.status, record.response_status, record.method, record.path) == ("done", 201, "POST", URL)
    assert "quantity_ml" not in record.request_hash  # only a fingerprint of the body is kept


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(setup: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    assert post(setup, setup["body"], key).status_code == 201
    response = post(setup, {**setup["body"], "quantity_ml": "5.00"}, key)
    assert response.status_code == 422 and "different request" in response.json()["detail"]
    assert administrations() == 1


@pytest.mark.django_db
def test_a_retry_while_the_first_is_in_progress_is_409(setup: dict[str, Any]) -> None:
    """A controlled in-progress record: the first request has claimed the key and not finished."""
    from ketaclinic.ledger.api import AdministrationIn

    key = str(uuid.uuid4())
    IdempotencyRecord.objects.create(
        key=key,
        user=setup["nurse"],
        method="POST",
        path=URL,
        request_hash=idempotency.fingerprint({"payload": AdministrationIn(**setup["body"])}),
    )
    response = post(setup, setup["body"], key)
    assert response.status_code == 409 and "still being processed" in response.json()["detail"]
    assert administrations() == 0


@pytest.mark.django_db
def test_keys_belong_to_their_user(setup: dict[str, Any], bob: Any) -> None:
    key = str(uuid.uuid4())
    assert post(setup, setup["body"], key).status_code == 201
    other = {
        "HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=bob)}",
        "HTTP_IDEMPOTENCY_KEY": key,
    }
    response = Client().post(URL, setup["body"], content_type="application/json", **other)
    assert response.status_code == 201 and administrations() == 2


@pytest.mark.django_db
def test_a_refused_request_releases_its_key(setup: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    too_much = {**setup["body"], "quantity_ml": "25.00"}
    assert post(setup, too_much, key).status_code == 422
    assert not IdempotencyRecord.objects.filter(key=key).exists()
    assert post(setup, setup["body"], key).status_code == 201


@pytest.mark.django_db
def test_an_unfinished_claim_is_never_taken_over_and_an_expired_key_is(setup: dict[str, Any]) -> None:
    """A committed "in progress" record (only the old two-step design left them) has an unknown outcome: running the
    write again could record a dose twice, so it stays 409 until the key expires."""
    from ketaclinic.ledger.api import AdministrationIn

    key = str(uuid.uuid4())
    fingerprint = idempotency.fingerprint({"payload": AdministrationIn(**setup["body"])})
    stale = timezone.now() - dt.timedelta(hours=1)
    IdempotencyRecord.objects.create(
        key=key, user=setup["nurse"], method="POST", path=URL, request_hash=fingerprint, created_at=stale
    )
    assert post(setup, setup["body"], key).status_code == 409
    assert administrations() == 0
    IdempotencyRecord.objects.filter(key=key).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert post(setup, {**setup["body"], "quantity_ml": "1.00"}, key).status_code == 201  # expired: a new request
    assert administrations() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing_step", ["after_the_write", "while_storing_the_response"])
def test_a_failure_between_the_steps_leaves_nothing_and_the_retry_writes_once(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch, failing_step: str
) -> None:
    """The work dies after the administration was written but before the response is stored: the write, the claim and
    the response roll back together, and the retry with the same key records the dose exactly once."""
    from ketaclinic import ledger as ledger_app

    class WorkerDied(BaseException):
        pass

    def die(*args: Any, **kwargs: Any) -> None:
        raise WorkerDied

    if failing_step == "after_the_write":
        original = ledger_app.services.administer

        def write_then_die(**kwargs: Any) -> Any:
            original(**kwargs)
            raise WorkerDied

        monkeypatch.setattr(ledger_app.services, "administer", write_then_die)
    else:
        monkeypatch.setattr(idempotency, "complete", die)
    key = str(uuid.uuid4())
    with pytest.raises(WorkerDied):
        post(setup, setup["body"], key)
    assert administrations() == 0 and not IdempotencyRecord.objects.filter(key=key).exists()
    monkeypatch.undo()
    retry = post(setup, setup["body"], key)
    assert retry.status_code == 201
    again = post(setup, setup["body"], key)
    assert (again.status_code, again.json()) == (201, retry.json())
    assert administrations() == 1
    vial = Container.objects.get(pk=setup["vial"].pk)
    assert vial.balance_ml == setup["vial"].balance_ml - Decimal("4.00")


CHILD_THAT_DIES_AFTER_THE_WRITE = """
import json, os, signal, sys
import django
django.setup()
from django.test import Client
from ketaclinic.ledger import services as ledger_services
original = ledger_services.administer
def write_then_die(**kwargs):
    original(**kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # the worker is killed after the write, before anything commits
ledger_services.administer = write_then_die
url, body, token, key = json.loads(sys.argv[1])
Client(SERVER_NAME="localhost").post(url, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer " + token,
              HTTP_IDEMPOTENCY_KEY=key)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_write_leaves_nothing_and_the_retry_writes_once(setup: dict[str, Any]) -> None:
    """A real SIGKILL of the process serving the first request (PostgreSQL: a second process on the same database)."""
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database it can reach: the PostgreSQL pass runs this")
    import json
    import os
    import signal
    import subprocess
    import sys

    from ketaclinic.ledger import services as ledger_services

    key = str(uuid.uuid4())
    token = setup["auth"]["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ketaclinic.settings_test"}
    child = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", CHILD_THAT_DIES_AFTER_THE_WRITE, json.dumps([URL, setup["body"], token, key])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert administrations() == 0 and not IdempotencyRecord.objects.filter(key=key).exists()
    retry = post(setup, setup["body"], key)
    assert retry.status_code == 201
    assert post(setup, setup["body"], key).json() == retry.json()
    assert administrations() == 1
    assert ledger_services.verify().intact


def test_the_fingerprint_ignores_key_order_and_the_key_itself() -> None:
    assert idempotency.fingerprint({"a": 1, "b": {"x": 1, "y": 2}, "idempotency_key": "k1"}) == idempotency.fingerprint(
        {"b": {"y": 2, "x": 1}, "a": 1, "idempotency_key": "k2"}
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_retry_gets_409_then_the_replay(setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two real requests with one key: the retry arrives while the first is inside the service."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for concurrent requests on separate connections")
    from ketaclinic.ledger.services import administration

    inside, release = threading.Event(), threading.Event()
    original = administration.check_usable

    def held(container: Any, on: Any) -> None:
        inside.set()
        release.wait(10)
        original(container, on)

    monkeypatch.setattr(administration, "check_usable", held)
    key = str(uuid.uuid4())
    results: dict[str, Any] = {}

    def first() -> None:
        from django.db import connection as thread_connection

        try:
            results["first"] = post(setup, setup["body"], key)
        finally:
            thread_connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    retry = post(setup, setup["body"], key)
    release.set()
    thread.join(10)
    assert retry.status_code == 409
    assert results["first"].status_code == 201
    replay = post(setup, setup["body"], key)
    assert (replay.status_code, replay.json()) == (201, results["first"].json())
    assert administrations() == 1
