"""The outcomes app's REST endpoints, mounted by ``ketaclinic.api_v1``.

- ``alerts``: /api/v1/alerts, safety alerts and acknowledging one;
- ``series``: /api/v1/outcomes, a patient's outcome series and course summaries.
"""

from ketaclinic.outcomes.api.alerts import router as alerts_router
from ketaclinic.outcomes.api.series import router as outcomes_router

__all__ = ["alerts_router", "outcomes_router"]
