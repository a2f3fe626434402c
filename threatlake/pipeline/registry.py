"""The pipelines in force, by endpoint: read from ``(name, YAML text)`` pairs and compiled once.

Each endpoint runs at most one pipeline. The built-in endpoint runs the pipeline bound to ``builtin`` (after
the AWS mapping, which every endpoint does); a custom endpoint runs its own pipeline, or the built-in one when
none is bound to it, so a rule like "drop INFORMATIONAL" written once applies everywhere. Without any
pipeline, ``for_endpoint`` returns ``IDENTITY``, which costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from threatlake.pipeline.definitions import BUILTIN, PipelineError, Position, Problem
from threatlake.pipeline.processors import IDENTITY, CompiledPipeline, load_pipeline

__all__ = ["Pipelines", "load_pipelines"]


class Pipelines:
    """Compiled pipelines by endpoint; ``PipelineError`` when two bind the same endpoint."""

    def __init__(self, pipelines: Iterable[CompiledPipeline] = ()) -> None:
        self._by_endpoint: dict[str, CompiledPipeline] = {}
        problems: list[Problem] = []
        for pipeline in pipelines:  # a conflict is reported on the later one
            other = self._by_endpoint.get(pipeline.endpoint)
            if other is not None:
                source = pipeline.definition.source if pipeline.definition else ""
                message = f"Endpoint {pipeline.endpoint!r} already runs pipeline {other.name!r}"
                problems.append(Problem(Position(source, 1, 1), "endpoint", message))
                continue
            self._by_endpoint[pipeline.endpoint] = pipeline
        if problems:
            raise PipelineError(problems)

    def for_endpoint(self, endpoint: str | None = None) -> CompiledPipeline:
        """The pipeline of a custom endpoint (by name), else the built-in one's (``None`` or ``builtin``)."""
        if endpoint is not None:
            found = self._by_endpoint.get(endpoint)
            if found is not None:
                return found
        return self._by_endpoint.get(BUILTIN, IDENTITY)

    def __iter__(self) -> Iterator[CompiledPipeline]:
        return iter(self._by_endpoint.values())

    def __len__(self) -> int:
        return len(self._by_endpoint)


def load_pipelines(items: Iterable[tuple[str, str]], directory: str = "pipelines") -> Pipelines:
    """Parse and compile every ``(name, text)`` (a file ``<directory>/<name>.yaml``); ``PipelineError`` lists
    the problems of every file at once."""
    compiled: list[CompiledPipeline] = []
    problems: list[Problem] = []
    for name, text in items:
        try:
            compiled.append(load_pipeline(text, f"{directory}/{name}.yaml", name=name))
        except PipelineError as error:
            problems.extend(error.problems)
    if problems:
        raise PipelineError(problems)
    return Pipelines(compiled)
