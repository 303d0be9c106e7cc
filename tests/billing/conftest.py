from __future__ import annotations

from typing import Any

import pytest

from tests.billing.selfpay_scene import make_fees, make_iv_plan, make_signed_session


@pytest.fixture
def schedule(dave: Any, main_st: Any) -> Any:
    return make_fees(dave, main_st)


@pytest.fixture
def iv_order(pat: Any, bob: Any) -> Any:
    return make_iv_plan(pat, bob)


@pytest.fixture
def signed_session(iv_order: Any, alice: Any) -> Any:
    return make_signed_session(iv_order, alice)
