"""The multimodal pain plan alongside the ketamine plan (issue 21): goals, referrals to external providers, and
medication-management entries. MME/day itself is on the chart (``patients.opioids``, ``domain.pain``)."""
