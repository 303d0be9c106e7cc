"""/api/v1: every app's router mounted on the one NinjaAPI (CONTRACTS §3).

This is the top of the house (ARCHITECTURE.md "One direction"): it may import every app; ``ketaclinic.api`` below it is
infrastructure (auth, idempotency, pagination, shared schemas, error answers) and imports none of them.
"""

from __future__ import annotations

from ketaclinic.api.router import api
from ketaclinic.billing.api import router as billing_router
from ketaclinic.followup.api import dashboard_router, questionnaire_router
from ketaclinic.homecare.api import router as homecare_router
from ketaclinic.infusions.api import router as infusions_router
from ketaclinic.intake.api import router as intake_router
from ketaclinic.ledger.api import router as ledger_router
from ketaclinic.outcomes.api import alerts_router, outcomes_router
from ketaclinic.patients.api import router as patients_router
from ketaclinic.plans.api import router as plans_router
from ketaclinic.scheduling.api import router as schedule_router

api.add_router("/patients", patients_router, tags=["patients"])
api.add_router("/intake", intake_router, tags=["intake"])
api.add_router("/ledger", ledger_router, tags=["ledger"])
api.add_router("/alerts", alerts_router, tags=["alerts"])
api.add_router("/plans", plans_router, tags=["plans"])
api.add_router("/schedule", schedule_router, tags=["schedule"])
api.add_router("/sessions", infusions_router, tags=["sessions"])
api.add_router("/outcomes/questionnaire-links", questionnaire_router, tags=["outcomes"])
api.add_router("/outcomes/dashboard", dashboard_router, tags=["outcomes"])
api.add_router("/outcomes", outcomes_router, tags=["outcomes"])
api.add_router("/billing", billing_router, tags=["billing"])
api.add_router("/homecare", homecare_router, tags=["homecare"])

__all__ = ["api"]
