"""`ketaclinic manage purge_fhir_exports`: delete the files of FHIR exports past
``KETACLINIC_FHIR_EXPORT_RETENTION_HOURS`` and mark them expired (ketaclinic/fhir/exporter.py). Idempotent; one of
the ``ketaclinic jobs``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.fhir import exporter


class Command(BaseCommand):
    help = "Delete expired FHIR Bulk Data export files (copies, never chart data) and mark the jobs expired."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in exporter.purge().lines():
            self.stdout.write(line)
