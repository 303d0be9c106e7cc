"""`ketaclinic manage send_reminders [--base-url URL]`: send the appointment confirmations and reminders due now
(scheduling/services/reminders.py). Idempotent; safe from cron every few minutes and from two machines at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.scheduling.services import reminders


class Command(BaseCommand):
    help = "Send appointment confirmations and the reminders due now (each once), and retry failed deliveries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.KETACLINIC_PUBLIC_URL,
            help="Public address of the clinic's site, used in the links (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in reminders.run_reminders(base_url=options["base_url"]).lines():
            self.stdout.write(line)
