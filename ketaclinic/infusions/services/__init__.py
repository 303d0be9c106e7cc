"""Every write to a treatment session: keyword-only, atomic, audited, version-checked (ARCHITECTURE.md "services").

One module per concern: ``checkin`` (open a session, the hard stops' facts, pre-dose scales, R1, cancel, start),
``draws`` (a witnessed correction of the drawn volume),
``monitoring`` (vitals and alerts, entered in error, the timer), ``events`` (side effects, rescue medications, rate
changes, the end of the infusion), ``discharge`` (discharge and the signed note), ``rems`` (the Spravato form).
``checklist`` and ``notes`` are read-only.
"""

from ketaclinic.infusions.services.checkin import (
    Draw,
    acknowledge_risk,
    cancel_session,
    check_in_appointment,
    create_session,
    override_allergy,
    record_score,
    start,
    update_checkin,
)
from ketaclinic.infusions.services.common import SessionLocked, StaleSession
from ketaclinic.infusions.services.discharge import discharge_patient, sign_note
from ketaclinic.infusions.services.draws import correct_draw
from ketaclinic.infusions.services.events import (
    change_rate,
    end_infusion,
    record_rescue_medication,
    record_side_effect,
    update_side_effect,
)
from ketaclinic.infusions.services.monitoring import acknowledge_alert, mark_entered_in_error, record_vitals
from ketaclinic.infusions.services.rems import submit as submit_rems

__all__ = [
    "Draw",
    "SessionLocked",
    "StaleSession",
    "acknowledge_alert",
    "acknowledge_risk",
    "cancel_session",
    "change_rate",
    "check_in_appointment",
    "correct_draw",
    "create_session",
    "discharge_patient",
    "end_infusion",
    "mark_entered_in_error",
    "override_allergy",
    "record_rescue_medication",
    "record_score",
    "record_side_effect",
    "record_vitals",
    "sign_note",
    "start",
    "submit_rems",
    "update_checkin",
    "update_side_effect",
]
