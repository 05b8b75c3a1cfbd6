"""The session entities a vendor describes: the "Session" event and a delivered-energy counter.

A vendor lists ``session_event`` per connector (per controller for single-point
devices) with a ``record_fn`` that reads the session running now from the
device's data; the session tracker (``sessions/``) does the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfEnergy

from .descriptions import (
    EvseBridgeEventEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from .records import SessionRecord, SessionUnknown

STARTED: Final = "started"
COMPLETED: Final = "completed"
SESSION_KEY: Final = "session"
LIFETIME_ENERGY_KEY: Final = "delivered_energy"


def _no_value(_: Any) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class SessionEventDescription(EvseBridgeEventEntityDescription):
    """The "Session" event entity of a connector, and how its data reads as a session."""

    #: The session running now (or the device's record of the one just ended); None if
    #: idle; ``SESSION_UNKNOWN`` when this poll cannot tell (nothing changes then).
    record_fn: Callable[[Any], SessionRecord | SessionUnknown | None]
    #: The device is a connector of the station it is linked to (``via_key``); else it is
    #: the station (a single-point controller).
    connector: bool = True
    #: The device's lifetime energy register in kWh, where it has one and keeps no record
    #: of finished sessions: a session that ended unseen (between polls, during a
    #: connection loss or a restart) gets what the register counted since its last reading.
    meter_fn: Callable[[Any], float | None] | None = None


@dataclass(frozen=True, kw_only=True)
class DeliveredEnergySensorDescription(EvseBridgeSensorEntityDescription):
    """Energy delivered since the integration was added, summed from the sessions it saw."""

    value_fn: Callable[[Any], None] = _no_value


def session_event(
    device_kind: str,
    record_fn: Callable[[Any], SessionRecord | SessionUnknown | None],
    *,
    connector: bool = True,
    exists_fn: Callable[[Any], bool] | None = None,
    meter_fn: Callable[[Any], float | None] | None = None,
) -> SessionEventDescription:
    """The "Session" event entity of every device of ``device_kind``."""
    extra: dict[str, Any] = {} if exists_fn is None else {"exists_fn": exists_fn}
    if meter_fn is not None:
        extra["meter_fn"] = meter_fn
    return SessionEventDescription(
        key=SESSION_KEY,
        translation_key=SESSION_KEY,
        device_kind=device_kind,
        event_types=[STARTED, COMPLETED],
        record_fn=record_fn,
        connector=connector,
        **extra,
    )


def delivered_energy_sensor(device_kind: str) -> DeliveredEnergySensorDescription:
    """A lifetime energy counter built from the sessions seen, for devices without a meter.

    On a station it sums its connectors' counters.
    """
    return DeliveredEnergySensorDescription(
        key=LIFETIME_ENERGY_KEY,
        translation_key=LIFETIME_ENERGY_KEY,
        device_kind=device_kind,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    )
