"""The site's URLs: every app's pages and, at /api/v1/, every app's API router (``ketaclinic.api_v1``).

This module is the top of the house (ARCHITECTURE.md "One direction"): it may import every app. Apps whose pages live
under several prefixes expose one ``urls`` module with a list per prefix; the namespaces are the ones templates and
tests reverse (``consultation:``, ``questionnaire:``, ``dashboard:`` …).
"""

from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from ketaclinic.api_v1 import api
from ketaclinic.followup import urls as followup_urls
from ketaclinic.intake import urls as intake_urls
from ketaclinic.plans import urls as plans_urls
from ketaclinic.scheduling import urls as scheduling_urls
from ketaclinic.web import urls as web_urls
from ketaclinic.web.views import site as web_views

# The back office requires the same second factor as the staff application.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "ketaclinic back office"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include("ketaclinic.accounts.urls")),
    path("patients/", include("ketaclinic.patients.urls")),
    path("consents/", include("ketaclinic.consents.urls")),
    path("audit/", include((web_urls.audit_patterns, "audit"))),
    path("consultation/", include((intake_urls.public_patterns, "consultation"))),
    path("intake/", include("ketaclinic.intake.urls")),
    path("alerts/", include("ketaclinic.outcomes.urls")),
    path("q/", include((followup_urls.questionnaire_public_patterns, "questionnaire"))),
    path("outcomes/questionnaires/", include((followup_urls.questionnaire_patterns, "questionnaires"))),
    path("outcomes/patient/", include((followup_urls.trajectory_patterns, "trajectory"))),
    path("outcomes/dashboard/", include((followup_urls.dashboard_patterns, "dashboard"))),
    path("outcomes/letters/", include((followup_urls.letter_patterns, "letters"))),
    path("ledger/", include("ketaclinic.ledger.urls")),
    path("homecare/", include("ketaclinic.homecare.urls")),
    # A plan's pages come from plans; adjusting it from its trajectory comes from followup (above plans), in the
    # same namespace and under the same prefix as before the split.
    path("plans/", include((plans_urls.urlpatterns + followup_urls.plan_patterns, "plans"))),
    path("schedule/", include("ketaclinic.scheduling.urls")),
    path("a/", include((scheduling_urls.public_patterns, "visit"))),
    path("portal/", include("ketaclinic.portal.urls")),
    path("billing/", include("ketaclinic.billing.urls")),
    path("sessions/", include("ketaclinic.infusions.urls")),
    path("pain/", include("ketaclinic.pain.urls")),
    path("api/v1/", api.urls),
    path("fhir/r4/", include("ketaclinic.fhir.urls")),
    path("admin/", admin.site.urls),
    path("", include("ketaclinic.web.urls")),
]
