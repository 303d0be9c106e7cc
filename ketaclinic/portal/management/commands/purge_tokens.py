"""`ketaclinic manage purge_tokens`: remove or close the one-time token rows past their expiry and the retention
window (portal/retention.py). Idempotent; one of the ``ketaclinic jobs``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.portal import retention


class Command(BaseCommand):
    help = "Delete or close sign-in links, visit links, waiting-list offer links and form tokens past retention."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in retention.purge_tokens().lines():
            self.stdout.write(line)
