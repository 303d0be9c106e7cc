"""Invariant 8: entries younger than the retention period (≥ 2 years, a clinic setting) cannot be purged.

ketaclinic never deletes ledger entries (the table is append-only and hash-chained: a purge would also break the
chain). Archiving older records is done with backups (``ketaclinic backup``); this check is what any future purge
must pass, and what the tests hold it to.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Clinic
from ketaclinic.domain.controlled import deadlines
from ketaclinic.ledger.models import LedgerEntry
from ketaclinic.ledger.services.common import policy_for


class RetentionError(ServiceError):
    """A purge would remove entries still inside the retention period."""


def purge_cutoff(clinic: Clinic, today: dt.date | None = None) -> dt.date:
    policy = policy_for(clinic)
    return deadlines.retention_cutoff(today or timezone.localdate(), policy.retention_years)


def check_purge(*, clinic: Clinic, before: dt.date, today: dt.date | None = None) -> int:
    """How many of the clinic's entries a purge of everything that occurred before ``before`` would remove;
    raises RetentionError when ``before`` reaches into the retention period."""
    cutoff = purge_cutoff(clinic, today)
    if before > cutoff:
        raise RetentionError(f"Entries from {cutoff} on are inside the retention period and cannot be purged.")
    start = dt.datetime.combine(before, dt.time.min, tzinfo=dt.UTC)
    return LedgerEntry.objects.filter(location__clinic=clinic, occurred_at__lt=start).count()
