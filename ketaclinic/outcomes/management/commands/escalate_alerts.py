"""`ketaclinic manage escalate_alerts`: escalate the safety alerts nobody has acknowledged in time.

Safe to run from cron every few minutes: an alert is escalated once (``outcomes.services.alerts``), and two runs at once
on PostgreSQL skip each other's locked rows. Prints alert numbers and usernames only, never patient identifiers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.dateparse import parse_datetime

from ketaclinic.outcomes.services.alerts import escalate_overdue_alerts, escalation_minutes


class Command(BaseCommand):
    help = "Escalate safety alerts still unacknowledged after KETACLINIC_ALERT_ESCALATION_MINUTES to the clinic admins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="Pretend it is this ISO 8601 time (UTC if no offset); for drills and tests.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options.get("now"):
            now = parse_datetime(options["now"])
            if now is None:
                self.stderr.write(f"--now: not an ISO 8601 date and time: {options['now']!r}")
                raise SystemExit(2)
            if now.tzinfo is None:
                now = now.replace(tzinfo=dt.UTC)
        done = escalate_overdue_alerts(now=now)
        for item in done:
            to = ", ".join(item.escalated_to) or "nobody (no active clinic admin at the location)"
            self.stdout.write(f"Escalated alert #{item.alert_id} (open {item.minutes_open} min) to {to}.")
        self.stdout.write(
            f"{len(done)} alert{'s' if len(done) != 1 else ''} escalated "
            f"(threshold {escalation_minutes()} min unacknowledged)."
        )
