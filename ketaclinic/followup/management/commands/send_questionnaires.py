"""`ketaclinic manage send_questionnaires [--dry-run] [--base-url URL]`: issue the questionnaires due now and send the
links not yet sent. Idempotent; safe from cron every few minutes and from two machines at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.followup.services import schedule


class Command(BaseCommand):
    help = "Issue the questionnaires that are due (before sessions, follow-ups) and send every link not yet sent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would be done; change nothing.")
        parser.add_argument(
            "--base-url",
            default=settings.KETACLINIC_PUBLIC_URL,
            help="Public address of the clinic's site, used in the links (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = schedule.run_schedule(base_url=options["base_url"], dry_run=options["dry_run"])
        for line in report.lines(dry_run=options["dry_run"]):
            self.stdout.write(line)
