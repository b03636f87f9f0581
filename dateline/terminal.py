"""The CLI's output: rich consoles for stdout and stderr and one look for progress bars.

Made when a command prints, so that `--help` does not pay for importing rich's console,
and each time, so that each reads the terminal's width (COLUMNS) as it is then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def out() -> Console:
    from rich.console import Console

    return Console()


def err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def progress_bar() -> Progress:
    """What, how far, n of m, time taken, on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err())
