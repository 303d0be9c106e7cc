"""Prompts the chart shows on behalf of the apps above patients (ARCHITECTURE.md "One direction": the lower app exposes
a small hook the higher one registers). ``followup`` registers "a progress letter is due" when an induction series is
complete. Each provider is registered once by name, from its app's ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketaclinic.accounts.roles import role_can

if TYPE_CHECKING:
    from ketaclinic.accounts.models import User
    from ketaclinic.patients.models import Patient


@dataclass(frozen=True)
class ChartPrompt:
    text: str
    url: str
    link_label: str
    capability: str  # shown only to a role that has it
    key: str = ""


PromptProvider = Callable[["Patient"], list[ChartPrompt]]
_providers: dict[str, PromptProvider] = {}


def register_chart_prompts(name: str, provider: PromptProvider) -> None:
    _providers[name] = provider


def chart_prompts(user: User, patient: Patient) -> list[ChartPrompt]:
    """Every registered prompt for this patient that the user's role may act on."""
    found = []
    for name in sorted(_providers):
        found += [p for p in _providers[name](patient) if user.is_superuser or role_can(user.role, p.capability)]
    return found
