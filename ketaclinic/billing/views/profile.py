"""/billing/profile/: clinic admins edit a location's billing identity and clinicians' NPIs (audited services)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.billing.claim_forms import ProfileForm, ProviderNpiForm
from ketaclinic.billing.models import BillingProfile, ProviderIdentity
from ketaclinic.billing.services import profile as services
from ketaclinic.scheduling.views.common import chosen_location


def _clinicians(request: AuthedRequest) -> Any:
    return User.objects.filter(clinic_id=request.user.clinic_id or 0, role__in=("prescriber", "nurse"), is_active=True)


def _render(
    request: AuthedRequest,
    location: Location,
    *,
    form: ProfileForm | None = None,
    npi_form: ProviderNpiForm | None = None,
) -> HttpResponse:
    profile = BillingProfile.objects.filter(location=location).first()
    context = {
        "location": location,
        "locations": request.user.locations.all(),
        "form": form or ProfileForm(instance=profile),
        "npi_form": npi_form or ProviderNpiForm(clinicians=_clinicians(request)),
        "identities": ProviderIdentity.objects.filter(user__clinic_id=request.user.clinic_id or 0 or 0).select_related(
            "user"
        ),
    }
    return render(request, "billing/profile.html", context, status=422 if (form or npi_form) else 200)


def _back(location: Location) -> HttpResponse:
    return redirect(f"{reverse('billing:profile')}?location={location.pk}")


@require_GET
@staff_view("billing.setup")
def profile(request: AuthedRequest) -> HttpResponse:
    return _render(request, chosen_location(request))


@require_POST
@staff_view("billing.setup")
def profile_save(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = ProfileForm(request.POST, instance=BillingProfile.objects.filter(location=location).first())

    def act(data: dict[str, Any]) -> Done:
        services.save_profile(by=request.user, location=location, **data)
        return "Billing identity saved.", _back(location)

    return submitted(request, form, act) or _render(request, location, form=form)


@require_POST
@staff_view("billing.setup")
def provider_npi(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = ProviderNpiForm(request.POST, clinicians=_clinicians(request))

    def act(data: dict[str, Any]) -> Done:
        services.save_provider_npi(
            by=request.user, user=data["user"], npi=data["npi"], taxonomy_code=data["taxonomy_code"]
        )
        return f"NPI saved for {data['user'].display_name}.", _back(location)

    return submitted(request, form, act) or _render(request, location, npi_form=form)
