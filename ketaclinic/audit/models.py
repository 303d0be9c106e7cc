"""The append-only, hash-chained audit log (knowledge/security.md H4–H6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    actor_username = models.CharField(max_length=150, blank=True, editable=False)
    action = models.CharField(max_length=80, db_index=True, editable=False)
    object_type = models.CharField(max_length=80, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    # A plain integer, not a foreign key: the audit log must outlive and not depend on any clinical table.
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS, editable=False)
    detail = models.JSONField(default=dict, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["actor", "occurred_at"]), models.Index(fields=["patient_id", "occurred_at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or 'system'}"

    def hashed_content(self) -> dict[str, Any]:
        """Everything the hash covers: the whole row except the two hashes."""
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at,
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "patient_id": self.patient_id,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "outcome": self.outcome,
            "detail": self.detail,
        }


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises writers so the chain never forks."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    # Rows from this number on are HMAC-keyed, earlier ones plain SHA-256; the tag (an HMAC under the chain key)
    # stops anyone moving the boundary to downgrade keyed rows (ketaclinic.audit.chain, issue 13).
    keyed_from_seq = models.PositiveBigIntegerField(null=True, blank=True)
    keyed_from_tag = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_seq}"


class RefusalTally(models.Model):
    """How many times one anonymous refusal (honeypot hit, 429, unknown token, unknown-user sign-in) came from one
    client address in one minute (issue 13, defect 7; ketaclinic.audit.refusals).

    The audit log is append-only, so repeats cannot be counted in its rows: the first refusal of a bucket is audited as
    it happens, the rest are counted here and written to the log as one summary event once the minute is over.
    ``reported`` is how many of ``count`` the log already holds. Mutable bookkeeping, never patient data; ``client``
    is a salted hash of the address, never the address."""

    action = models.CharField(max_length=80)
    client = models.CharField(max_length=64)
    # A salted hash of what else keys the bucket (the username of a locked-out sign-in), or "".
    subject = models.CharField(max_length=64, blank=True, default="")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    reported = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "client", "subject", "minute"], name="refusal_tally_bucket")
        ]
        indexes = [models.Index(fields=["client", "minute"]), models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.action} × {self.count} from {self.client[:8]} at {self.minute:%Y-%m-%d %H:%M}"
