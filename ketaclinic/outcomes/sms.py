"""Text messages through a pluggable backend (settings.KETACLINIC_SMS_BACKEND, a dotted path to a class).

A backend is any class with ``send(to: str, body: str) -> None`` that raises on failure. The shipped ones are
``ConsoleSmsBackend`` (the default: prints to standard output and logs, for the demo and a clinic without a provider)
and ``LocmemSmsBackend`` (keeps messages in ``outbox`` for tests). A clinic plugs in its provider's client the same way.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleSmsBackend:
    """Prints each message (the demo's default); never logs the body, which holds a patient's link."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        logger.info("SMS written to the console")


class LocmemSmsBackend:
    """Keeps messages in memory, like Django's locmem e-mail backend: ``LocmemSmsBackend.outbox`` (a class list)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, to: str, body: str) -> None:
        LocmemSmsBackend.outbox.append(SmsMessage(to, body))


def get_backend() -> SmsBackend:
    """An instance of the configured backend."""
    backend: SmsBackend = import_string(settings.KETACLINIC_SMS_BACKEND)()
    return backend
