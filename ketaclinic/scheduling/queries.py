"""Access-scoped reads of the calendar: a user sees the resources and appointments of their own locations only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Location, User
from ketaclinic.scheduling.models import Appointment, Chair, RosterShift


def locations_of(user: User) -> QuerySet[Location]:
    if not user.is_authenticated or not user.is_active:
        return Location.objects.none()
    return user.locations.filter(is_active=True).select_related("clinic").order_by("name", "pk")


def get_location_for_user(user: User, location_id: int) -> Location:
    location = locations_of(user).filter(pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(location__in=locations_of(user)).select_related("patient", "chair", "location")


def get_appointment_for_user(user: User, appointment_id: int) -> Appointment:
    appointment = appointments_visible_to(user).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def chairs_visible_to(user: User) -> QuerySet[Chair]:
    return Chair.objects.filter(location__in=locations_of(user)).select_related("location")


def shifts_visible_to(user: User) -> QuerySet[RosterShift]:
    return RosterShift.objects.filter(location__in=locations_of(user)).select_related("user", "location")
