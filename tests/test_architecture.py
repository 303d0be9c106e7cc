"""The layering rules of ARCHITECTURE.md that a linter cannot see on its own."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.conf import settings

REPO = Path(__file__).resolve().parent.parent


def test_every_app_is_forbidden_to_the_domain_layer() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = config["tool"]["importlinter"]["contracts"][0]
    apps = {app for app in settings.INSTALLED_APPS if app.startswith("ketaclinic.")}
    missing = apps - set(contract["forbidden_modules"])
    assert not missing, f"add {sorted(missing)} to the import-linter contract in pyproject.toml"


def test_no_view_module_writes_models_directly() -> None:
    """Writes go through services.py: views and APIs never call save(), create() or delete() themselves."""
    writes = re.compile(
        r"objects\.(create|update|delete|bulk_create|get_or_create|update_or_create)\(|(?<!session)(?<!image)\.save\(|\.delete\(\)"
    )
    offenders = []
    for path in REPO.glob("ketaclinic/*/*.py"):
        if path.name.endswith(("views.py", "api.py", "forms.py")) or path.name.startswith("api_"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if writes.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, offenders
