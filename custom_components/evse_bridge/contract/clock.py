"""A device's clock compared with the poll time: plain data, no Home Assistant.

A controller whose clock was never set (or lost it on a power cut) stamps its
sessions with wrong times: a session filed months away from when it ran, and a
search of its records by time that misses them. A vendor whose answers carry the
device's own "now" (or a time it implies, such as a running transaction's start
plus its duration) feeds each one to ``DeviceClock.observe`` with the time of the
poll. An offset larger than ``SKEW_THRESHOLD`` is a wrong clock: the device's
times are corrected by it, and once a few polls agree it is reported.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any, Final

#: A device clock this far off (either way) is wrong, not just the poll's latency.
SKEW_THRESHOLD: Final = timedelta(minutes=5)
#: This many measurements in a row must agree before the offset counts.
STABLE_MEASUREMENTS: Final = 3
#: ... within this much of each other (a poll's latency, a timestamp's rounding).
AGREEMENT: Final = timedelta(minutes=1)


class DeviceClock:
    """How far a device's clock is behind the poll time, from its own timestamps.

    ``offset`` (what the repair issue reports) counts once ``STABLE_MEASUREMENTS`` agree;
    ``correction`` follows the latest measurement at once, so the first poll of a session
    already files it right, and a clock set right is trusted from its first measurement.
    """

    def __init__(self, offset: timedelta | None = None) -> None:
        """Nothing measured yet; ``offset`` is one established before (kept across restarts)."""
        self._measured: deque[timedelta] = deque(maxlen=STABLE_MEASUREMENTS)
        #: Poll time minus device time, once ``STABLE_MEASUREMENTS`` agreed; None before.
        self.offset = offset
        #: What to add to a device time to get the real one (0 unless it is off).
        self.correction = offset if offset is not None and self.skewed else timedelta()
        self.measured_at: datetime | None = None

    def observe(self, device_now: datetime, poll_time: datetime) -> bool:
        """A measurement: the device said it is ``device_now`` at ``poll_time``.

        True if the clock has turned skewed or right with it.
        """
        before = self.skewed
        latest = poll_time - device_now
        self._measured.append(latest)
        self.measured_at = poll_time
        agreeing = sorted(item for item in self._measured if abs(item - latest) <= AGREEMENT)
        if len(agreeing) == STABLE_MEASUREMENTS:
            self.offset = agreeing[len(agreeing) // 2]
        # The middle of the measurements that agree with the latest, to the second.
        middle = timedelta(seconds=round(agreeing[len(agreeing) // 2].total_seconds()))
        self.correction = middle if abs(middle) > SKEW_THRESHOLD else timedelta()
        return self.skewed != before

    @property
    def skewed(self) -> bool:
        """Whether the device's clock is known to be off by more than ``SKEW_THRESHOLD``."""
        return self.offset is not None and abs(self.offset) > SKEW_THRESHOLD

    def device_time(self, real_time: datetime) -> datetime:
        """A real time as the device's clock shows it (to search its records by time)."""
        return real_time - self.correction

    def diagnostics(self) -> dict[str, Any]:
        """What was measured, and how times are corrected."""
        return {
            "offset_s": None if self.offset is None else self.offset.total_seconds(),
            "skewed": self.skewed,
            "correction_s": self.correction.total_seconds(),
            "recent_offsets_s": [item.total_seconds() for item in self._measured],
            "measured_at": None if self.measured_at is None else self.measured_at.isoformat(),
            "threshold_s": SKEW_THRESHOLD.total_seconds(),
        }

    def describe_offset(self) -> str:
        """The offset's size as a person reads it, to the minute: ``"334 d 6 h 23 min"``."""
        offset = self.offset or timedelta()
        seconds = round(abs(offset.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        parts = [f"{days} d"] if days else []
        if hours or days:
            parts.append(f"{hours} h")
        parts.append(f"{minutes} min")
        return " ".join(parts)
