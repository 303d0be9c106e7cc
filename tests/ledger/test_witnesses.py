"""Invariant 5: the witness is a second, active, licensed person at the location who re-authenticates at signing
(password and current one-time code); every refusal is audited and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Kind, LedgerEntry
from ketaclinic.ledger.services import witnesses
from tests.conftest import make_user
from tests.ledger.conftest import code_for, licence, receive, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def vial(ledger: Any, main_st: Any) -> Any:
    (container,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    return container


def waste_with(signature: Any, *, by: Any, vial: Any) -> Any:
    return services.waste(by=by, container=vial, quantity_ml="1", manner="bin", reason="test", witness=signature)


def refusals(actor: Any) -> list[dict[str, Any]]:
    return [
        e.detail for e in AuditEvent.objects.filter(action="ledger.witness.rejected", actor=actor, outcome="denied")
    ]


def test_a_re_authenticated_licensed_colleague_signs(ledger: Any, main_st: Any, vial: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    signature = sign(bob, nurse, main_st)
    assert signature.user == bob and signature.method == witnesses.REAUTHENTICATED
    entry = waste_with(signature, by=nurse, vial=vial)
    assert (entry.witness, entry.witness_name, entry.witness_method) == (bob, "Bob Test, MD", witnesses.REAUTHENTICATED)
    assert AuditEvent.objects.filter(action="ledger.witness.signed", actor=nurse, object_id=str(bob.pk)).exists()


def test_the_actor_cannot_witness_themself(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    with pytest.raises(services.WitnessRejected, match="second person"):
        sign(nurse, nurse, main_st)
    assert refusals(nurse)[-1]["reason"].startswith("the witness must be a second person")


def test_a_wrong_password_is_refused_and_audited_without_the_password(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    with pytest.raises(services.WitnessRejected, match="do not match") as refused:
        sign(bob, nurse, main_st, password="not the password 123")
    assert refused.value.field == "witness_password"
    detail = refusals(nurse)[-1]
    assert detail["witness_username"] == "bob" and "not the password" not in str(detail)


def test_a_wrong_code_is_refused(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    right = code_for(bob)
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    with pytest.raises(services.WitnessRejected, match="one-time code is not valid") as refused:
        sign(bob, nurse, main_st, code=wrong)
    assert refused.value.field == "witness_otp_token"


def test_a_code_cannot_be_used_twice(ledger: Any, main_st: Any) -> None:
    """django-otp's replay guard: the same code in the same time step signs once."""
    nurse, bob = ledger["nurse"], ledger["bob"]
    code = code_for(bob)
    sign(bob, nurse, main_st, code=code)
    with pytest.raises(services.WitnessRejected, match="one-time code"):
        sign(bob, nurse, main_st, code=code)


def test_a_witness_without_an_authenticator_is_refused(ledger: Any, main_st: Any, frank: Any) -> None:
    from ketaclinic.ledger.services.witnesses import WitnessCredentials
    from tests.ledger.conftest import witness_request

    with pytest.raises(services.WitnessRejected, match="no authenticator app"):
        witnesses.sign(
            request=witness_request(),
            credentials=WitnessCredentials(
                username="frank", password="correct horse battery staple 42", otp_token="123456"
            ),
            actor=ledger["nurse"],
            location=main_st,
        )


def test_a_deactivated_witness_cannot_sign(ledger: Any, main_st: Any, frank: Any, dave: Any) -> None:
    code = code_for(frank)
    accounts.deactivate_user(by=dave, user=frank, reason="left the clinic")
    with pytest.raises(services.WitnessRejected, match="do not match an active account"):
        sign(frank, ledger["nurse"], main_st, code=code)


def test_a_signature_is_checked_again_when_the_witness_is_deactivated_before_the_write(
    ledger: Any, main_st: Any, frank: Any, dave: Any, vial: Any
) -> None:
    signature = sign(frank, ledger["nurse"], main_st)
    accounts.deactivate_user(by=dave, user=frank, reason="left the clinic")
    with pytest.raises(services.WitnessRejected, match="not active"):
        waste_with(signature, by=ledger["nurse"], vial=vial)
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_an_unlicensed_witness_cannot_sign(ledger: Any, main_st: Any, clinic: Any) -> None:
    gina = make_user("gina", "nurse", clinic, [main_st])
    with pytest.raises(services.WitnessRejected, match="no current professional licence"):
        sign(gina, ledger["nurse"], main_st)


def test_a_dea_registration_alone_is_not_a_licence(ledger: Any, main_st: Any, clinic: Any) -> None:
    hal = licence(make_user("hal", "prescriber", clinic, [main_st]), kind="dea", number="BH1234563")
    with pytest.raises(services.WitnessRejected, match="DEA registration alone"):
        sign(hal, ledger["nurse"], main_st)


def test_an_expired_licence_does_not_count(ledger: Any, main_st: Any, clinic: Any) -> None:
    ida = make_user("ida", "nurse", clinic, [main_st])
    accounts.add_licence(
        by=None,
        user=ida,
        kind="registered_nurse",
        number="RN0000001",
        state="IL",
        expires_on=dt.date.today() - dt.timedelta(days=2),
    )
    with pytest.raises(services.WitnessRejected, match="licence"):
        sign(ida, ledger["nurse"], main_st)


