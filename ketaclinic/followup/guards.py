"""A database trigger that keeps a signed progress letter locked ("signed means locked", ARCHITECTURE.md), as for
signed eligibility decisions (``intake/guards.py``).

The service never changes a signed letter; this makes the database refuse it too, on PostgreSQL and SQLite: an UPDATE
of a signed letter that changes what it says, whom it is to, who signed it, when, or its PDF, or that takes back an
entered-in-error mark, is aborted. Marking it entered in error still works. No DELETE guard (the test suite flushes).
"""

from __future__ import annotations

from ketaclinic.locking import SignedRowLock

TABLE = "followup_progressletter"
TRIGGER = "followup_signed_letter_is_locked"
LOCKED_COLUMNS = (
    "patient_id",
    "status",
    "recipient_name",
    "recipient_npi",
    "recipient_contact",
    "plan_text",
    "content",
    "signed_by_id",
    "signed_at",
    "document_id",
)
MESSAGE = "a signed progress letter is locked: write a new letter instead"


LOCK = SignedRowLock(TABLE, TRIGGER, LOCKED_COLUMNS, MESSAGE, applies_when="OLD.status = 'signed'")
install = LOCK.install  # the names the migrations call
remove = LOCK.remove
