"""The chair's one-time form tokens commit with the write they guard (issue 13, defect 2, "same for the UI").

The token is stored by ``finish_write`` inside the service's transaction. If the work dies after the reading and the
token were written but before the transaction commits (here: the audit write fails), nothing of it remains, and the
same form sent again records the reading exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ketaclinic.infusions.models import FormSubmission, VitalReading
from tests.infusions.conftest import NORMAL_VITALS, check_in, complete_check_in


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_token_is_written_leaves_nothing_and_the_resent_form_records_once(
    iv_order: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaclinic.infusions import services
    from ketaclinic.infusions.services import monitoring

    session = complete_check_in(check_in(iv_order, alice), alice)
    before = VitalReading.objects.filter(session=session).count()
    token = uuid.uuid4()

    class WorkerDied(BaseException):
        pass

    def die(**kwargs: Any) -> None:
        raise WorkerDied

    monkeypatch.setattr(monitoring.audit, "record", die)
    with pytest.raises(WorkerDied):
        services.record_vitals(by=alice, session=session, version=None, values=NORMAL_VITALS, token=token)
    assert VitalReading.objects.filter(session=session).count() == before
    assert not FormSubmission.objects.filter(token=token).exists()

    monkeypatch.undo()
    first = services.record_vitals(by=alice, session=session, version=None, values=NORMAL_VITALS, token=token)
    again = services.record_vitals(by=alice, session=session, version=None, values=NORMAL_VITALS, token=token)
    assert again.pk == first.pk
    assert VitalReading.objects.filter(session=session).count() == before + 1
    assert FormSubmission.objects.filter(token=token).count() == 1
