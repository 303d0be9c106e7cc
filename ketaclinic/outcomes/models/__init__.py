"""Measurements (ARCHITECTURE.md "Layout": the low app of measurement-based care; ``followup`` above it holds the
questionnaire links, trajectories and the outcomes dashboard).

- ``alerts``: safety alerts raised by a positive suicide-risk screen, their acknowledgement and escalation;
- ``measurements``: every outcome score of a patient over time (intake baseline, pre-session, from home) and the
  per-patient course summary the clinic dashboard aggregates in the database.
"""

from ketaclinic.outcomes.models.alerts import SafetyAlert
from ketaclinic.outcomes.models.measurements import Measurement, OutcomeCourse

__all__ = ["Measurement", "OutcomeCourse", "SafetyAlert"]
