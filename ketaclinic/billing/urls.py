"""Billing pages under /billing/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from ketaclinic.billing.views import authorisations, reconciliation

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
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
