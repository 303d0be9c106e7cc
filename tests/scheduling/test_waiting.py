"""The waiting list (issue 17): add and withdraw, who fits a freed chair (the booking rules decide), offers by message
with a one-time link, the first to accept is booked and later ones stay on the list."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment, SlotOffer, WaitingListEntry, WaitingOffer
from ketaclinic.scheduling.services import waiting
from ketaclinic.scheduling.services.reminders import LinkUnavailable
from tests.scheduling.conftest import local
from tests.scheduling.waiting_scene import Scene, freed_chair_scene, join, take_chair, waiter

pytestmark = pytest.mark.django_db
BASE_URL = "https://clinic.example"


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def scene(carol: Any, bob: Any, main_st: Any, pat: Any, iv_order: Any, floor: dict[str, Any], day: dt.date) -> Scene:
    return freed_chair_scene(carol, bob, main_st, pat, iv_order, floor, day)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local(day, 0), local(day + dt.timedelta(days=1), 0)


def tokens() -> list[str]:
    return [re.search(r"/a/o/([\w-]+)/", m.body).group(1) for m in mail.outbox]  # type: ignore[union-attr]


def offer_both(carol: Any, main_st: Any, scene: Scene) -> SlotOffer:
    c = scene.cancelled
    return waiting.offer(
        by=carol,
        location=main_st,
        chair=scene.chair,
        start=c.starts_at,
        end=c.ends_at,
        entries=[scene.first, scene.second],
        base_url=BASE_URL,
        freed_by=c,
    )


class TestTheList:
    def test_add_puts_the_patient_on_the_list_audited(self, scene: Scene) -> None:
        entry = WaitingListEntry.objects.get(pk=scene.first.pk)
        assert entry.status == "waiting" and entry.kind == "infusion_iv" and entry.note == "Can come at short notice"
        assert AuditEvent.objects.filter(action="schedule.waiting_add", object_id=str(entry.pk)).exists()

    def test_bad_input_is_refused_and_writes_nothing(
        self, carol: Any, bob: Any, main_st: Any, pat: Any, iv_order: Any, day: dt.date
    ) -> None:
        version = iv_order.plan_version
        before = WaitingListEntry.objects.count()
        with pytest.raises(ServiceError, match="latest date is before"):
            join(carol, main_st, pat, version, day, earliest=day, latest=day - dt.timedelta(days=1))
        with pytest.raises(ServiceError, match="needs the patient's signed plan"):
            join(carol, main_st, pat, None, day)
        with pytest.raises(ServiceError, match="Over by"):
            join(carol, main_st, pat, version, day, not_before=dt.time(14), not_after=dt.time(9))
        with pytest.raises(ServiceError, match="Weekdays"):
            join(carol, main_st, pat, version, day, weekdays=[7])
        other, _ = waiter(main_st, bob, "Olu", "Ade")
        with pytest.raises(ServiceError, match="another patient"):
            join(carol, main_st, other, version, day)
        with pytest.raises(ServiceError, match="passed"):
            join(
                carol,
                main_st,
                pat,
                version,
                day,
                earliest=day - dt.timedelta(days=30),
                latest=day - dt.timedelta(days=20),
            )
        assert WaitingListEntry.objects.count() == before

    def test_only_staff_who_book_at_the_location(
        self, dave: Any, erin: Any, alice: Any, main_st: Any, lakeside: Any, pat: Any, iv_order: Any, day: dt.date
    ) -> None:
        with pytest.raises(PermissionDenied):
            join(dave, main_st, pat, iv_order.plan_version, day)  # clinic admins manage, they do not book
        with pytest.raises(PermissionDenied):
            join(erin, main_st, pat, iv_order.plan_version, day)  # a nurse of another location
        assert join(alice, main_st, pat, iv_order.plan_version, day).status == "waiting"

    def test_withdraw_needs_a_reason_and_keeps_the_row(self, carol: Any, scene: Scene) -> None:
        with pytest.raises(ServiceError, match="Say why"):
            waiting.withdraw(by=carol, entry=scene.first, reason="  ")
        done = waiting.withdraw(by=carol, entry=scene.first, reason="Found another clinic")
        assert done.status == "withdrawn" and done.withdraw_reason == "Found another clinic"
        assert done.withdrawn_by == carol and WaitingListEntry.objects.filter(pk=done.pk).exists()
        with pytest.raises(ServiceError, match="withdrawn"):
            waiting.withdraw(by=carol, entry=done, reason="again")
        assert AuditEvent.objects.filter(action="schedule.waiting_withdraw").count() == 1


class TestWhoFits:
    def test_a_cancelled_chair_lists_the_waiting_patients_that_fit(
        self, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        (freed,) = waiting.freed_slots(main_st, *day_bounds(day))
        assert freed.chair == scene.chair and freed.start == scene.cancelled.starts_at
        assert [m.entry.pk for m in freed.matches] == [scene.first.pk, scene.second.pk]
        assert all(m.order is not None and m.order.session_number == 1 for m in freed.matches)

    def test_wishes_and_the_booking_rules_decide(
        self, carol: Any, bob: Any, main_st: Any, scene: Scene, floor: dict[str, Any], day: dt.date
    ) -> None:
        waiting.withdraw(by=carol, entry=scene.first, reason="moved away")
        other_day = (day.weekday() + 1) % 7
        not_that_day, plan = waiter(main_st, bob, "Ann", "Lee")
        join(carol, main_st, not_that_day, plan, day, weekdays=[other_day])
        too_late, plan = waiter(main_st, bob, "Ben", "Ito")
        join(carol, main_st, too_late, plan, day, not_after=dt.time(15))
        later, plan = waiter(main_st, bob, "Cy", "Ma")
        join(carol, main_st, later, plan, day, earliest=day + dt.timedelta(days=1))
        # Kim (the second entry) is booked elsewhere at 14:30 that day: the rules refuse a double booking.
        services.book(
            by=carol, patient=scene.second.patient, kind="consultation", location=main_st, start=local(day, 14, 30)
        )
        consult, _ = waiter(main_st, bob, "Dee", "Fox")
        waiting.add(by=carol, location=main_st, patient=consult, kind="consultation", earliest=day, latest=day)
        (freed,) = waiting.freed_slots(main_st, *day_bounds(day))
        assert freed.matches == []
        why = {
            e.patient.given_name: waiting.check_entry(e, scene.chair, freed.start, freed.end).problems
            for e in WaitingListEntry.objects.filter(status="waiting")
        }
        assert "not a preferred weekday" in why["Ann"][0]
        assert why["Ben"] == ("ends after 15:00",)
        assert "before the earliest date" in why["Cy"][0]
        assert any("already booked" in p or "patient" in p.lower() for p in why["Kim"]), why["Kim"]
        assert why["Dee"] == ("does not need a chair",)

    def test_a_chair_booked_again_is_no_longer_freed(
        self, carol: Any, bob: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        take_chair(carol, bob, main_st, scene.chair, local(day, 14))
        assert waiting.freed_slots(main_st, *day_bounds(day)) == []

    def test_nobody_waiting_shows_no_freed_chair(self, carol: Any, main_st: Any, scene: Scene, day: dt.date) -> None:
        for entry in (scene.first, scene.second):
            waiting.withdraw(by=carol, entry=entry, reason="booked by phone")
        assert waiting.freed_slots(main_st, *day_bounds(day)) == []

    def test_a_chosen_free_time(self, main_st: Any, scene: Scene, floor: dict[str, Any], day: dt.date) -> None:
        found = waiting.matches(location=main_st, chair=floor["chair2"], start=local(day, 9), end=local(day, 12))
        assert [m.entry.pk for m in found] == [scene.first.pk, scene.second.pk]
        assert (
            waiting.matches(location=main_st, chair=floor["chair2"], start=local(day, 9), end=local(day, 9, 30)) == []
        )
        with pytest.raises(ServiceError, match="not after"):
            waiting.matches(location=main_st, chair=floor["chair2"], start=local(day, 9), end=local(day, 9))


class TestOffers:
    def test_each_chosen_patient_gets_a_private_message_with_a_link(
        self, carol: Any, main_st: Any, scene: Scene
    ) -> None:
        slot = offer_both(carol, main_st, scene)
        assert slot.expires_at == slot.starts_at  # no clinic policy set: until the slot starts
        assert len(mail.outbox) == 2
        for message, name in zip(mail.outbox, ["Sam", "Kim"], strict=True):
            assert message.body.startswith(f"Hello {name},") and "treatment visit" in message.body
            for word in ("ketamine", "infusion", "IV", "depress", "Okafor", "Novak"):
                assert word not in message.body and word not in message.subject
        assert set(WaitingListEntry.objects.values_list("status", flat=True)) == {"offered"}
        stored = set(WaitingOffer.objects.values_list("token_hash", flat=True))
        assert all(token not in stored for token in tokens()) and len(stored) == 2
        assert AuditEvent.objects.filter(action="schedule.waiting_offer").count() == 2

    def test_the_clinics_offer_hours_close_it_earlier(self, carol: Any, dave: Any, main_st: Any, scene: Scene) -> None:
        services.save_settings(by=dave, clinic=main_st.clinic, waitlist_offer_hours=2)
        now = scene.cancelled.starts_at - dt.timedelta(days=3)
        with time_machine.travel(now, tick=False):
            slot = offer_both(carol, main_st, scene)
        assert slot.expires_at == now + dt.timedelta(hours=2)
        with pytest.raises(ServiceError, match="at least 1 hour"):
            services.save_settings(by=dave, clinic=main_st.clinic, waitlist_offer_hours=0)

    def test_one_patient_who_no_longer_fits_stops_the_whole_offer_before_anything_is_sent(
        self, carol: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        services.book(  # Kim (second) is booked elsewhere meanwhile; Sam (first) still fits
            by=carol, patient=scene.second.patient, kind="consultation", location=main_st, start=local(day, 14, 30)
        )
        with pytest.raises(ServiceError, match="Kim Novak"):
            offer_both(carol, main_st, scene)
        assert not mail.outbox and not SlotOffer.objects.exists()
        assert set(WaitingListEntry.objects.values_list("status", flat=True)) == {"waiting"}

    def test_an_entry_that_does_not_fit_is_refused_and_nothing_is_sent(
        self, carol: Any, main_st: Any, scene: Scene, floor: dict[str, Any], day: dt.date
    ) -> None:
        with pytest.raises(ServiceError, match="Sam Okafor: needs"):
            waiting.offer(
                by=carol,
                location=main_st,
                chair=floor["chair2"],
                start=local(day, 9),
                end=local(day, 9, 30),
                entries=[scene.first],
                base_url=BASE_URL,
            )
        assert not mail.outbox and not SlotOffer.objects.exists() and not WaitingOffer.objects.exists()
        assert WaitingListEntry.objects.get(pk=scene.first.pk).status == "waiting"
        with pytest.raises(ServiceError, match="at least one"):
            waiting.offer(
                by=carol,
                location=main_st,
                chair=floor["chair2"],
                start=local(day, 9),
                end=local(day, 12),
                entries=[],
                base_url=BASE_URL,
            )


class TestAccepting:
    def test_the_first_to_accept_is_booked_the_second_stays_on_the_list(
        self, carol: Any, main_st: Any, scene: Scene, iv_order: Any
    ) -> None:
        slot = offer_both(carol, main_st, scene)
        sam_token, kim_token = tokens()
        kim_first = waiting.accept(token=kim_token, client="c1")
        booked = kim_first.booked
        assert booked is not None and booked.patient == scene.second.patient and booked.chair == scene.chair
        assert booked.starts_at == slot.starts_at and booked.order is not None and booked.status == "booked"
        kim = WaitingListEntry.objects.get(pk=scene.second.pk)
        assert kim.status == "booked" and kim.appointment == booked
        sam = WaitingListEntry.objects.get(pk=scene.first.pk)
        assert sam.status == "waiting"  # back on the list as soon as the time is gone
        too_late = waiting.accept(token=sam_token, client="c2")
        assert too_late.booked is None and too_late.offer.outcome == "taken"
        assert WaitingListEntry.objects.get(pk=scene.first.pk).status == "waiting"
        assert Appointment.objects.filter(status="booked").count() == 1
        assert SlotOffer.objects.get(pk=slot.pk).status == "taken"
        assert AuditEvent.objects.filter(action="schedule.waiting_accept").count() == 1
        assert AuditEvent.objects.filter(action="schedule.waiting_too_late").count() == 1
        assert AuditEvent.objects.filter(action="schedule.book", object_id=str(booked.pk)).exists()

    def test_used_expired_and_withdrawn_links_change_nothing(self, carol: Any, main_st: Any, scene: Scene) -> None:
        slot = offer_both(carol, main_st, scene)
        sam_token, kim_token = tokens()
        waiting.accept(token=sam_token, client="c1")
        with pytest.raises(LinkUnavailable):
            waiting.accept(token=sam_token, client="c1")  # used
        with pytest.raises(LinkUnavailable):
            waiting.find_offer("not-a-token", client="c1")
        with time_machine.travel(slot.starts_at + dt.timedelta(minutes=1), tick=False), pytest.raises(LinkUnavailable):
            waiting.accept(token=kim_token, client="c1")  # expired
        assert WaitingOffer.objects.get(entry=scene.second).used_at is None
        waiting.withdraw(by=carol, entry=scene.second, reason="No longer wants treatment")
        with pytest.raises(LinkUnavailable):
            waiting.accept(token=kim_token, client="c1")
        assert Appointment.objects.filter(status="booked").count() == 1

    def test_the_rules_are_checked_again_at_acceptance(
        self, carol: Any, bob: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        offer_both(carol, main_st, scene)
        sam_token, _ = tokens()
        take_chair(carol, bob, main_st, scene.chair, local(day, 14))  # the front desk gave the chair away meanwhile
        outcome = waiting.accept(token=sam_token, client="c1")
        assert outcome.booked is None and outcome.offer.outcome == "taken"
        assert WaitingListEntry.objects.get(pk=scene.first.pk).status == "waiting"
        assert not Appointment.objects.filter(patient=scene.first.patient).exists()

    def test_declining_keeps_the_patient_on_the_list(self, carol: Any, main_st: Any, scene: Scene) -> None:
        offer_both(carol, main_st, scene)
        sam_token, _ = tokens()
        assert waiting.decline(token=sam_token, client="c1").outcome == "declined"
        assert WaitingListEntry.objects.get(pk=scene.first.pk).status == "waiting"
        with pytest.raises(LinkUnavailable):
            waiting.accept(token=sam_token, client="c1")


class TestOtherRoutes:
    def test_a_no_show_frees_what_is_left_of_its_time(
        self, carol: Any, main_st: Any, scene: Scene, floor: dict[str, Any], day: dt.date, iv_order: Any
    ) -> None:
        from tests.infusions.conftest import first_order

        with time_machine.travel(local(day, 8), tick=False):
            late = services.book(
                by=carol,
                patient=scene.first.patient,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 10),
                chair=floor["chair2"],
                order=first_order(scene.first.plan_version),
            )
        with time_machine.travel(local(day, 10, 20), tick=False):
            services.mark_no_show(by=carol, appointment=late, reason="did not come")
            freed = {f.chair.label: f for f in waiting.freed_slots(main_st, *day_bounds(day))}
        assert freed["Chair 2"].start == local(day, 10, 30) and freed["Chair 2"].end == late.ends_at
        assert freed["Chair 2"].matches == []  # a whole session no longer fits in what is left

    def test_by_sms_without_an_e_mail_address_and_a_failed_delivery_is_recorded(
        self, carol: Any, main_st: Any, scene: Scene, settings: Any
    ) -> None:
        from ketaclinic.outcomes import sms
        from ketaclinic.patients.models import Patient

        Patient.objects.filter(pk__in=[scene.first.patient_id, scene.second.patient_id]).update(email="")
        settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.LocmemSmsBackend"
        sms.LocmemSmsBackend.outbox.clear()
        c = scene.cancelled
        waiting.offer(
            by=carol,
            location=main_st,
            chair=scene.chair,
            start=c.starts_at,
            end=c.ends_at,
            entries=[scene.first],
            base_url=BASE_URL,
        )
        (text,) = sms.LocmemSmsBackend.outbox
        assert text.to == "(217) 555-0144" and text.body.startswith("Hello Sam,") and "/a/o/" in text.body
        assert "treatment visit" in text.body and "infusion" not in text.body
        settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.NoSmsBackend"
        waiting.offer(
            by=carol,
            location=main_st,
            chair=scene.chair,
            start=c.starts_at,
            end=c.ends_at,
            entries=[scene.second],
            base_url=BASE_URL,
        )
        failed = WaitingOffer.objects.get(entry=scene.second)
        assert failed.sent_at is None and failed.last_error == "Delivery failed (SmsNotConfigured)."
        sms.LocmemSmsBackend.outbox.clear()
