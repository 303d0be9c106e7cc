"""``Idempotency-Key`` for API writes (knowledge/security.md "Input"; design/TESTING.md; IETF draft
"The Idempotency-Key HTTP Header Field").

- The claim of the key, the write and the stored response commit in ONE transaction. So a retry after any failure —
  an exception, a 500, a worker killed mid-request — either finds the committed result and replays it, or finds no
  trace of the first attempt (its write rolled back with its claim) and runs the write exactly once. (Before, the
  claim committed first and the result later: a crash between the write and the completion left the key "in
  progress", and after a lock window a retry ran the write again.)
- A replay after completion returns the stored response (status and JSON body) without running again.
- The same key with another body, method or path → 422. A retry while the first is still running → 409 (PostgreSQL:
  a transaction-scoped advisory lock per user and key, taken without waiting; SQLite: write transactions are
  serialised, so the retry simply waits and then replays).
- A missing key where an endpoint requires it → 400 (the router maps the missing-header error to 400).

Only successful (2xx) responses are stored. A request that is refused (4xx) or fails wrote nothing, so its key is
free again and a corrected retry may reuse it. Keys belong to the user who sent them and expire after
``KETACLINIC_IDEMPOTENCY_TTL_HOURS`` (24 h). A record still marked "in progress" can only come from before this
design (the claim used to commit on its own); its outcome is unknown, so it is never taken over: the answer stays 409
until the key expires. The request body is kept only as a SHA-256 fingerprint.

Usage on a django-ninja operation::

    @router.post("/things", response={201: ThingOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut, ...})
    @idempotent(ThingOut)
    def create_thing(request, payload: ThingIn, idempotency_key: IdempotencyKey): ...
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel

from ketaclinic.api.models import IdempotencyRecord
from ketaclinic.locking import lock

HEADER = "Idempotency-Key"
PARAMETER = "idempotency_key"
MAX_KEY_LENGTH = 255

IdempotencyKey = Annotated[
    str,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Required. A unique value (e.g. a UUID) per intended write: a retry with the same key and body "
        "returns the first response instead of writing twice.",
    ),
]


def fingerprint(arguments: dict[str, Any]) -> str:
    """SHA-256 of the operation's parsed arguments (body and path parameters), key order ignored."""

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        return value

    data = {name: plain(value) for name, value in arguments.items() if name != PARAMETER}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.KETACLINIC_IDEMPOTENCY_TTL_HOURS)


class KeyBusy(Exception):
    """Another request with the same user and key is running right now."""


def _advisory_lock_id(user_id: int, key: str) -> int:
    """A signed 64-bit number for ``pg_try_advisory_xact_lock`` from the user and the key."""
    digest = hashlib.sha256(f"ketaclinic-idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_key(*, user: Any, key: str) -> None:
    """PostgreSQL: hold a transaction-scoped lock on (user, key), or raise KeyBusy at once when another request holds
    it. SQLite serialises write transactions (``BEGIN IMMEDIATE``), so nothing is needed there."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_lock_id(user.pk, key)])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise KeyBusy


def claim(*, user: Any, key: str, method: str, path: str, request_hash: str) -> tuple[IdempotencyRecord, bool]:
    """Claim ``key`` for this request inside the caller's transaction; returns (record, claimed). Must run inside
    ``transaction.atomic()``: the claim commits or rolls back with the write."""
    now = timezone.now()
    _lock_key(user=user, key=key)
    record = lock(IdempotencyRecord).filter(user=user, key=key).first()
    if record is None:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=method, path=path, request_hash=request_hash, created_at=now
                )
        except IntegrityError:  # a concurrent first request committed the key between our look and our insert
            raise KeyBusy from None
        return record, True
    if record.created_at < now - _ttl():
        record.method, record.path, record.request_hash = method, path, request_hash
        record.status = IdempotencyRecord.Status.IN_PROGRESS
        record.response_status = None
        record.response_body = None
        record.created_at, record.completed_at = now, None
        record.save()
        return record, True
    return record, False


def complete(record: IdempotencyRecord, status: int, body: Any) -> None:
    """Store the response in the same transaction as the write."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=IdempotencyRecord.Status.DONE, response_status=status, response_body=body, completed_at=timezone.now()
    )


class _NotStored(Exception):
    """Carries a non-2xx result out of the transaction so the claim rolls back with whatever was written."""

    def __init__(self, result: Any) -> None:
        self.result = result


BUSY = f"A request with this {HEADER} is still being processed; retry shortly."


def replay(record: IdempotencyRecord, *, method: str, path: str, request_hash: str) -> Any:
    """The answer to a key that is already taken: 422 for another request, 409 while unfinished, else the replay."""
    if (record.method, record.path, record.request_hash) != (method, path, request_hash):
        raise HttpError(422, f"This {HEADER} was already used for a different request.")
    if record.status == IdempotencyRecord.Status.IN_PROGRESS:
        raise HttpError(409, BUSY)
    return Status(record.response_status or 200, record.response_body)


def idempotent(response_schema: type[Schema]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a ninja operation that takes ``idempotency_key: IdempotencyKey``; ``response_schema`` serialises the
    success response for storage and replay."""

    def decorate(operation: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(operation)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            key = str(kwargs.get(PARAMETER) or "").strip()
            if not key:
                raise HttpError(400, f"The {HEADER} header is required for this request.")
            user = getattr(request, "auth", None) or request.user
            method, path, request_hash = request.method or "", request.path, fingerprint(dict(kwargs))
            try:
                with transaction.atomic():
                    record, claimed = claim(user=user, key=key, method=method, path=path, request_hash=request_hash)
                    if not claimed:
                        return replay(record, method=method, path=path, request_hash=request_hash)
                    result = operation(request, *args, **kwargs)
                    status, value = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
                    if not 200 <= status < 300:
                        raise _NotStored(result)
                    body = response_schema.from_orm(value).model_dump(mode="json")
                    complete(record, status, body)
                    return Status(status, body)
            except KeyBusy:
                raise HttpError(409, BUSY) from None
            except _NotStored as refused:
                return refused.result

        return wrapper

    return decorate
