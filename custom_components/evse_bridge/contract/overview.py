"""The site at a glance: one vendor-neutral status per charge point, and the entry's summary.

A vendor lists ``charge_point_problem(kind, status_fn, ...)`` for every kind of device
that is or has a charge point (a Legacy controller, an EVCE station and its connectors,
a ChargEye station and its connectors): it becomes the device's *Problem* binary sensor,
and its ``status_fn`` is what the summary sensors count and the alerts watch. Devices
whose description says ``counted`` are the places a car charges (connectors, or the one
controller); a station with connectors is not counted again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.helpers.typing import StateType

from .descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from .site import DeviceData

PROBLEM_KEY: Final = "charge_point_problem"


class ChargePointStatus(StrEnum):
    """What a charge point is doing, whatever the vendor calls it."""

    AVAILABLE = "available"
    #: A vehicle is plugged in (or the point reserved) but no energy flows.
    OCCUPIED = "occupied"
    CHARGING = "charging"
    FAULTED = "faulted"
    #: The device does not talk to its hub, its cloud or to us.
    OFFLINE = "offline"
    #: Taken out of service on purpose.
    UNAVAILABLE = "unavailable"


#: The states an operator must hear about.
PROBLEM_STATUSES: Final = frozenset({ChargePointStatus.FAULTED, ChargePointStatus.OFFLINE})


#: OCPP 1.6 connector statuses (as the APIs send them, lower case) and what they mean here.
#: ``inoperative`` is OCPP's ``Unavailable`` where Home Assistant reserves the word.
_OCPP: Final[Mapping[str, ChargePointStatus]] = {
    "available": ChargePointStatus.AVAILABLE,
    "preparing": ChargePointStatus.OCCUPIED,
    "occupied": ChargePointStatus.OCCUPIED,
    "reserved": ChargePointStatus.OCCUPIED,
    "suspendedev": ChargePointStatus.OCCUPIED,
    "suspendedevse": ChargePointStatus.OCCUPIED,
    "finishing": ChargePointStatus.OCCUPIED,
    "charging": ChargePointStatus.CHARGING,
    "faulted": ChargePointStatus.FAULTED,
    "unavailable": ChargePointStatus.UNAVAILABLE,
    "inoperative": ChargePointStatus.UNAVAILABLE,
}

#: What a Problem sensor's status memo holds before it saw any data.
_NOTHING: Final = object()


def ocpp_status(value: str | None) -> ChargePointStatus | None:
    """The status of an OCPP 1.6 connector status (None for an unknown or missing one)."""
    return None if value is None else _OCPP.get(str(value).lower())


@dataclass(frozen=True, kw_only=True)
class ChargePointProblemDescription[D = Any](EvseBridgeBinarySensorEntityDescription[D]):
    """A charge point's *Problem* sensor; its status feeds the site's summary and alerts."""

    status_fn: Callable[[D], ChargePointStatus | None]
    #: Charging power in W, for the site's total (only on counted devices).
    power_fn: Callable[[D], float | None] | None = None
    #: Whether the device is a place a car charges (counted in the summary).
    counted: bool = True


def charge_point_problem[D](
    device_kind: str,
    status_fn: Callable[[D], ChargePointStatus | None],
    *,
    power_fn: Callable[[D], float | None] | None = None,
    counted: bool = True,
    key: str = PROBLEM_KEY,
    translation_key: str = PROBLEM_KEY,
    is_on_fn: Callable[[D], bool | None] | None = None,
    attributes_fn: Callable[[D], Mapping[str, Any] | None] | None = None,
    exists_fn: Callable[[D], bool] = lambda _: True,
) -> ChargePointProblemDescription[D]:
    """The *Problem* sensor of a charge point: on while it is faulted or offline.

    A vendor that already had a problem sensor on the device passes its key and its
    own ``is_on_fn`` (unique IDs stay); the status still feeds the summary and is shown
    as the ``status`` attribute next to the vendor's own attributes.
    """
    # The state and the attributes ask for the status of the same data in a row, on a
    # poll and again when the state is written: worked out once (the data is immutable).
    last: list[Any] = [_NOTHING, None]

    def status_of(data: D) -> ChargePointStatus | None:
        if last[0] is not data:
            last[0], last[1] = data, status_fn(data)
        status: ChargePointStatus | None = last[1]
        return status

    def problem(data: D) -> bool | None:
        status = status_of(data)
        return None if status is None else status in PROBLEM_STATUSES

    def attributes(data: D) -> Mapping[str, Any]:
        status = status_of(data)
        own = attributes_fn(data) if attributes_fn is not None else None
        return {**(own or {}), "status": None if status is None else status.value}

    return ChargePointProblemDescription[D](
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=is_on_fn or problem,
        attributes_fn=attributes,
        status_fn=status_fn,
        power_fn=power_fn,
        counted=counted,
        exists_fn=exists_fn,
    )


@dataclass(frozen=True, slots=True)
class ChargePoint:
    """One device's vendor-neutral state."""

    key: str
    status: ChargePointStatus | None
    power_w: float | None
    counted: bool


