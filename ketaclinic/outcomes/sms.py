"""Text messages through a pluggable backend (settings.KETACLINIC_SMS_BACKEND, a dotted path to a class).

A backend is any class with ``send(to: str, body: str) -> None`` that raises on failure. The shipped ones are
``NoSmsBackend`` (the production default: no provider configured, every send fails and is recorded as failed),
``ConsoleSmsBackend`` (the demo's default: prints the message, with a live link, to standard output) and
``LocmemSmsBackend`` (keeps messages in ``outbox`` for tests). A clinic plugs in its provider's client the same way.

The console backend puts a working questionnaire link into the server's output, so production refuses it unless
``KETACLINIC_ALLOW_CONSOLE_DELIVERY=true`` (ketaclinic.config.console_delivery_channels; knowledge/security.md H4,
OWASP ASVS 5.0 V16.2.5), and it never prints the whole phone number.
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


class SmsNotConfigured(RuntimeError):
    """No SMS provider is configured (set KETACLINIC_SMS_BACKEND)."""


class NoSmsBackend:
    """The production default: refuses every message, so the link is recorded as "Delivery failed (SmsNotConfigured)"
    and nothing is written anywhere. A clinic with a provider sets KETACLINIC_SMS_BACKEND to its client."""

    def send(self, to: str, body: str) -> None:
        raise SmsNotConfigured("No SMS provider is configured: set KETACLINIC_SMS_BACKEND.")


def _last_digits(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"***-{digits[-4:]}" if len(digits) >= 4 else "***"


class ConsoleSmsBackend:
    """Prints each message (the demo's default) with the number masked; never logs the body, which holds a
    patient's link."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {_last_digits(to)}:\n{body}\n{'-' * 40}\n")
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
