"""The intake app's pages: ``triage`` (consultation requests), ``assessment`` (the intake assessment on the chart),
``eligibility`` (review and sign-off) and ``public`` (the consultation request form, no login)."""
