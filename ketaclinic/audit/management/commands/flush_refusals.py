"""`ketaclinic manage flush_refusals`: write the repeats of anonymous refusals from closed minutes to the audit log.

The repeats are also written lazily by the next refusal (``ketaclinic.audit.refusals``); run this from cron (every
few minutes) so a quiet site's last burst reaches the log too. Safe to run at any time and on several servers at
once: each repeat is reported exactly once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.audit import refusals


class Command(BaseCommand):
    help = "Audit the counted repeats of anonymous refusals (honeypot, rate limit, unknown users) from closed minutes."

    def handle(self, *args: Any, **options: Any) -> None:
        written = refusals.flush()
        self.stdout.write(f"{written} refusal summar{'y' if written == 1 else 'ies'} written to the audit log")
