"""Access-scoped reads of plans: through the patient's location, inside the query (404 otherwise)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ketaclinic.accounts.models import User
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.models import PlanVersion


def plan_versions_visible_to(user: User) -> QuerySet[PlanVersion]:
    return PlanVersion.objects.filter(plan__patient__in=patients_visible_to(user)).select_related(
        "plan__patient", "signed_by", "created_by"
    )


def get_version_for_user(user: User, version_id: int) -> PlanVersion:
    version = plan_versions_visible_to(user).filter(pk=version_id).first()
    if version is None:
        raise Http404("No such plan.")
    return version


def latest_plan_dimensions(patient_id: int) -> dict[str, str]:
    """Indication, route and protocol of the patient's latest signed (or since superseded) plan version; empty when
    there is none (registered with ``outcomes.hooks``: course summaries are grouped by them on the dashboard)."""
    version = (
        PlanVersion.objects.filter(
            plan__patient_id=patient_id, status__in=[PlanVersion.Status.SIGNED, PlanVersion.Status.SUPERSEDED]
        )
        .order_by("-signed_at", "-pk")
        .values("indication", "route", "protocol_id")
        .first()
    )
    return {key: str(value) for key, value in version.items()} if version else {}
