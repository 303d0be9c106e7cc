from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from ketaclinic.api.router import api
from ketaclinic.web import views as web_views

# The back office requires the same second factor as the staff application.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "ketaclinic back office"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include("ketaclinic.accounts.urls")),
    path("patients/", include("ketaclinic.patients.urls")),
    path("audit/", include("ketaclinic.audit.urls")),
    path("consultation/", include("ketaclinic.intake.public_urls")),
    path("intake/", include("ketaclinic.intake.urls")),
    path("alerts/", include("ketaclinic.outcomes.urls")),
    path("q/", include("ketaclinic.outcomes.public_urls")),
    path("outcomes/questionnaires/", include("ketaclinic.outcomes.questionnaire_urls")),
    path("outcomes/patient/", include("ketaclinic.outcomes.trajectory_urls")),
    path("outcomes/dashboard/", include("ketaclinic.outcomes.dashboard_urls")),
    path("ledger/", include("ketaclinic.ledger.urls")),
    path("plans/", include("ketaclinic.plans.urls")),
    path("sessions/", include("ketaclinic.infusions.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("ketaclinic.web.urls")),
]
