"""The intake app's REST endpoints (/api/v1/intake), mounted by ``ketaclinic.api_v1``.

- ``consultation``: consultation requests (and the router the others join);
- ``assessment``: intake assessments; ``eligibility``: eligibility review and decisions;
- ``schemas``: request and response bodies; ``common``: the role check and time helpers they share.
"""

from ketaclinic.intake.api.consultation import router

__all__ = ["router"]
