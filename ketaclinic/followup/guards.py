"""Database triggers that keep a signed progress letter and its addenda locked ("signed means locked",
ARCHITECTURE.md), as for signed eligibility decisions (``intake/guards.py``).

The services never change a signed letter or addendum; these make the database refuse it too, on PostgreSQL and
SQLite: an UPDATE of a signed letter that changes what it says, whom it is to, who signed it, when, its PDF or its
frozen FHIR document, or that takes back an entered-in-error mark, is aborted; likewise for an addendum's text,
reason, signature and PDF. Marking either entered in error still works. No DELETE guard (the test suite flushes).
"""

from __future__ import annotations

from ketaclinic.locking import SignedRowLock

TABLE = "followup_progressletter"
TRIGGER = "followup_signed_letter_is_locked"
#: The columns locked by migration 0002 (before the FHIR document was frozen at signing): that migration installs
#: exactly these, and 0003 replaces the trigger with ``LOCKED_COLUMNS``.
FIRST_LOCKED_COLUMNS = (
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
LOCKED_COLUMNS = (*FIRST_LOCKED_COLUMNS, "document_bundle")
MESSAGE = "a signed progress letter is locked: write a new letter instead"


FIRST_LOCK = SignedRowLock(TABLE, TRIGGER, FIRST_LOCKED_COLUMNS, MESSAGE, applies_when="OLD.status = 'signed'")
LOCK = SignedRowLock(TABLE, TRIGGER, LOCKED_COLUMNS, MESSAGE, applies_when="OLD.status = 'signed'")
install = FIRST_LOCK.install  # the names migration 0002 calls
remove = FIRST_LOCK.remove

#: An addendum is signed when it is written: every row is locked (no ``applies_when``); entered in error still works.
ADDENDUM_LOCK = SignedRowLock(
    "followup_letteraddendum",
    "followup_signed_addendum_is_locked",
    ("letter_id", "text", "reason", "signed_by_id", "signed_at", "document_id"),
    "a signed addendum is locked: mark it entered in error and add a new one",
)
