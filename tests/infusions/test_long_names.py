"""A name longer than its column is refused with a message, never cut (issue 15): the chair and the escort."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.infusions import services
from ketaclinic.infusions.models import TreatmentSession
from tests.infusions.conftest import ALDRETE_10, check_in, complete_check_in, fresh, start_iv


def test_a_chair_name_longer_than_20_characters_is_refused_not_cut(alice: Any, iv_order: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        check_in(iv_order, alice, chair="Recliner by the window 3")
    assert "Keep this to 20 characters (it has 24)" in refused.value.message_dict["chair"][0]
    assert not TreatmentSession.objects.exists()


def test_an_escort_name_longer_than_200_characters_is_refused_not_cut(alice: Any, iv_order: Any, stock: Any) -> None:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as clock:
        session = start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)
        clock.shift(dt.timedelta(minutes=41))
        services.end_infusion(by=alice, session=session, version=None)
        clock.shift(dt.timedelta(minutes=30))
        long_name = "Maria " + "de la Cruz " * 20  # 226 characters
        with pytest.raises(ValidationError) as refused:
            services.discharge_patient(
                by=alice,
                session=fresh(session),
                version=None,
                scale="aldrete",
                answers=ALDRETE_10,
                sedation=False,
                dissociation=False,
                respiratory_depression=False,
                escort_name=long_name,
                instructions_given=True,
            )
    assert "Keep this to 200 characters" in refused.value.message_dict["escort_name"][0]
    assert fresh(session).status == TreatmentSession.Status.OBSERVATION and fresh(session).discharge_escort_name == ""