def charge_point_descriptions(
    descriptions: Iterable[EvseBridgeEntityDescription],
) -> dict[str, ChargePointProblemDescription]:
    """The charge point description of each device kind that is a charge point."""
    return {
        description.device_kind: description
        for description in descriptions
        if isinstance(description, ChargePointProblemDescription)
    }


def charge_points(
    devices: Mapping[str, DeviceData], by_kind: Mapping[str, ChargePointProblemDescription]
) -> dict[str, ChargePoint]:
    """Every device of ``devices`` whose kind has a charge point description, by key."""
    points = {}
    for key, device in devices.items():
        description = by_kind.get(device.kind)
        if description is None:
            continue
        power = description.power_fn(device.data) if description.power_fn else None
        points[key] = ChargePoint(
            key, description.status_fn(device.data), power, description.counted
        )
    return points


@dataclass(frozen=True, slots=True)
class SiteOverview:
    """The counted charge points by state and their total power."""

    counts: Mapping[ChargePointStatus, int]
    power_w: float | None

    @classmethod
    def of(cls, points: Iterable[ChargePoint]) -> SiteOverview:
        """Count ``points`` (the counted ones); add up the power of those that report it."""
        counted = [point for point in points if point.counted]
        counts = Counter(point.status for point in counted if point.status is not None)
        known = [point.power_w for point in counted if point.power_w is not None]
        return cls(
            {status: counts.get(status, 0) for status in ChargePointStatus},
            sum(known) if known else None,
        )


def _no_value(_: Any) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class SiteSummarySensorDescription(EvseBridgeSensorEntityDescription):
    """A sensor of the entry's top device that reads every device of the site."""

    summary_fn: Callable[[SiteOverview], StateType]
    value_fn: Callable[[Any], None] = _no_value


@dataclass(frozen=True, kw_only=True)
class EnergyTodaySensorDescription(EvseBridgeSensorEntityDescription):
    """Energy the site's sessions delivered since local midnight (the session tracker's)."""

    value_fn: Callable[[Any], None] = _no_value


def _count(status: ChargePointStatus) -> Callable[[SiteOverview], StateType]:
    return lambda overview: overview.counts[status]


def site_summary_sensors(
    device_kind: str, *, one_charge_point: bool = False
) -> tuple[EvseBridgeSensorEntityDescription, ...]:
    """The summary of the site on its top device (a hub, an account, the one controller).

    On an entry that is ``one_charge_point`` (a Bender controller) the counts and the total
    power repeat the controller's own status and power: they exist, disabled by default.
    """
    counts = tuple(
        SiteSummarySensorDescription(
            key=f"charge_points_{status.value}",
            translation_key=f"charge_points_{status.value}",
            device_kind=device_kind,
            state_class=SensorStateClass.MEASUREMENT,
            entity_registry_enabled_default=not one_charge_point,
            summary_fn=_count(status),
        )
        for status in ChargePointStatus
    )
    return (
        *counts,
        SiteSummarySensorDescription(
            key="site_power",
            translation_key="site_power",
            device_kind=device_kind,
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.WATT,
            suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
            suggested_display_precision=1,
            entity_registry_enabled_default=not one_charge_point,
            summary_fn=lambda overview: overview.power_w,
        ),
        EnergyTodaySensorDescription(
            key="energy_today",
            translation_key="energy_today",
            device_kind=device_kind,
            device_class=SensorDeviceClass.ENERGY,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            suggested_display_precision=2,
        ),
    )
