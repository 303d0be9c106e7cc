"""Writes of the follow-up app: keyword-only, atomic, audited.

- ``questionnaires``: issue, send, open, submit and revoke questionnaire links;
- ``schedule``: the scheduler ``send_questionnaires`` runs (what is due now, issued and sent);
- ``adjustments``: a prescriber's plan adjustment decided from the trajectory.
"""
