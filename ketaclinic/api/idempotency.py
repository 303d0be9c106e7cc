"""``Idempotency-Key`` for API writes (knowledge/security.md "Input"; design/TESTING.md; IETF draft
"The Idempotency-Key HTTP Header Field").

- The first request with a key claims it (a row committed at once, so a concurrent retry sees it) and runs.
- A replay after it completed returns the stored response (status and JSON body) without running again.
- The same key with another body, method or path → 422. A retry while the first is still running → 409.
- A missing key where an endpoint requires it → 400 (the router maps the missing-header error to 400).

Only successful (2xx) responses are stored. A request that is refused (4xx) or fails wrote nothing, so its key is
released and a corrected retry may reuse it. Keys belong to the user who sent them and expire after
``KETACLINIC_IDEMPOTENCY_TTL_HOURS`` (24 h); a claim left "in progress" by a crashed worker is taken over after
``KETACLINIC_IDEMPOTENCY_LOCK_S`` (120 s). The request body is kept only as a SHA-256 fingerprint.

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
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel

from ketaclinic.api.models import IdempotencyRecord

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


def _lock() -> dt.timedelta:
    return dt.timedelta(seconds=settings.KETACLINIC_IDEMPOTENCY_LOCK_S)


def claim(*, user: Any, key: str, method: str, path: str, request_hash: str) -> tuple[IdempotencyRecord, bool]:
    """Claim ``key`` for this request; returns (record, claimed). Commits at once outside any outer transaction."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=method, path=path, request_hash=request_hash, created_at=now
                )
            return record, True
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
        expired = record.created_at < now - _ttl()
        abandoned = record.status == IdempotencyRecord.Status.IN_PROGRESS and record.created_at < now - _lock()
        if expired or abandoned:
            record.method, record.path, record.request_hash = method, path, request_hash
            record.status = IdempotencyRecord.Status.IN_PROGRESS
            record.response_status = None
            record.response_body = None
            record.created_at, record.completed_at = now, None
            record.save()
            return record, True
        return record, False


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS).delete()


def complete(record: IdempotencyRecord, status: int, body: Any) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=IdempotencyRecord.Status.DONE, response_status=status, response_body=body, completed_at=timezone.now()
    )


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
            method, path = request.method or "", request.path
            record, claimed = claim(
                user=user, key=key, method=method, path=path, request_hash=fingerprint(dict(kwargs))
            )
            if not claimed:
                if (record.method, record.path, record.request_hash) != (method, path, fingerprint(dict(kwargs))):
                    raise HttpError(422, f"This {HEADER} was already used for a different request.")
                if record.status == IdempotencyRecord.Status.IN_PROGRESS:
                    raise HttpError(409, f"A request with this {HEADER} is still being processed; retry shortly.")
                return Status(record.response_status or 200, record.response_body)
            try:
                result = operation(request, *args, **kwargs)
            except BaseException:
                release(record)
                raise
            status, value = (result.status_code, result.value) if isinstance(result, Status) else (200, result)
            if not 200 <= status < 300:
                release(record)
                return result
            body = response_schema.from_orm(value).model_dump(mode="json")
            complete(record, status, body)
            return Status(status, body)

        return wrapper

    return decorate
