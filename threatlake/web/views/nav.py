"""The navigation shell's links: each page module lists its own (``NAV``), the registry gathers them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SECTIONS", "NavLink"]

#: The shell's sections, in the order they are shown.
SECTIONS: tuple[str, ...] = ("Overview", "Threats & Exploits", "Analyze", "Automate", "Settings")


@dataclass(frozen=True, slots=True)
class NavLink:
    section: str
    label: str
    path: str
    #: the scope a viewer needs to see the link (the page checks it again)
    scope: str = "storage:security.events:read"
