"""What a long command is doing, on standard error: a progress bar on a terminal, plain lines elsewhere.

``backfill`` and ``ingest`` of several files report through one ``Progress``: ``task(label, total)`` starts a
piece of work (a region, the files), ``say(text)`` tells what is being called now ("Reading GuardDuty
detectors in eu-west-1"), ``advance(amount, summary)`` moves it on and ``finish()`` ends it. On a terminal it
is drawn by ``rich`` (a spinner, a bar when the total is known, the summary and the time taken, redrawn in
place); elsewhere (a log, CI, a pipe) every step is one plain line, ``<label>: <summary>``, so the output
reads the same in a file.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

__all__ = ["Progress"]


class Progress:
    """Progress of one command on ``stream`` (drawn when ``terminal``, by default ``stream.isatty()``)."""

    def __init__(self, stream: TextIO, *, terminal: bool | None = None) -> None:
        self._stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self._bars: Bars | None = None
        self._task: TaskID | None = None
        self.label = ""
        self._summary = ""
        self._said = False

    def __enter__(self) -> Progress:
        if self.terminal:
            console = Console(file=self._stream, force_terminal=True, stderr=True)
            self._bars = Bars(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[summary]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.finish()
        if self._bars is not None:
            self._bars.stop()

    def task(self, label: str, total: float | None = None) -> None:
        """Start a piece of work (the previous one is finished first); ``total`` gives a bar."""
        self.finish()
        self.label, self._summary, self._said = label, "", False
        if self._bars is not None:
            self._task = self._bars.add_task(label, total=total, summary="")

    def say(self, text: str) -> None:
        """What is being done now (an API about to be called); a line of its own off a terminal."""
        if self._bars is not None and self._task is not None:
            self._bars.update(self._task, summary=f"{text} …")
        else:
            self._line(f"{text} …")

    def advance(self, amount: float, summary: str) -> None:
        self._summary = summary
        if self._bars is not None and self._task is not None:
            self._bars.update(self._task, advance=amount, summary=summary)
        else:
            self._line(f"{self.label}: {summary}")
            self._said = True

    def finish(self, summary: str | None = None) -> None:
        """End the current piece of work: the bar stays on the terminal with its last summary; off a terminal,
        a piece that never advanced still gets its line."""
        if summary is not None:
            self._summary = summary
        if self._bars is not None and self._task is not None:
            task = self._bars.tasks[self._task]
            self._bars.update(
                self._task, total=task.completed if task.total is None else task.total, summary=self._summary
            )
            self._bars.stop_task(self._task)
            self._task = None
        elif self.label and not self._said and self._bars is None:
            self._line(f"{self.label}: {self._summary}")
            self._said = True

    def _line(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()
