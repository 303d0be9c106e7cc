"""The public home page, the staff dashboard and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.patients.queries import patients_visible_to


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_GET
@staff_view()
def dashboard(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "patient_count": patients_visible_to(user).count(),
        "my_patients": patients_visible_to(user).filter(primary_clinician=user).order_by("family_name")[:10],
        "locations": user.locations.all(),
    }
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
