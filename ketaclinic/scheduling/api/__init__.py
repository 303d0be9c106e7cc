"""The calendar's REST endpoints (/api/v1/schedule; CONTRACTS.md §6), mounted by ``ketaclinic.api_v1``."""

from ketaclinic.scheduling.api.appointments import router
from ketaclinic.scheduling.api.waiting import router as waiting_router

router.add_router("", waiting_router)

__all__ = ["router"]
