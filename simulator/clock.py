"""Simulated time: deterministic, scalable, and advanced on request by tests."""

from __future__ import annotations

import time


class SimClock:
    """Seconds since the simulator started, at ``scale`` times real time plus manual jumps.

    With ``scale=0`` time only moves when a test calls ``advance``, which makes
    every value the devices report reproducible.
    """

    def __init__(self, scale: float = 1.0, start: float = 0.0) -> None:
        """Start the clock at ``start`` simulated seconds."""
        self.scale = scale
        self._offset = start
        self._real_start = time.monotonic()

    def now(self) -> float:
        """Current simulated time in seconds."""
        return self._offset + (time.monotonic() - self._real_start) * self.scale

    def advance(self, seconds: float) -> float:
        """Jump forward by ``seconds`` and return the new time."""
        self._offset += max(0.0, seconds)
        return self.now()
