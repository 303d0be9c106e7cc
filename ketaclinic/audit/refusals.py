"""Anonymous refusals, audited without letting junk traffic fill the undeletable log (issue 13, defect 7).

security.md H4 asks for login failures, lockouts and refusals to be audited, and H5 makes the log append-only: a
robot sending 10,000 honeypot posts, guessed questionnaire tokens or made-up usernames used to write 10,000 rows
nobody can ever remove. Here every anonymous refusal is keyed by (action, salted hash of the client address, optional
subject, minute) in ``RefusalTally``, a small mutable counter table:

- the first refusal of a bucket is audited at once, exactly as before (its detail, username, IP and user agent);
- later refusals in the same bucket only increment the counter (one atomic UPDATE);
- once the minute is over, the repeats are written as one ``audit.refusals_repeated`` event naming the action, the
  client hash, the minute and the number of repeats. This happens lazily, when any new bucket opens (so the next
  refusal from anyone closes the books), and from ``manage.py flush_refusals`` (for a cron job).

So each (address, action, minute) costs at most two audit rows, and the first-event rows plus the summaries' repeats
add up to every refusal. ``reported`` makes the summary exactly-once even when a late increment races a flush on
another server: the flush holds the bucket rows (``select_for_update``) and reports ``count - reported``; a repeat that
arrives after the flush is reported by the next one.

The same counters are what the public forms' rate limits count (``refusals_since``): every app server sees them in
the database (ARCHITECTURE.md "Scale story"), and no address is stored, only its salted hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaclinic.audit import context
from ketaclinic.audit import services as audit
from ketaclinic.audit.models import RefusalTally
from ketaclinic.locking import lock

SUMMARY_ACTION = "audit.refusals_repeated"
#: Counters are kept longer than the longest rate-limit window a setting allows (7 days), then pruned once reported.
KEEP = dt.timedelta(days=8)


def minute_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def client_key(ip_address: str | None) -> str:
    """Salted SHA-256 (an HMAC keyed by the secret key) of a client address, first 16 hex digits: not reversible."""
    return salted_hmac("ketaclinic.audit.refusal.client", ip_address or "unknown", algorithm="sha256").hexdigest()[:16]


def current_client() -> str:
    """The client key of the request being served (from the audit context the middleware sets)."""
    return client_key(context.current().ip_address)


def subject_key(text: str) -> str:
    """Salted hash of a further bucket key (a username), so the tally keeps no name."""
    if not text:
        return ""
    return salted_hmac("ketaclinic.audit.refusal.subject", text, algorithm="sha256").hexdigest()[:16]


def note(
    *,
    action: str,
    client: str,
    subject: str = "",
    username: str = "",
    obj: models.Model | None = None,
    outcome: str = "denied",
    detail: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Count one anonymous refusal; audit it if it is the first of its (action, client, subject, minute) bucket.

    Returns True when this refusal got its own audit row. Runs in its own transaction, so the caller's refused work
    can roll back without taking the audit row with it."""
    minute = minute_of(now or timezone.now())
    bucket = RefusalTally.objects.filter(action=action, client=client, subject=subject, minute=minute)
    if bucket.update(count=F("count") + 1):  # one statement: atomic on its own, the common (junk) path
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                RefusalTally.objects.create(
                    action=action, client=client, subject=subject, minute=minute, count=1, reported=1
                )
        except IntegrityError:  # another app server opened the same bucket a moment ago
            bucket.update(count=F("count") + 1)
            return False
        flush(before=minute)
        audit.record(actor=None, username=username, action=action, obj=obj, outcome=outcome, detail=detail)
    return True


def flush(*, before: dt.datetime | None = None) -> int:
    """Write one summary event per closed bucket with unreported repeats; prune old reported buckets.

    ``before`` is the first minute still open (default: the current minute). Returns how many summaries were written.
    """
    cutoff = minute_of(before or timezone.now())
    written = 0
    with transaction.atomic():
        pending = lock(RefusalTally).filter(minute__lt=cutoff, count__gt=F("reported")).order_by("minute", "pk")
        for tally in pending:
            audit.record(
                actor=None,
                action=SUMMARY_ACTION,
                outcome="denied",
                detail={
                    "action": tally.action,
                    "client": tally.client,
                    "subject": tally.subject,
                    "minute": tally.minute.astimezone(dt.UTC).isoformat(),
                    "repeats": tally.count - tally.reported,
                },
            )
            RefusalTally.objects.filter(pk=tally.pk).update(reported=tally.count)
            written += 1
        RefusalTally.objects.filter(minute__lt=cutoff - KEEP, count=F("reported")).delete()
    return written


def refusals_since(*, client: str, since: dt.datetime, actions: Iterable[str] = (), action_prefix: str = "") -> int:
    """How many refusals of these actions (or of every action under ``action_prefix``) came from ``client`` since
    ``since`` (rounded down to its minute): what the public rate limits count."""
    tallies = RefusalTally.objects.filter(client=client, minute__gte=minute_of(since))
    names = list(actions)
    if names:
        tallies = tallies.filter(action__in=names)
    if action_prefix:
        tallies = tallies.filter(action__startswith=action_prefix)
    total = tallies.aggregate(total=Sum("count"))["total"]
    return int(total or 0)
