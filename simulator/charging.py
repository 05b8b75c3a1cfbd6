"""A deterministic charging cycle that every simulated vendor reuses.

A car arrives, waits for authorization, charges at a power that tapers near
the end, stays plugged in a while, then leaves; the cycle repeats. Everything
is a pure function of simulated time, so two runs give the same values and
the energy counter always rises by exactly the energy charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import math


class Phase(StrEnum):
    """Where a charge point is in the cycle."""

    IDLE = "idle"
    CONNECTED = "connected"
    CHARGING = "charging"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class CycleTimes:
    """Durations of the cycle's phases, in simulated seconds."""

    idle: float = 120.0
    connected: float = 20.0
    charging: float = 900.0
    finished: float = 60.0

    @property
    def period(self) -> float:
        """Length of one whole cycle."""
        return self.idle + self.connected + self.charging + self.finished


@dataclass(frozen=True, slots=True)
class Reading:
    """What a charge point measures at one instant."""

    phase: Phase
    power_w: float
    currents_a: tuple[float, float, float]
    voltages_v: tuple[float, float, float]
    meter_wh: float
    session_wh: float
    session_s: float
    session_number: int
    soc: int | None


class ChargingCycle:
    """One charge point's cycle: ``max_power_w`` at three phases, offset in time."""

    def __init__(
        self,
        *,
        max_power_w: float = 11000.0,
        phases: int = 3,
        offset_s: float = 0.0,
        times: CycleTimes | None = None,
        meter_start_wh: float = 426416.0,
        voltage_v: float = 231.0,
    ) -> None:
        """Describe the charge point; ``offset_s`` shifts it against the others."""
        self.max_power_w = max_power_w
        self.phases = phases
        self.offset_s = offset_s
        self.times = times or CycleTimes()
        self.meter_start_wh = meter_start_wh
        self.voltage_v = voltage_v
        #: Forced power cap in W (energy management); None for no cap.
        self.cap_w: float | None = None
        #: Where ``set_cap`` changed the cap during a session: (session number, seconds
        #: into its charging, energy in Wh charged by then), so the change acts from then on.
        self._cap_changed: tuple[int, float, float] | None = None
        #: The energy in Wh of sessions that were over when the cap changed, per number.
        self._ended_wh: dict[int, float] = {}

    def set_cap(self, cap_w: float | None, now: float) -> None:
        """Cap the power from ``now`` on: what the session running has charged stands."""
        if cap_w == self.cap_w:
            return
        reading = self.reading(now)
        if reading.phase is Phase.CHARGING:
            into = reading.session_s - self.times.connected
            self._cap_changed = (reading.session_number, into, reading.session_wh)
        elif reading.phase is not Phase.CONNECTED and reading.session_number > 0:
            number = reading.session_number
            self._ended_wh[number] = self._session_energy(number, self.times.charging)
        self.cap_w = cap_w

    def _session_energy(self, session_number: int, charging_s: float) -> float:
        """Energy in Wh of session ``session_number`` after ``charging_s`` seconds of charging."""
        if session_number in self._ended_wh:
            return self._ended_wh[session_number]
        changed = self._cap_changed
        if changed is None or changed[0] != session_number or charging_s < changed[1]:
            return self._energy_of_charging(charging_s)
        _, at, charged = changed
        return charged + self._energy_of_charging(charging_s) - self._energy_of_charging(at)

    def _power_at(self, charging_s: float) -> float:
        """Power during charging: full, then tapering over the last fifth."""
        full = self.max_power_w if self.cap_w is None else min(self.max_power_w, self.cap_w)
        taper_start = self.times.charging * 0.8
        if charging_s < taper_start:
            return full
        remaining = (self.times.charging - charging_s) / (self.times.charging - taper_start)
        return full * max(0.1, remaining)

    def _energy_of_charging(self, charging_s: float) -> float:
        """Energy in Wh after ``charging_s`` seconds of a charging phase (exact integral)."""
        full = self.max_power_w if self.cap_w is None else min(self.max_power_w, self.cap_w)
        taper_start = self.times.charging * 0.8
        flat = min(charging_s, taper_start)
        energy_ws = full * flat
        if charging_s > taper_start:
            # Integrate the linear taper (clamped at 10 %) with small steps: cheap and exact enough.
            steps = 50
            span = charging_s - taper_start
            step = span / steps
            energy_ws += sum(
                self._power_at(taper_start + (i + 0.5) * step) * step for i in range(steps)
            )
        return energy_ws / 3600.0

    def reading(self, now: float) -> Reading:
        """The charge point's state at simulated time ``now``."""
        t = max(0.0, now + self.offset_s)
        times = self.times
        cycles = math.floor(t / times.period)
        into = t - cycles * times.period
        per_session_wh = self._energy_of_charging(times.charging)
        meter = self.meter_start_wh + cycles * per_session_wh
        session_number = cycles + 1
        volts = (self.voltage_v, self.voltage_v + 1.0, self.voltage_v + 0.5)
        if into < times.idle:
            return Reading(
                Phase.IDLE, 0.0, (0.0, 0.0, 0.0), volts, meter, 0.0, 0.0, session_number - 1, None
            )
        into -= times.idle
        if into < times.connected:
            return Reading(
                Phase.CONNECTED, 0.0, (0.0, 0.0, 0.0), volts, meter, 0.0, into, session_number, 20
            )
        session_s = into
        into -= times.connected
        if into < times.charging:
            power = self._power_at(into)
            session_wh = self._session_energy(session_number, into)
            per_phase = power / self.phases / self.voltage_v
            currents = tuple(
                round(per_phase * factor, 2) if index < self.phases else 0.0
                for index, factor in enumerate((1.0, 1.02, 0.98))
            )
            soc = min(100, 20 + int(80 * into / times.charging))
            return Reading(
                Phase.CHARGING,
                round(power, 1),
                currents,
                volts,  # type: ignore[arg-type]
                meter + session_wh,
                session_wh,
                session_s,
                session_number,
                soc,
            )
        session_wh = self._session_energy(session_number, times.charging)
        return Reading(
            Phase.FINISHED,
            0.0,
            (0.0, 0.0, 0.0),
            volts,
            meter + session_wh,
            session_wh,
            session_s,
            session_number,
            100,
        )
