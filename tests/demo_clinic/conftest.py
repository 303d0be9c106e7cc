"""The demo clinic (``ketaclinic.demo.clinic.load``), built once per test worker for every test in this package.

Building it takes about half a minute. Each area's demo test used to build its own inside its test; now the build runs
in a package-scoped transaction that is rolled back when the package's tests are done, and each test runs inside it
in its own savepoint (pytest-django's ``db``), so a test still cannot see another test's writes and nothing of the
demo outlives the package. This is what Django's ``TestCase.setUpTestData`` does for a class. pytest-xdist hands the
package's tests out in collection order, so each worker builds the demo at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction


@pytest.fixture(scope="package")
def demo_clinic(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    from ketaclinic.demo import clinic

    with django_db_blocker.unblock(), transaction.atomic():
        clinic.load()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _in_the_demo_clinic(demo_clinic: None, db: None) -> None:
    """Every test here reads the demo clinic, each in its own savepoint."""


# The FHIR test reads over the test client, as tests/fhir does.
from tests.fhir.conftest import fhir_get  # noqa: E402, F401