def test_a_witness_from_another_location_cannot_sign(ledger: Any, main_st: Any, lakeside_nurse: Any) -> None:
    with pytest.raises(services.WitnessRejected, match="does not work at Main"):
        sign(lakeside_nurse, ledger["nurse"], main_st)


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_a_role_that_may_not_witness_cannot_sign(ledger: Any, main_st: Any, clinic: Any, role: str) -> None:
    jo = licence(make_user("jo", role, clinic, [main_st]))
    with pytest.raises(services.WitnessRejected, match="that role cannot witness"):
        sign(jo, ledger["nurse"], main_st)


@pytest.mark.parametrize("password", ["right", "wrong"])
def test_front_desk_is_told_their_role_cannot_witness_whatever_the_password(
    ledger: Any, main_st: Any, carol: Any, password: str
) -> None:
    """Issue 15: a front-desk colleague typing the right password (no authenticator: front desk needs none in the
    demo) was told "no authenticator app is set up", which confirms the password. The answer is now the role, the same
    for a right and a wrong password, and the password is never checked."""
    from tests.conftest import PASSWORD
    from tests.ledger.conftest import witness_request

    with pytest.raises(services.WitnessRejected) as refused:
        witnesses.sign(
            request=witness_request(),
            credentials=witnesses.WitnessCredentials(
                username="carol", password=PASSWORD if password == "right" else "not it 12345", otp_token=""
            ),
            actor=ledger["nurse"],
            location=main_st,
        )
    message = str(refused.value)
    assert message == (
        "Witness: carol is front desk staff, and that role cannot witness controlled-substance entries; ask a nurse "
        "or prescriber at this location."
    )
    assert "password" not in message and "authenticator" not in message
    assert refused.value.field == "witness_username"
    assert refusals(ledger["nurse"])[-1]["reason"].startswith("carol is front desk staff")


def test_the_actor_must_be_licensed_too(ledger: Any, main_st: Any, clinic: Any, vial: Any) -> None:
    from ketaclinic.accounts.errors import PermissionDenied

    kim = make_user("kim", "nurse", clinic, [main_st])
    with pytest.raises(PermissionDenied, match="licensed clinicians"):
        waste_with(sign(ledger["bob"], kim, main_st), by=kim, vial=vial)


def test_a_signature_for_another_actor_is_refused(ledger: Any, main_st: Any, frank: Any, vial: Any) -> None:
    signature = sign(ledger["bob"], frank, main_st)  # bob signed for frank's entry
    with pytest.raises(services.WitnessRejected, match="does not belong to this entry"):
        waste_with(signature, by=ledger["nurse"], vial=vial)


def test_a_forged_or_expired_signature_is_refused(ledger: Any, main_st: Any, vial: Any) -> None:
    import time_machine

    nurse, bob = ledger["nurse"], ledger["bob"]
    forged = witnesses.WitnessSignature(user=bob, method=witnesses.REAUTHENTICATED, token="forged")
    with pytest.raises(services.WitnessRejected, match="expired"):
        waste_with(forged, by=nurse, vial=vial)
    signature = sign(bob, nurse, main_st)
    later = timezone.now() + dt.timedelta(seconds=witnesses.SIGNATURE_MAX_AGE_S + 5)
    with time_machine.travel(later), pytest.raises(services.WitnessRejected, match="expired"):
        waste_with(signature, by=nurse, vial=vial)


def test_destruction_needs_two_different_witnesses(ledger: Any, main_st: Any, frank: Any, vial: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    services.quarantine(by=nurse, container=vial, reason="expired")
    with pytest.raises(services.WitnessRejected, match="two different witnesses"):
        services.destroy(
            by=nurse,
            containers=[vial],
            method="x",
            place="",
            witness=sign(bob, nurse, main_st),
            second_witness=sign(bob, nurse, main_st),
        )
    with pytest.raises(services.WitnessRejected, match="needs a witness"):
        services.destroy(
            by=nurse, containers=[vial], method="x", place="", witness=sign(bob, nurse, main_st), second_witness=None
        )


def test_demo_signatures_are_marked_and_refused_in_production(
    ledger: Any, main_st: Any, vial: Any, settings: Any
) -> None:
    entry = waste_with(
        witnesses.demo_signature(witness=ledger["bob"], actor=ledger["nurse"]), by=ledger["nurse"], vial=vial
    )
    assert entry.witness_method == witnesses.DEMO_LOADER
    settings.ENVIRONMENT = "production"
    with pytest.raises(ImproperlyConfigured):
        witnesses.demo_signature(witness=ledger["bob"], actor=ledger["nurse"])


def test_repeated_wrong_passwords_lock_the_witness_out(ledger: Any, main_st: Any, settings: Any) -> None:
    """django-axes throttles witness passwords exactly as sign-in passwords (security.md H8)."""
    nurse, bob = ledger["nurse"], ledger["bob"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(services.WitnessRejected):
            sign(bob, nurse, main_st, password="wrong password 000")
    with pytest.raises(services.WitnessRejected, match="locked"):
        sign(bob, nurse, main_st)
