"""Sensor descriptions of the kinds every vendor has, built the same way for all of them.

Each factory fixes what a kind of sensor always is (device class, state
class, units, the usual precision) and takes what differs between vendors: the
keys, the device kind, how to read the value and the native unit where vendors
report in different ones. Anything else a description may carry (``exists_fn``,
``entity_category``, ...) is passed through under its own name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.helpers.typing import StateType

from .descriptions import (
    EvseBridgeSensorEntityDescription,
)

type ValueFn = Callable[[Any], StateType | datetime]


class DiagnosticSensorOptions(TypedDict, total=False):
    """Description fields a caller may add to a diagnostic sensor (its category is fixed)."""

    exists_fn: Callable[[Any], bool]
    attributes_fn: Callable[[Any], Mapping[str, Any] | None] | None
    translation_placeholders: Mapping[str, str] | None
    entity_registry_enabled_default: bool


class SensorOptions(DiagnosticSensorOptions, total=False):
    """Description fields a caller may add to the other factories' sensors."""

    entity_category: EntityCategory | None


def power_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    unit: UnitOfPower = UnitOfPower.WATT,
    precision: int = 2,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """Power measured now; watts are shown as kilowatts."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=unit,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT if unit == UnitOfPower.WATT else None,
        suggested_display_precision=precision,
        value_fn=value_fn,
        **options,
    )


def energy_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    unit: UnitOfEnergy = UnitOfEnergy.WATT_HOUR,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A meter reading that only grows (or restarts at zero); watt-hours are shown as kWh."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=unit,
        suggested_unit_of_measurement=(
            UnitOfEnergy.KILO_WATT_HOUR if unit == UnitOfEnergy.WATT_HOUR else None
        ),
        suggested_display_precision=2,
        value_fn=value_fn,
        **options,
    )


def session_energy_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    unit: UnitOfEnergy = UnitOfEnergy.WATT_HOUR,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """Energy of the session running now; watt-hours are shown as kWh.

    No state class: the Energy dashboard offers only lifetime meters, and a session's
    energy is kept in its "Session" event and ``get_sessions``, not in statistics.
    """
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=unit,
        suggested_unit_of_measurement=(
            UnitOfEnergy.KILO_WATT_HOUR if unit == UnitOfEnergy.WATT_HOUR else None
        ),
        suggested_display_precision=2,
        value_fn=value_fn,
        **options,
    )


def current_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    unit: UnitOfElectricCurrent = UnitOfElectricCurrent.AMPERE,
    precision: int | None = None,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """An electric current measured now."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=unit,
        suggested_display_precision=precision,
        value_fn=value_fn,
        **options,
    )


def voltage_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    precision: int | None = None,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A voltage measured now, in volts."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=precision,
        value_fn=value_fn,
        **options,
    )


def phase_sensors(
    sensor: Callable[..., EvseBridgeSensorEntityDescription],
    translation_key: str,
    device_kind: str,
    values_fn: Callable[[Any], Sequence[float | None]],
    *,
    count: int = 3,
    **parameters: Any,
) -> tuple[EvseBridgeSensorEntityDescription, ...]:
    """One ``sensor`` per phase (or channel) ``n`` of the list ``values_fn`` reads.

    Keys are ``<translation_key>_<n>``; the translation names the phase through
    the ``index`` placeholder. A phase missing from a shorter list reads None.
    """

    def value_at(index: int) -> ValueFn:
        def value(data: Any) -> float | None:
            values = values_fn(data)
            return values[index] if index < len(values) else None

        return value

    return tuple(
        sensor(
            f"{translation_key}_{index + 1}",
            translation_key,
            device_kind,
            value_at(index),
            translation_placeholders={"index": str(index + 1)},
            **parameters,
        )
        for index in range(count)
    )


def temperature_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A temperature measured now, in degrees Celsius."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        value_fn=value_fn,
        **options,
    )


def duration_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    *,
    shown_in: UnitOfTime = UnitOfTime.MINUTES,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """How long something has lasted, reported in seconds and shown in minutes (or hours)."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=shown_in,
        suggested_display_precision=0 if shown_in == UnitOfTime.MINUTES else 1,
        value_fn=value_fn,
        **options,
    )


#: Vendor states spelt like a state Home Assistant reserves: reported under these options, so
#: a station out of service never reads (and is never logged or graphed) as a lost connection.
RESERVED_STATE_OPTIONS: Mapping[str, str] = {
    STATE_UNAVAILABLE: "inoperative",
    STATE_UNKNOWN: "status_unknown",
}


def enum_option(state: str) -> str:
    """The ENUM option that shows the vendor's ``state``."""
    return RESERVED_STATE_OPTIONS.get(state, state)


def enum_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    states: type[StrEnum],
    value_fn: ValueFn,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A state out of ``states``, each translated under the translation key."""

    def option(data: Any) -> StateType | datetime:
        value = value_fn(data)
        return enum_option(value) if isinstance(value, str) else value

    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        device_class=SensorDeviceClass.ENUM,
        options=[enum_option(state.value) for state in states],
        value_fn=option,
        **options,
    )


def diagnostic_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    **options: Unpack[DiagnosticSensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A plain value about the device itself (an identifier, a configuration)."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
        **options,
    )


def counter_sensor(
    key: str,
    translation_key: str,
    device_kind: str,
    value_fn: ValueFn,
    **options: Unpack[SensorOptions],
) -> EvseBridgeSensorEntityDescription:
    """A count that only grows: connections, transactions."""
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=device_kind,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=value_fn,
        **options,
    )
