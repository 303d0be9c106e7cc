"""Writes of the outcomes app: keyword-only, atomic, audited.

- ``alerts``: raise, acknowledge and escalate safety alerts;
- ``measurements``: record an outcome score and keep the patient's course summary in step;
- ``questionnaires``: issue, send, open and submit questionnaire links.

The names most callers need are re-exported here (``from ketaclinic.outcomes import services as outcomes``).
"""

from ketaclinic.outcomes.services.alerts import (
    NOTE_MAX_CHARS,
    Escalation,
    acknowledge_alert,
    addressee_for,
    escalate_overdue_alerts,
    raise_alert,
)
from ketaclinic.outcomes.services.measurements import (
    record_measurement,
    refresh_course,
    refresh_courses_for_patient,
    withdraw_measurements_of,
)

__all__ = [
    "NOTE_MAX_CHARS",
    "Escalation",
    "acknowledge_alert",
    "addressee_for",
    "escalate_overdue_alerts",
    "raise_alert",
    "record_measurement",
    "refresh_course",
    "refresh_courses_for_patient",
    "withdraw_measurements_of",
]
