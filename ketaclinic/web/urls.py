"""The site's own pages. ``urlpatterns`` (namespace ``web``) at the root; ``audit_patterns`` (namespace ``audit``) at
/audit/, the audit viewer."""

from django.urls import path

from ketaclinic.web.views import audit_log, clinical_settings
from ketaclinic.web.views import site as views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("what-is-ketamine-therapy/", views.public_page("web/about.html"), name="about"),
    path("how-it-works/", views.public_page("web/how_it_works.html"), name="how_it_works"),
    path("what-it-treats/", views.public_page("web/conditions.html"), name="conditions"),
    path("ways-it-is-given/", views.public_page("web/treatments.html"), name="treatments"),
    path("your-session/", views.public_page("web/session.html"), name="session"),
    path("risks/", views.public_page("web/risks.html"), name="risks"),
    path("who-it-is-not-for/", views.public_page("web/candidates.html"), name="candidates"),
    path("staff/", views.dashboard, name="dashboard"),
    path("staff/clinical-settings/", clinical_settings.clinical_settings, name="clinical_settings"),
]

audit_patterns = [
    path("", audit_log.audit_list, name="list"),
    path("export.csv", audit_log.audit_export, name="export"),
]
