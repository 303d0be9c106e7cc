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
