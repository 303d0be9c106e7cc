"""A database trigger that keeps a signed eligibility decision locked ("signed means locked", ARCHITECTURE.md).

The service never updates a decision's content; this makes the database refuse it too, on PostgreSQL and SQLite:
an UPDATE that changes any signed column, or that takes back an entered-in-error mark, is aborted. Marking a decision
entered in error (the only change a decision may see) still works. Rows are never deleted by the application; a
DELETE guard is left out so the test suite can flush the table between transactional tests.
"""

from __future__ import annotations

from ketaclinic.locking import SignedRowLock

TABLE = "intake_eligibilitydecision"
TRIGGER = "intake_decision_signed_is_locked"
LOCKED_COLUMNS = (
    "patient_id",
    "assessment_id",
    "version",
    "supersedes_id",
    "indication",
    "routes",
    "outcome",
    "conditions_text",
    "findings",
    "overrides",
    "amendment_reason",
    "signed_by_id",
    "signed_at",
)
MESSAGE = "a signed eligibility decision is locked: sign a new version instead"


LOCK = SignedRowLock(TABLE, TRIGGER, LOCKED_COLUMNS, MESSAGE)
install = LOCK.install  # the names the migrations call
remove = LOCK.remove
