"""The workflow engine's errors, under the project's one root (``threatlake.errors.ThreatlakeError``).

    ThreatlakeError
    └── WorkflowError              a workflow that cannot be read, stored or run as asked (terminal)
        ├── DefinitionError        a definition with problems; each names the task, the key and the line
        └── ActionError            an action that failed; ``retryable`` says whether trying again may help

An action's transient failures (connection refused, timeouts, HTTP 429 and 5xx) are
``ActionError(retryable=True)`` and the runner retries them with backoff; terminal ones (HTTP 4xx, bad input,
missing credentials) fail at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from threatlake.errors import ThreatlakeError

__all__ = ["ActionError", "DefinitionError", "DefinitionProblem", "WorkflowError"]


class WorkflowError(ThreatlakeError):
    """A workflow operation that cannot be done as asked (an unknown workflow, a bad input)."""


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """One thing wrong with a definition: the dotted key path, the task (if any), the 1-based line."""

    path: str
    message: str
    task: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        task = f"task {self.task!r}: " if self.task else ""
        return f"{where}{task}{self.path}: {self.message}"


class DefinitionError(WorkflowError):
    """A workflow definition that does not validate; ``problems`` lists each one, located."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        super().__init__("invalid workflow: " + "; ".join(str(p) for p in problems[:20]))
        self.problems = problems


class ActionError(WorkflowError):
    """An action failed. ``retryable`` is True for transient failures (network, 429, 5xx)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
