"""The video link of a telehealth visit (domain.scheduling.video): set or changed by staff who book, audited.

ketaclinic hosts no video: the link is the meeting address on the clinic's own video service. It is shown to staff on
the day view and to the patient in the portal's upcoming visits and reminders.
"""

from __future__ import annotations

from django.db import transaction

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling.video import VIDEO_KINDS, video_link_problem
from ketaclinic.locking import lock
from ketaclinic.scheduling.models import Appointment


def checked_video_url(kind: str, url: str) -> str:
    """The link as it will be kept ("" for none); a bad one raises ``ServiceError`` on ``video_url``."""
    url = url.strip()
    if not url:
        return ""
    if kind not in VIDEO_KINDS:
        raise ServiceError("Only a telehealth visit has a video link.", field="video_url")
    problem = video_link_problem(url)
    if problem:
        raise ServiceError(problem, field="video_url")
    return url


@transaction.atomic
def set_video_link(*, by: User, appointment: Appointment, url: str) -> Appointment:
    """Set, change or clear (empty ``url``) the video link of a booked telehealth visit."""
    if not role_can(by.role, "schedule.book"):
        raise PermissionDenied("Your role does not allow this (schedule.book).")
    current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
    if not by.locations.filter(pk=current.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    if current.kind not in VIDEO_KINDS:
        raise ServiceError("Only a telehealth visit has a video link.", field="video_url")
    if current.status != Appointment.Status.BOOKED:
        raise ServiceError(f"The visit is {current.get_status_display().lower()}; its link cannot change.")
    link = checked_video_url(current.kind, url)
    Appointment.objects.filter(pk=current.pk).update(video_url=link, version=current.version + 1)
    current.refresh_from_db()
    audit.record(
        actor=by,
        action="schedule.video_link",
        obj=current,
        patient_id=current.patient_id,
        detail={"set": bool(link), "host": link.split("/")[2] if link else ""},
    )
    return current
