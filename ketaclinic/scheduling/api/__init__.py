"""The calendar's REST endpoints (/api/v1/schedule; CONTRACTS.md §6), mounted by ``ketaclinic.api_v1``."""

from ketaclinic.scheduling.api.appointments import router

__all__ = ["router"]
