"""Home Assistant whose event-loop thread is profiled between two signals.

``scripts/benchmark --versus-rest --profile FILE`` starts the EVSE Bridge process with
this module: SIGUSR1 starts a ``cProfile`` of the main thread (where the event loop
runs), SIGUSR2 stops it and writes the statistics to ``$EVSE_BRIDGE_PROFILE``, so the
profile covers the measured window only, not Home Assistant's start. The profile counts
the thread's CPU time, not wall-clock time: on a loaded machine, time spent waiting for a
core would otherwise show up in whatever call was running.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from types import FrameType

from homeassistant.__main__ import main

PROFILE = cProfile.Profile(time.thread_time)


def _start(_signal: int, _frame: FrameType | None) -> None:
    PROFILE.enable()


def _stop(_signal: int, _frame: FrameType | None) -> None:
    PROFILE.disable()
    PROFILE.dump_stats(os.environ["EVSE_BRIDGE_PROFILE"])


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.exit(main())
