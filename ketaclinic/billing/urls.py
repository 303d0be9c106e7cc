"""Billing pages under /billing/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ketaclinic.billing.views import authorisations, claims, payers, profile, reconciliation, superbills

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    path("claims/", claims.claim_list, name="claims"),
    path("claims/new/<int:session_id>/", claims.claim_new, name="claim_new"),
    path("claims/<int:claim_id>/", claims.claim_detail, name="claim"),
    path("claims/<int:claim_id>/status/", claims.claim_status, name="claim_status"),
    path("claims/<int:claim_id>/837p/", claims.claim_837p, name="claim_837p"),
    path("profile/", profile.profile, name="profile"),
    path("profile/save/", profile.profile_save, name="profile_save"),
    path("profile/npi/", profile.provider_npi, name="provider_npi"),
    path("payers/", payers.payer_list, name="payers"),
    path("payers/<int:payer_id>/", payers.payer_edit, name="payer_edit"),
    path("patients/<int:patient_id>/coverage/", payers.coverage, name="coverage"),
    path("superbills/new/<int:session_id>/", superbills.superbill_new, name="superbill_new"),
    path("superbills/<int:superbill_id>.pdf", superbills.superbill_pdf, name="superbill_pdf"),
    path(
        "patients/<int:patient_id>/authorisations/",
        authorisations.patient_authorisations,
        name="patient_authorisations",
    ),
    path("authorisations/<int:authorisation_id>/withdraw/", authorisations.withdraw, name="authorisation_withdraw"),
    path("authorisations/running-out/", authorisations.running_out, name="authorisations_running_out"),
    path("reconciliation/", reconciliation.report, name="reconciliation"),
    path("reconciliation.csv", reconciliation.report_csv, name="reconciliation_csv"),
]
