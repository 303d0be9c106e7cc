"""`ketaclinic manage run_fhir_exports`: run the queued FHIR Bulk Data exports (ketaclinic/fhir/exporter.py). Safe
from several machines at once (each job is claimed by one worker); one of the ``ketaclinic jobs``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.fhir import exporter


class Command(BaseCommand):
    help = "Claim and run queued FHIR $export jobs, writing their NDJSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-jobs", type=int, default=None, help="stop after this many jobs (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        ran = exporter.run_pending(max_jobs=options["max_jobs"])
        for job in ran:
            counts = ", ".join(f"{o['type']} {o['count']}" for o in job.output) or "no resources"
            self.stdout.write(f"FHIR export {job.id}: {job.status} ({counts})")
        if not ran:
            self.stdout.write("FHIR exports: none queued")
