"""The follow-up app's REST endpoints, mounted by ``ketaclinic.api_v1``.

- ``dashboard``: /api/v1/outcomes/dashboard, the clinic's outcome figures;
- ``questionnaires``: /api/v1/outcomes/questionnaire-links, a patient's links and sending one now.
"""

from ketaclinic.followup.api.dashboard import router as dashboard_router
from ketaclinic.followup.api.questionnaires import router as questionnaire_router

__all__ = ["dashboard_router", "questionnaire_router"]
