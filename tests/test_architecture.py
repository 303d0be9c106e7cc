"""The layering rules of ARCHITECTURE.md that a linter cannot see on its own."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent
APPS = sorted(app for app in settings.INSTALLED_APPS if app.startswith("ketaclinic."))


def _contract(name_start: str) -> dict[str, object]:
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(name_start))


def test_every_app_is_forbidden_to_the_domain_layer() -> None:
    contract = _contract("The domain layer is pure Python")
    missing = set(APPS) - set(contract["forbidden_modules"])  # type: ignore[arg-type]
    assert not missing, f"add {sorted(missing)} to the import-linter contract in pyproject.toml"


def test_every_app_has_its_place_in_the_layers() -> None:
    """A new app joins the layers contract the day it is created (ARCHITECTURE.md "One direction")."""
    layers = _contract("Apps in layers")["layers"]
    named = {module.strip() for layer in layers for module in re.split(r"[|:]", layer)}  # type: ignore[attr-defined]
    missing = set(APPS) - named
    assert not missing, f"add {sorted(missing)} to the layers contract in pyproject.toml, in its place"


def app_graph() -> dict[str, set[str]]:
    """App → the apps it imports, counting every import (module level, inside functions, under TYPE_CHECKING)."""
    graph = grimp.build_graph("ketaclinic")
    app_of = {app: app for app in APPS}

    def owner(module: str) -> str | None:
        parts = module.split(".")
        return app_of.get(".".join(parts[:2]))

    edges: dict[str, set[str]] = {app: set() for app in APPS}
    for module in graph.modules:
        source = owner(module)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner(imported)
            if target is not None and target != source:
                edges[source].add(target)
    return edges


def cycles_in(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one app (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles_in({"a": {"b"}, "b": set()}) == []


def test_no_app_level_import_cycle() -> None:
    cycles = cycles_in(app_graph())
    assert not cycles, f"apps import each other in a circle (ARCHITECTURE.md 'One direction'): {cycles}"


def _view_modules() -> list[Path]:
    """Views, APIs and forms, whether a module (views.py) or a package split by concept (views/board.py)."""
    found = []
    for path in REPO.glob("ketaclinic/*/**/*.py"):
        relative = path.relative_to(REPO / "ketaclinic").parts
        if len(relative) < 2 or relative[0] in ("domain", "demo") or "migrations" in relative:
            continue
        kinds = ("views", "api", "forms")
        if path.stem in kinds or relative[1] in kinds or path.name.endswith(("views.py", "api.py", "forms.py")):
            found.append(path)
    return found


def test_view_modules_are_found_in_packages_too() -> None:
    names = {str(path.relative_to(REPO)) for path in _view_modules()}
    assert {"ketaclinic/infusions/views/board.py", "ketaclinic/intake/api/consultation.py"} <= names


def test_no_view_module_writes_models_directly() -> None:
    """Writes go through services: views and APIs never call save(), create() or delete() themselves."""
    writes = re.compile(
        r"objects\.(create|update|delete|bulk_create|get_or_create|update_or_create)\(|(?<!session)(?<!image)\.save\(|\.delete\(\)"
    )
    offenders = []
    for path in _view_modules():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if writes.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_the_map_names_every_app(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_map", REPO / "scripts" / "check_architecture_map.py")
    assert spec is not None and spec.loader is not None
    check_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_map)
    assert {app.split(".")[1] for app in APPS} <= set(check_map.apps_in_tree())
    assert check_map.missing_from_map() == []
    partial = tmp_path / "architecture.md"
    partial.write_text("`accounts/` only")
    assert "followup" in check_map.missing_from_map(partial)


def test_no_module_over_600_lines() -> None:
    """ARCHITECTURE.md: a module past ~600 lines becomes a package split by concept (migrations aside)."""
    long = []
    for path in [*REPO.glob("ketaclinic/**/*.py"), *REPO.glob("tests/**/*.py"), *REPO.glob("benchmarks/**/*.py")]:
        if "migrations" not in path.parts:
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > 600:
                long.append(f"{path.relative_to(REPO)}: {lines}")
    assert not long, long
