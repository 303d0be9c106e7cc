"""The library: loading the shipped protocol files, looking one up, and applying a clinic's overrides.

Each ``*.toml`` file of this package is one protocol whose id matches its file name; the library is read once and
cached. :func:`apply_overrides` re-validates a clinic's settings with the same rules as the files plus the hard limits,
so no clinic setting can loosen them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, fields
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final

from ketaclinic.domain.protocols.fields import ProtocolError, _Parser
from ketaclinic.domain.protocols.limits import NOT_OVERRIDABLE
from ketaclinic.domain.protocols.model import Protocol
from ketaclinic.domain.protocols.parsing import _FIELD_NAMES, _build

__all__ = ["all", "apply_overrides", "get", "ids", "loads"]

_SECTIONS: Final = ("dose", "limits", "absolute_maximum", "series", "monitoring", "discharge", "session")
"""TOML tables that only group keys; their keys are protocol fields."""


def loads(text: str, *, origin: str = "<string>") -> Protocol:
    """Parse and validate one protocol from TOML text; ``origin`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(origin, None, f"not valid TOML: {exc}") from None
    raw: dict[str, object] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ProtocolError(origin, key, "must be a table")
            items = list(value.items())
        else:
            items = [(key, value)]
        for name, item in items:
            if name in raw:
                raise ProtocolError(origin, name, "is given twice")
            raw[name] = item
    return _build(raw, origin=origin)


def _load_directory(root: Traversable) -> Mapping[str, Protocol]:
    found: dict[str, Protocol] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        protocol = loads(entry.read_text(encoding="utf-8"), origin=entry.name)
        if f"{protocol.id}.toml" != entry.name:
            raise ProtocolError(entry.name, "id", f"{protocol.id!r} must match the file name")
        found[protocol.id] = protocol
    return MappingProxyType(found)


@cache
def _library() -> Mapping[str, Protocol]:
    return _load_directory(resources.files("ketaclinic.domain.protocols"))


# The contract names this ``all``; it shadows the builtin inside this module only, where the builtin is not used.
def all() -> tuple[Protocol, ...]:
    """Every shipped protocol, sorted by id."""
    return tuple(_library().values())


def ids() -> tuple[str, ...]:
    """The ids of the shipped protocols, sorted."""
    return tuple(_library())


def get(protocol_id: str) -> Protocol:
    """The shipped protocol ``protocol_id``; an unknown id raises ``ValueError`` naming it."""
    library = _library()
    if protocol_id not in library:
        raise ValueError(f"protocol_id: unknown protocol {protocol_id!r}; known: {', '.join(library)}")
    return library[protocol_id]


def _as_raw(protocol: Protocol) -> dict[str, object]:
    raw: dict[str, object] = {f.name: getattr(protocol, f.name) for f in fields(protocol) if f.name != "overridden"}
    raw["limit_severity"] = dict(protocol.limit_severity)
    raw["esketamine"] = None if protocol.esketamine is None else asdict(protocol.esketamine)
    return raw


def apply_overrides(protocol: Protocol, overrides: Mapping[str, object]) -> Protocol:
    """A copy of ``protocol`` with a clinic's settings applied and re-validated (hard limits included).

    ``overrides`` maps field names to new values (numbers may be int, float, str or Decimal; ``None`` clears an
    optional limit; ``limit_severity`` is merged into the existing table). Unknown or protected fields and values that
    break a rule raise :class:`ProtocolError` naming the field. The result lists the changed fields in ``overridden``.
    """
    origin = f"{protocol.id} (clinic overrides)"
    raw = _as_raw(protocol)
    for name, value in overrides.items():
        if name not in _FIELD_NAMES:
            raise ProtocolError(origin, name, "unknown protocol field")
        if name in NOT_OVERRIDABLE:
            raise ProtocolError(origin, name, "cannot be overridden by a clinic")
        if name == "limit_severity":
            value = {**dict(protocol.limit_severity), **_Parser(origin).table(name, value)}
        raw[name] = value
    changed = tuple(sorted(set(protocol.overridden) | set(overrides)))
    return _build(raw, origin=origin, overridden=changed)
