"""A workflow's task graph laid out for a server-drawn SVG (no script, no outside library).

Tasks go in rows by depth (a task sits one row below its deepest predecessor), in the definition's order
within a row; each edge runs from a predecessor's bottom to its successor's top. ``states`` (an execution's
task states) colours the boxes on the execution page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from threatlake.workflows.definition import Workflow

__all__ = ["Graph", "layout"]

_BOX_W, _BOX_H = 190, 46
_GAP_X, _GAP_Y = 28, 40
_PAD = 12


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    action: str
    x: int
    y: int
    state: str


@dataclass(frozen=True, slots=True)
class Edge:
    path: str  # the SVG path's ``d``
    label: str  # the condition's state when it is not the default


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    box_w: int = _BOX_W
    box_h: int = _BOX_H


def _depths(workflow: Workflow) -> dict[str, int]:
    depths: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str]) -> int:
        if name in depths:
            return depths[name]
        task = workflow.tasks[name]
        known = [p for p in task.predecessors if p in workflow.tasks and p not in seen]
        found = 1 + max((depth(p, seen | {name}) for p in known), default=-1)
        depths[name] = found
        return found

    for name in workflow.tasks:
        depth(name, frozenset())
    return depths


def _short(action: str) -> str:
    return action.removeprefix("dynatrace.").split(":")[-1]


def layout(workflow: Workflow, states: Mapping[str, str] | None = None) -> Graph:
    depths = _depths(workflow)
    rows: dict[int, list[str]] = {}
    for name in workflow.tasks:
        rows.setdefault(depths[name], []).append(name)
    widest = max((len(names) for names in rows.values()), default=1)
    width = _PAD * 2 + widest * _BOX_W + (widest - 1) * _GAP_X + _BOX_W // 2  # room for bent edges
    places: dict[str, tuple[int, int]] = {}
    for row, names in rows.items():
        span = len(names) * _BOX_W + (len(names) - 1) * _GAP_X
        left = (width - span) // 2
        for index, name in enumerate(names):
            places[name] = (left + index * (_BOX_W + _GAP_X), _PAD + row * (_BOX_H + _GAP_Y))
    nodes = tuple(
        Node(name, _short(task.action), *places[name], (states or {}).get(name, ""))
        for name, task in workflow.tasks.items()
    )
    edges = []
    for name, task in workflow.tasks.items():
        x2, y2 = places[name][0] + _BOX_W // 2, places[name][1]
        for predecessor in task.predecessors:
            if predecessor not in places:
                continue
            x1, y1 = places[predecessor][0] + _BOX_W // 2, places[predecessor][1] + _BOX_H
            state = task.conditions.states.get(predecessor, "SUCCESS")
            if y2 - y1 > _GAP_Y:  # skips rows: bend beside the boxes in between, not through them
                side = _BOX_W
                path = f"M{x1},{y1} C{x1 + side},{y1 + _GAP_Y} {x2 + side},{y2 - _GAP_Y} {x2},{y2}"
            else:
                middle = (y1 + y2) // 2
                path = f"M{x1},{y1} C{x1},{middle} {x2},{middle} {x2},{y2}"
            edges.append(Edge(path, "" if state == "SUCCESS" else state))
    height = _PAD * 2 + (max(rows, default=0) + 1) * (_BOX_H + _GAP_Y) - _GAP_Y
    return Graph(nodes, tuple(edges), width, height)
