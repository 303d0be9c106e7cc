"""Billing pages under /billing/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ketaclinic.billing.views import ageing as ageing_views
from ketaclinic.billing.views import authorisations, claims, payers, profile, reconciliation, superbills
from ketaclinic.billing.views import estimates as estimate_views
from ketaclinic.billing.views import fees as fee_views
from ketaclinic.billing.views import invoices as invoice_views

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += [
    path("", invoice_views.home, name="home"),
    path("patients/<int:patient_id>/", invoice_views.patient_billing, name="patient"),
    path("patients/<int:patient_id>/package", invoice_views.invoice_package, name="invoice_package"),
    path("sessions/<int:session_id>/invoice", invoice_views.invoice_session, name="invoice_session"),
    path("invoices/<int:invoice_id>/", invoice_views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>.pdf", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/payments", invoice_views.payment_create, name="payment_create"),
    path("invoices/<int:invoice_id>/credit", invoice_views.credit_create, name="credit_create"),
    path("invoices/<int:invoice_id>/void", invoice_views.invoice_void, name="invoice_void"),
    path("payments/<int:payment_id>/refund", invoice_views.refund_create, name="refund_create"),
    path("payments/<int:payment_id>/receipt.pdf", invoice_views.receipt_pdf, name="receipt_pdf"),
    path("fees/", fee_views.fee_schedules, name="fee_schedules"),
    path("fees/new", fee_views.fee_schedule_create, name="fee_schedule_create"),
    path("fees/<int:schedule_id>/", fee_views.fee_schedule_detail, name="fee_schedule"),
    path("ageing/", ageing_views.ageing, name="ageing"),
    path("ageing.csv", ageing_views.ageing_csv, name="ageing_csv"),
    path("patients/<int:patient_id>/estimates/new", estimate_views.estimate_create, name="estimate_create"),
    path("estimates/<int:estimate_id>/", estimate_views.estimate_detail, name="estimate"),
    path("estimates/<int:estimate_id>.pdf", estimate_views.estimate_pdf, name="estimate_pdf"),
    path("claims/", claims.claim_list, name="claims"),
    path("claims/new/<int:session_id>/", claims.claim_new, name="claim_new"),
    path("claims/<int:claim_id>/", claims.claim_detail, name="claim"),
    path("claims/<int:claim_id>/status/", claims.claim_status, name="claim_status"),
    path("claims/<int:claim_id>/837p/", claims.claim_837p, name="claim_837p"),
    path("claims/<int:claim_id>/lines/<int:position>/charge/", claims.line_charge, name="line_charge"),
    path("profile/", profile.profile, name="profile"),
    path("profile/save/", profile.profile_save, name="profile_save"),
    path("profile/npi/", profile.provider_npi, name="provider_npi"),
    path("payers/", payers.payer_list, name="payers"),
    path("payers/<int:payer_id>/", payers.payer_edit, name="payer_edit"),
    path("patients/<int:patient_id>/coverage/", payers.coverage, name="coverage"),
    path("superbills/new/<int:session_id>/", superbills.superbill_new, name="superbill_new"),
    path("superbills/<int:superbill_id>.pdf", superbills.superbill_pdf, name="superbill_pdf"),
    path("superbills/<int:superbill_id>/", superbills.superbill_detail, name="superbill"),
    path("superbills/<int:superbill_id>/void/", superbills.superbill_void, name="superbill_void"),
    path("coverage/<int:coverage_id>/end/", payers.coverage_end, name="coverage_end"),
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
