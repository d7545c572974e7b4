"""What a long run shows while it works: a progress bar in a terminal, a line per file on a pipe, nothing extra
under Prefect (its task logs already carry a line per file).

The nightly flow reports to whatever :func:`current` returns; the command line installs a reporter for the one
run it starts (:func:`reporting`). A served deployment installs none, so a flow run there reports to
:class:`Silent`. Progress never carries personal data: file names, plan ids and counts only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    def begin(self, label: str, total: int) -> None:
        """A step of ``total`` units starts (a plan's files, the checks)."""

    def advance(self, line: str) -> None:
        """One unit is done; ``line`` says what happened to it."""

    def end(self) -> None:
        """The step is over."""


class Silent:
    def begin(self, label: str, total: int) -> None: ...

    def advance(self, line: str) -> None: ...

    def end(self) -> None: ...


class Lines:
    """A line per unit, for logs and pipes (a bar's redraws would fill them with noise)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def begin(self, label: str, total: int) -> None: ...

    def advance(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def end(self) -> None: ...


class Bar:
    """A rich progress bar per step, left on screen when done."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"), console=console, transient=False,
        )
        self.task: TaskID | None = None

    def begin(self, label: str, total: int) -> None:
        if self.task is None:
            self.progress.start()
        self.task = self.progress.add_task(label, total=total, last="")

    def advance(self, line: str) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=1, last=line[:60])

    def end(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, last="")

    def stop(self) -> None:
        self.progress.stop()


#: One process runs one night at a time (a served deployment runs each in its own process): a module-level
#: reporter, not a context variable, so Prefect's engine threads see the one the command installed.
_current: list[Reporter] = [Silent()]


def current() -> Reporter:
    return _current[-1]


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    _current.append(reporter)
    try:
        yield reporter
    finally:
        _current.pop()
        if isinstance(reporter, Bar):
            reporter.stop()
