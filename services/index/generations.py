"""Index generations: the index lives in ``<index_dir>/<generation>/``, named by ``CURRENT``.

A reindex builds a new generation beside the live one and switches ``CURRENT`` in one
atomic rename; readers look at ``CURRENT`` before every request and follow it, so search
never stops. The previous generation is kept (a reader may still be on it); older ones go.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

POINTER = "CURRENT"
PREFIX = "gen-"


def current(root: Path) -> Path:
    """The live generation's directory, creating the first one on a fresh root."""
    pointer = root / POINTER
    try:
        return root / pointer.read_text().strip()
    except FileNotFoundError:
        first = fresh(root)
        switch(root, first)
        return first


def pointer_stamp(root: Path) -> str:
    """The live generation's name, or "" (cheap enough to read before every request;
    file times are too coarse to tell two quick switches apart)."""
    return _named(root) or ""


def fresh(root: Path) -> Path:
    """A new, empty generation directory (not yet live)."""
    path = root / f"{PREFIX}{time.time_ns()}"
    path.mkdir(parents=True)
    return path


def switch(root: Path, generation: Path) -> None:
    """Make ``generation`` live in one atomic step, then drop all but the previous one."""
    previous = _named(root)
    staged = root / f".{POINTER}.{os.getpid()}"
    staged.write_text(generation.name)
    os.replace(staged, root / POINTER)
    keep = {generation.name, previous}
    for old in root.glob(f"{PREFIX}*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _named(root: Path) -> str | None:
    try:
        return (root / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
