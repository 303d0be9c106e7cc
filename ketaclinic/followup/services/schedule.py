"""The questionnaire scheduler that ``send_questionnaires`` runs: issue the questionnaires due now and send them.

What is due comes from ``ketaclinic.domain.questionnaires`` (the cadence: before each session, then follow-ups at the
clinic's interval); issuing and sending are ``followup.services.questionnaires`` (links). Safe to run from cron on
several machines at once: issuing is idempotent under a unique ``schedule_key`` and sending skips a link another
process holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.domain import home_monitoring as home_rules
from ketaclinic.domain import questionnaires as schedule
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import home_screens
from ketaclinic.followup.services import questionnaires as links
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan


def cadence() -> schedule.Cadence:
    return schedule.Cadence(
        lead_hours=settings.KETACLINIC_QUESTIONNAIRE_LEAD_HOURS,
        link_hours=settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS,
        follow_up_interval_days=settings.KETACLINIC_FOLLOW_UP_INTERVAL_DAYS,
        early_interval_days=settings.KETACLINIC_FOLLOW_UP_EARLY_INTERVAL_DAYS,
        early_window_days=settings.KETACLINIC_FOLLOW_UP_EARLY_WINDOW_DAYS,
    )


def plan_states(now: dt.datetime) -> list[tuple[Patient, schedule.PlanState]]:
    """Each active plan with a signed version, as the scheduler's plain input."""
    found = []
    plans = TreatmentPlan.objects.filter(
        status=TreatmentPlan.Status.ACTIVE,
        patient__entered_in_error=False,
        versions__status=PlanVersion.Status.SIGNED,
    ).select_related("patient__location__clinic")
    for plan in plans.distinct().order_by("pk"):
        signed = plan.signed_version
        if signed is None:  # pragma: no cover (filtered above)
            continue
        patient = plan.patient
        zone = links.clinic_zone(patient)
        scales = schedule.instruments_for(signed.indication)
        open_orders = tuple(
            signed.orders.filter(status=SessionOrder.Status.OPEN).values_list("pk", "target_date").order_by("pk")
        )
        ended = SessionOrder.objects.filter(plan_version__plan=plan, status=SessionOrder.Status.GIVEN).aggregate(
            last=Max("target_date")
        )["last"]
        measured = Measurement.objects.filter(patient=patient, entered_in_error=False, instrument__in=scales).aggregate(
            last=Max("taken_at")
        )["last"]
        last_fu = QuestionnaireLink.objects.filter(schedule_key__startswith=f"fu:{plan.pk}:").aggregate(
            last=Max("due_on")
        )["last"]
        state = schedule.PlanState(
            plan_id=plan.pk,
            active=True,
            indication=signed.indication,
            open_orders=open_orders,
            series_ended_on=ended,
            last_measured_on=timezone.localtime(measured, zone).date() if measured else None,
            last_follow_up_due_on=last_fu,
        )
        found.append((patient, state))
    return found


@dataclass
class ScheduleReport:
    issued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    to_send: list[int] = field(default_factory=list)

    def lines(self, *, dry_run: bool) -> list[str]:
        would = "would " if dry_run else ""
        out = [f"{would}issue {key}" for key in self.issued]
        out += [f"already issued {key}" for key in self.already]
        out += [f"{would}send link #{pk}" for pk in (self.to_send if dry_run else [])]
        out += [f"sent link #{pk}" for pk in self.sent]
        out += [f"could not send link #{pk}: {error}" for pk, error in self.failed]
        out += [f"skipped link #{pk} (another process is sending it)" for pk in self.skipped]
        verb = "would issue" if dry_run else "issued"
        sent = len(self.to_send) if dry_run else len(self.sent)
        out.append(
            f"{verb} {len(self.issued)}, already issued {len(self.already)}, "
            f"{'would send' if dry_run else 'sent'} {sent}, failed {len(self.failed)}, skipped {len(self.skipped)}"
        )
        return out


def _unsent(now: dt.datetime) -> list[int]:
    return list(
        QuestionnaireLink.objects.filter(
            sent_at__isnull=True,
            completed_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            send_attempts__lt=links.MAX_SEND_ATTEMPTS,
        )
        .exclude(session_order__isnull=False, session_order__status__in=["given", "cancelled"])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def run_schedule(*, now: dt.datetime | None = None, base_url: str, dry_run: bool = False) -> ScheduleReport:
    """Issue every questionnaire due now (idempotent: one link per schedule key), then send every link not yet sent.

    Safe to run from cron every few minutes and from two machines at once: keys are unique and each send locks its
    row with ``skip_locked``. ``dry_run`` reports what would be done and writes nothing.
    """
    moment = now or timezone.now()
    report = ScheduleReport()
    config = cadence()
    for patient, state in plan_states(moment):
        for due in schedule.due_questionnaires([state], now=moment, tz=links.clinic_zone(patient), cadence=config):
            if dry_run:
                (report.already if links._existing(due.key) else report.issued).append(due.key)
                continue
            issued = links.issue_link(
                by=None,
                patient=patient,
                purpose=due.purpose,
                scales=due.instruments,
                schedule_key=due.key,
                due_on=due.due_on,
                expires_at=due.closes_at,
                session_order=_order(due.order_id),
            )
            (report.issued if issued.created else report.already).append(due.key)
    for screen in home_screens.due_home_screens(moment):
        if dry_run:
            (report.already if links._existing(screen.due.key) else report.issued).append(screen.due.key)
            continue
        issued = links.issue_link(
            by=None,
            patient=screen.patient,
            purpose=QuestionnaireLink.Purpose.FOLLOW_UP,
            scales=home_rules.SCREEN_INSTRUMENTS,
            schedule_key=screen.due.key,
            due_on=screen.due.due_on,
            expires_at=moment + dt.timedelta(hours=config.link_hours),
        )
        (report.issued if issued.created else report.already).append(screen.due.key)
    if dry_run:
        report.to_send = _unsent(moment)
        return report
    for pk in _unsent(moment):
        link = QuestionnaireLink.objects.get(pk=pk)
        try:
            delivery = links.send_link(by=None, link=link, base_url=base_url)
        except ServiceError as refused:  # completed or revoked since the list was read
            report.failed.append((pk, refused.message))
            continue
        if delivery.link is None:
            report.skipped.append(pk)
        elif delivery.sent:
            report.sent.append(pk)
        else:
            report.failed.append((pk, delivery.error))
    return report


def _order(order_id: int | None) -> Any:
    if order_id is None:
        return None
    return SessionOrder.objects.get(pk=order_id)
