"""Child processes that stop when the process that started them dies, even by SIGKILL.

``dateline up`` runs Redis and every service as its children. If it is killed outright
(``kill -9``, the OOM killer, a closed terminal's SIGKILL), nothing of it should stay
behind: services holding the ports and Redis holding the data directory would make the
next ``dateline up`` fail. Linux sends a child a chosen signal when its parent dies
(``PR_SET_PDEATHSIG``); SIGTERM makes a service stop as it always does (its batch in hand
finished and acked) and Redis write its AOF and exit.

The signal follows the *thread* that started the child: start children from a thread
that lives as long as they should (the main thread of ``dateline up``).

A ``preexec_fn`` runs in the child between fork and exec, where a lock another thread
held at the fork would never be released. This one takes none: ``prctl`` is looked up
before the fork, and the call and ``getppid`` are plain system calls.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def stop_when_parent_dies() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` (None where Linux's prctl is missing)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it
    parent, term = os.getpid(), int(signal.SIGTERM)

    def in_the_child() -> None:
        prctl(_PR_SET_PDEATHSIG, term)
        if os.getppid() != parent:  # it died before the prctl: no signal will come
            os._exit(1)

    return in_the_child
