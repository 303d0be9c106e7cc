"""Clinic admins set the reminder offsets at Schedule → Chairs, hours and roster: whole hours, the first reminder
earlier than the day-before one, both above 0 and at most two weeks; audited; the defaults (48 h, 24 h) shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import SchedulingSettings
from ketaclinic.scheduling.services.resources import REMINDER_MAX_HOURS
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _settings(main_st: Any) -> SchedulingSettings:
    return SchedulingSettings.objects.get(clinic=main_st.clinic)


def test_the_admin_changes_the_offsets_and_it_is_audited(dave: Any, main_st: Any) -> None:
    services.save_settings(by=dave, clinic=main_st.clinic, reminder_early_hours=72, reminder_day_before_hours=20)
    assert (_settings(main_st).reminder_early_hours, _settings(main_st).reminder_day_before_hours) == (72, 20)
    event = AuditEvent.objects.filter(action="schedule.settings").latest("pk")
    assert event.detail["changed"]["reminder_early_hours"] == [48, 72]
    assert event.detail["changed"]["reminder_day_before_hours"] == [24, 20]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"reminder_early_hours": 24}, "reminder_early_hours", "earlier than the day-before"),
        ({"reminder_early_hours": 12}, "reminder_early_hours", "earlier than the day-before"),
        ({"reminder_day_before_hours": 0}, "reminder_day_before_hours", "1 to 336 hours"),
        ({"reminder_early_hours": REMINDER_MAX_HOURS + 1}, "reminder_early_hours", "1 to 336 hours"),
        ({"reminder_early_hours": 36.5}, "reminder_early_hours", "whole hours"),
        ({"reminder_day_before_hours": "24"}, "reminder_day_before_hours", "whole hours"),
    ],
)
def test_bad_offsets_are_refused_and_change_nothing(
    dave: Any, main_st: Any, values: dict[str, Any], field: str, message: str
) -> None:
    services.save_settings(by=dave, clinic=main_st.clinic, patients_per_nurse=2)
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message) as info:
        services.save_settings(by=dave, clinic=main_st.clinic, patients_per_nurse=3, **values)
    assert info.value.field == field
    current = _settings(main_st)
    assert (current.reminder_early_hours, current.reminder_day_before_hours) == (48, 24)
    assert current.patients_per_nurse == 2 and AuditEvent.objects.count() == before


def test_only_a_clinic_admin_changes_them(bob: Any, main_st: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.save_settings(by=bob, clinic=main_st.clinic, reminder_early_hours=72)


def test_the_job_uses_the_new_offsets() -> None:
    start = dt.datetime(2026, 6, 10, 15, tzinfo=dt.UTC)
    booked = start - dt.timedelta(days=10)
    due = plan.due_messages(
        start=start,
        booked_at=booked,
        now=start - dt.timedelta(hours=71),
        already=["confirmation"],
        early_hours=72,
        day_before_hours=20,
    )
    assert due == ("early",)


class TestSetupPage:
    def _post(self, client: Any, main_st: Any, **values: str) -> Any:
        data = {
            "location": main_st.pk,
            "settings-turnover_min": "15",
            "settings-checkin_min": "15",
            "settings-slot_step_min": "15",
            "settings-closed_on_federal_holidays": "on",
            "settings-reminder_early_hours": "48",
            "settings-reminder_day_before_hours": "24",
            **{f"settings-{k}": v for k, v in values.items()},
        }
        return client.post(reverse("schedule:setup_settings"), data)

    def test_the_form_shows_the_defaults_and_saves(self, client: Any, dave: Any, main_st: Any) -> None:
        sign_in(client, dave)
        page = client.get(f"{reverse('schedule:setup')}?location={main_st.pk}").content.decode()
        assert "First reminder (hours before)" in page and "Day-before reminder (hours before)" in page
        assert "CLINIC POLICY, default 48 h" in page and "CLINIC POLICY, default 24 h" in page
        assert 'name="settings-reminder_early_hours"' in page and 'value="48"' in page
        response = self._post(client, main_st, reminder_early_hours="72", reminder_day_before_hours="12")
        assert response.status_code == 302
        assert _settings(main_st).reminder_early_hours == 72 and _settings(main_st).reminder_day_before_hours == 12

    def test_a_bad_value_comes_back_with_the_error(self, client: Any, dave: Any, main_st: Any) -> None:
        sign_in(client, dave)
        response = self._post(client, main_st, reminder_early_hours="12")
        assert response.status_code == 422
        assert "The first reminder goes out earlier than the day-before reminder" in response.content.decode()
        response = self._post(client, main_st, reminder_early_hours="36.5")
        assert response.status_code == 422 and "Enter a whole number." in response.content.decode()
        assert not SchedulingSettings.objects.exclude(reminder_early_hours=48).exists()

    def test_other_roles_get_403(self, client: Any, carol: Any, bob: Any, main_st: Any) -> None:
        for user in (carol, bob):
            sign_in(client, user)
            assert self._post(client, main_st, reminder_early_hours="72").status_code == 403
            client.logout()
        assert not SchedulingSettings.objects.filter(clinic=main_st.clinic, reminder_early_hours=72).exists()
