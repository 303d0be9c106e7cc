"""Measurement-based care (ARCHITECTURE.md: outcomes/ holds questionnaire responses, self-report links, alerts and
dashboards).

- ``alerts``: safety alerts raised by a positive suicide-risk screen, their acknowledgement and escalation;
- ``measurements``: every outcome score of a patient over time (intake baseline, pre-session, from home) and the
  per-patient course summary the clinic dashboard aggregates in the database;
- ``questionnaires``: the one-purpose, expiring links a patient fills a questionnaire from without logging in.
"""

from ketaclinic.outcomes.models.alerts import SafetyAlert
from ketaclinic.outcomes.models.measurements import Measurement, OutcomeCourse
from ketaclinic.outcomes.models.questionnaires import QuestionnaireLink

__all__ = ["Measurement", "OutcomeCourse", "QuestionnaireLink", "SafetyAlert"]
