"""The infusions app's REST endpoints (/api/v1/sessions), mounted by ``ketaclinic.api_v1``.

- ``sessions``: the endpoints; ``schemas``: their request and response bodies.
"""

from ketaclinic.infusions.api.sessions import router

__all__ = ["router"]
