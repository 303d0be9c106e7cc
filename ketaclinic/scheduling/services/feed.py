"""Making and revoking a staff member's private calendar feed (``ketaclinic.scheduling.feed``), audited."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.scheduling.feed import token_hash
from ketaclinic.scheduling.models import CalendarFeed


def make_feed(*, by: User) -> tuple[CalendarFeed, str]:
    """A new feed for ``by`` (revoking any live one); returns the feed and its token, which is never stored."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        for old in CalendarFeed.objects.select_for_update().filter(user=by, revoked_at=None):
            _revoke(by, old, replaced=True)
        feed = CalendarFeed.objects.create(user=by, token_hash=token_hash(token))
        audit.record(actor=by, action="schedule.feed_created", obj=feed)
    return feed, token


def _revoke(by: User, feed: CalendarFeed, *, replaced: bool = False) -> None:
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit.record(actor=by, action="schedule.feed_revoked", obj=feed, detail={"replaced": replaced})


def revoke_feed(*, by: User, feed: CalendarFeed) -> None:
    """Only its owner revokes a feed here (a clinic admin deactivating the user stops every feed)."""
    if feed.user_id != by.pk:
        raise PermissionDenied("That is not your calendar feed.")
    with transaction.atomic():
        if feed.revoked_at is None:
            _revoke(by, feed)
