"""Every write of the intake app (ARCHITECTURE.md "services"), by concept:

- ``consultation``: public submission with rate limit and honeypot; triage, clinical review, conversion.
- ``assessment``: the intake assessment draft, its trials, medication reconciliation and rating scales; submission.
- ``decisions``: signing an eligibility decision (and its later versions); entered in error.
- ``referral``: a referral from another clinician's system (parsed by the FHIR layer) into the triage queue.
"""

from ketaclinic.intake.services import assessment, consultation, decisions, referral

__all__ = ["assessment", "consultation", "decisions", "referral"]
