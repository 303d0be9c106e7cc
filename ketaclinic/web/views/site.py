"""The public site (education pages and the way to the consultation request), the staff dashboard, the health check."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.audit.reads import record_patients_shown
from ketaclinic.homecare.queries import open_reviews_for as open_home_reviews_for
from ketaclinic.intake.queries import awaiting_review, requests_visible_to
from ketaclinic.outcomes.queries import can_see_alerts, open_alerts_for, sees_escalated_only, with_escalation_delay
from ketaclinic.patients.queries import patients_visible_to


def public_page(template: str) -> Callable[[HttpRequest], HttpResponse]:
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template)

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".html")
    return view


home = public_page("web/home.html")


@require_GET
@staff_view()
def dashboard(request: AuthedRequest) -> HttpResponse:
    user = request.user
    my_patients = list(patients_visible_to(user).filter(primary_clinician=user).order_by("family_name")[:10])
    alerts = with_escalation_delay(open_alerts_for(user)[:20]) if can_see_alerts(user) else []
    to_review = list(awaiting_review(user)[:10]) if role_can(user.role, "eligibility.sign") else []
    home_reviews = open_home_reviews_for(user) if role_can(user.role, "clinical.record") else []
    context = {
        "patient_count": patients_visible_to(user).count(),
        "my_patients": my_patients,
        "locations": user.locations.all(),
        # Clinicians: open alerts for them; clinic admins: open alerts escalated to them (outcomes.queries).
        "alerts": alerts,
        "alerts_escalated_only": sees_escalated_only(user),
        "new_requests": requests_visible_to(user).filter(status="new").count(),
        "review_requests": requests_visible_to(user)
        .filter(
            needs_clinical_review=True, clinical_reviewed_at__isnull=True, status__in=["new", "contacted", "booked"]
        )
        .count(),
        "to_review": to_review,
        "home_reviews": home_reviews,
    }
    # The dashboard names patients (own patients, alerts, intakes to review): a patient-data read (security.md H4).
    shown = [
        *(patient.pk for patient in my_patients),
        *(alert.patient_id for alert in alerts),
        *(intake.patient_id for intake in to_review),
        *(review.prescription.programme.patient_id for review in home_reviews),
    ]
    audit.record(actor=user, action="dashboard.view", detail={"patients_shown": len(set(shown))})
    record_patients_shown(request, action="dashboard.patient_shown", patient_ids=shown)
    return render(request, "web/dashboard.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """CONTRACTS §3: 200 with the database reachable, 503 naming the failing part otherwise. No auth."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means the same to a load balancer
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
