"""Fixtures the follow-up tests share with the plans tests (a patient with a signed eligibility decision)."""

from tests.plans.conftest import decided, ready

__all__ = ["decided", "ready"]
