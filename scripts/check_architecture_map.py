#!/usr/bin/env python3
"""Fail when an app exists that docs/architecture.md does not name (issue 14: the one-page map stays true).

An app is a directory under ketaclinic/ with an ``apps.py`` (a Django app) or ``demo/`` and ``domain/``; the map
names it as `` `name/` ``. Run by ``make check``; also imported by tests/test_architecture.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ALWAYS = ("domain", "demo", "charts")


def apps_in_tree(root: Path = REPO / "ketaclinic") -> list[str]:
    found = {path.parent.name for path in root.glob("*/apps.py")}
    found.update(name for name in ALWAYS if (root / name).is_dir())
    return sorted(found)


def missing_from_map(doc: Path = REPO / "docs" / "architecture.md") -> list[str]:
    text = doc.read_text(encoding="utf-8")
    return [app for app in apps_in_tree() if f"`{app}/`" not in text]


def main() -> int:
    missing = missing_from_map()
    if missing:
        names = ", ".join(f"{app}/" for app in missing)
        print(f"docs/architecture.md does not name: {names} — add a line for each to the map.", file=sys.stderr)
        return 1
    print(f"docs/architecture.md names all {len(apps_in_tree())} apps.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
