"""Token rows do not live forever: ``purge_tokens`` (``ketaclinic manage purge_tokens``, one of the ``ketaclinic
jobs``) removes or blanks them once they are past their expiry and ``KETACLINIC_TOKEN_RETENTION_DAYS``.

security.md "Input": patient links are single-purpose, expiring tokens. A token row is not a clinical record: what
was sent, opened, used and refused is already in the audit log (append-only, hash-chained; kept as HIPAA's
documentation rule asks, 45 CFR 164.316(b)(2)), which names each row by its id. So, past the retention window:

- portal sign-in links (``SignInLink``) and link requests (``SignInRequest``, the rate limits' counts) are deleted;
- the two one-time form tables (``accounts.FormSubmission``, ``infusions.FormSubmission``: the double-submit guards)
  are deleted: a form held open past the window is long stale;
- appointment messages (reminders with their confirm link) and waiting-list offers stay, since the front desk's
  queue and the offer's outcome live on them, but their token hash is replaced by a marker that no token can match
  (``PURGED``), so the row can never open anything again.

Idempotent; safe from cron and from two machines at once (each step is one statement).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from ketaclinic.accounts.models import FormSubmission as StaffFormSubmission
from ketaclinic.audit import services as audit
from ketaclinic.infusions.models import FormSubmission as ChairFormSubmission
from ketaclinic.portal.models import SignInLink, SignInRequest
from ketaclinic.scheduling.models import AppointmentMessage, WaitingOffer

#: A token hash is 64 hex digits; this prefix (not hex) marks one blanked by the purge, unique with the row's id.
PURGED = "purged-"


@dataclass(frozen=True)
class Purged:
    sign_in_links: int
    sign_in_requests: int
    staff_form_tokens: int
    chair_form_tokens: int
    visit_links: int
    waiting_offers: int

    def lines(self) -> list[str]:
        return [
            f"portal sign-in links deleted: {self.sign_in_links}",
            f"portal link requests deleted: {self.sign_in_requests}",
            f"staff form tokens deleted: {self.staff_form_tokens}",
            f"chair form tokens deleted: {self.chair_form_tokens}",
            f"visit links closed: {self.visit_links}",
            f"waiting-list offer links closed: {self.waiting_offers}",
        ]


def _marker() -> Concat:
    return Concat(Value(PURGED), Cast(F("pk"), output_field=CharField()), output_field=CharField())


def purge_tokens(*, now: dt.datetime | None = None) -> Purged:
    """Remove or blank every token row past its expiry and the retention window; audit the counts (never a token)."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.KETACLINIC_TOKEN_RETENTION_DAYS)
    # The rate limits count requests inside their window: never purge inside it, whatever the retention says.
    window = dt.timedelta(minutes=settings.KETACLINIC_PORTAL_LINK_WINDOW_MIN)
    with transaction.atomic():
        links, _ = SignInLink.objects.filter(expires_at__lt=cutoff).delete()
        requests, _ = SignInRequest.objects.filter(requested_at__lt=min(cutoff, moment - window)).delete()
        staff, _ = StaffFormSubmission.objects.filter(created_at__lt=cutoff).delete()
        chair, _ = ChairFormSubmission.objects.filter(created_at__lt=cutoff).delete()
        visits = (
            AppointmentMessage.objects.filter(expires_at__lt=cutoff)
            .exclude(token_hash__startswith=PURGED)
            .update(token_hash=_marker())
        )
        offers = (
            WaitingOffer.objects.filter(slot__expires_at__lt=cutoff)
            .exclude(token_hash__startswith=PURGED)
            .update(token_hash=_marker())
        )
        result = Purged(links, requests, staff, chair, visits, offers)
        if any(vars(result).values()):
            audit.record(
                actor=None,
                action="tokens.purge",
                detail={**vars(result), "retention_days": settings.KETACLINIC_TOKEN_RETENTION_DAYS},
            )
    return result
