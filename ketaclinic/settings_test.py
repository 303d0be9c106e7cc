"""Settings for the test suite: the one settings module, in its ``test`` mode.

pytest-django imports settings before any conftest runs, so the mode is chosen here rather than in a fixture.
"""

import os

os.environ.setdefault("KETACLINIC_ENVIRONMENT", "test")

from ketaclinic.settings import *  # noqa: F403  (the same settings, nothing overridden here)
