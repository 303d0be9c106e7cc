"""Pre-visit checklist and reminder timing (ketaclinic.domain.scheduling.reminders; knowledge/scheduling.md §5)."""

from __future__ import annotations

import datetime as dt

from ketaclinic.domain.scheduling import reminders as r

START = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
BOOKED = START - dt.timedelta(days=10)


def due(now: dt.datetime, already: tuple[str, ...] = (), booked: dt.datetime = BOOKED) -> tuple[str, ...]:
    return r.due_messages(start=START, booked_at=booked, now=now, already=already, early_hours=48, day_before_hours=24)


def test_esketamine_checklist_has_label_fasting_ride_and_nasal_medicines() -> None:
    items = r.checklist("esketamine", ["Fluticasone", "sertraline"])
    texts = [item.text for item in items]
    assert texts[0] == "Do not eat anything for 2 hours before your visit."
    assert "30 minutes" in texts[1]
    assert "fluticasone" in texts[2] and "1 hour before" in texts[2]
    assert "drive" in texts[3] and "next day" in texts[3]
    assert all(item.source for item in items)


def test_esketamine_checklist_without_nasal_medicines() -> None:
    assert len(r.checklist("esketamine")) == 3


def test_iv_and_im_need_a_ride_but_no_invented_fasting_rule() -> None:
    for kind in ("infusion_iv", "im"):
        (item,) = r.checklist(kind, ["fluticasone"])
        assert "take you home" in item.text


def test_consultation_has_no_checklist() -> None:
    assert r.checklist("consultation") == ()


def test_topics_say_what_the_patient_confirms() -> None:
    """The patient portal asks for one answer per topic the checklist holds."""
    assert r.topics(r.checklist("esketamine", ["fluticasone"])) == {r.FASTING, r.MEDICINES, r.RIDE_HOME}
    assert r.topics(r.checklist("esketamine")) == {r.FASTING, r.RIDE_HOME}
    assert r.topics(r.checklist("infusion_iv")) == {r.RIDE_HOME}  # no invented fasting rule for IV ketamine
    assert r.topics(r.checklist("consultation")) == frozenset()


def test_confirmation_due_at_once_and_only_once() -> None:
    assert due(BOOKED) == (r.CONFIRMATION,)
    assert due(BOOKED, (r.CONFIRMATION,)) == ()


def test_early_then_day_before() -> None:
    sent = (r.CONFIRMATION,)
    assert due(START - dt.timedelta(hours=49), sent) == ()
    assert due(START - dt.timedelta(hours=48), sent) == (r.EARLY,)
    assert due(START - dt.timedelta(hours=30), (*sent, r.EARLY)) == ()
    assert due(START - dt.timedelta(hours=24), (*sent, r.EARLY)) == (r.DAY_BEFORE,)
    assert due(START - dt.timedelta(hours=2), (*sent, r.EARLY, r.DAY_BEFORE)) == ()


def test_a_job_down_for_a_day_sends_only_the_latest_reminder() -> None:
    assert due(START - dt.timedelta(hours=20), (r.CONFIRMATION,)) == (r.DAY_BEFORE,)


def test_the_confirmation_goes_alone() -> None:
    assert due(START - dt.timedelta(hours=47)) == (r.CONFIRMATION,)


def test_no_early_reminder_after_the_day_before_one() -> None:
    assert due(START - dt.timedelta(hours=30), (r.CONFIRMATION, r.DAY_BEFORE)) == ()


def test_booked_inside_a_window_gets_the_confirmation_only() -> None:
    late = START - dt.timedelta(hours=30)
    assert due(late, booked=late) == (r.CONFIRMATION,)
    assert due(START - dt.timedelta(hours=20), (r.CONFIRMATION,), booked=late) == (r.DAY_BEFORE,)
    very_late = START - dt.timedelta(hours=3)
    assert due(very_late + dt.timedelta(hours=1), (r.CONFIRMATION,), booked=very_late) == ()


def test_nothing_once_the_visit_started() -> None:
    assert due(START) == ()


def test_the_prescribers_holds_come_first_in_their_words() -> None:
    items = r.checklist("esketamine", holds=[("clonazepam", "skip the evening dose before "), ("zolpidem", "none!")])
    assert items[0] == r.ChecklistItem("clonazepam: skip the evening dose before.", r.HOLD_SOURCE)
    assert items[1].text == "zolpidem: none!"
    assert items[2].text.startswith("Do not eat anything for 2 hours")
    assert r.checklist("follow_up", holds=()) == ()


def test_a_message_counts_the_holds_without_naming_them() -> None:
    holds = [("clonazepam", "skip the evening dose before"), ("zolpidem", "none the night before")]
    items = r.checklist("infusion_iv", holds=holds, holds_in_full=False)
    assert items[0].text.startswith("Your prescriber has asked you to hold 2 medicines before this visit")
    assert all("clonazepam" not in item.text and "zolpidem" not in item.text for item in items)
    assert r.checklist("follow_up", holds=(), holds_in_full=False) == ()
