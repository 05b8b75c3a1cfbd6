"""The entities of an EVCE hub's devices: the hub, stations, connectors, zones, power meters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import dataclasses
from typing import Any, Final

from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
)

from ...api.schneider_evce import EvceConnectorStatus, EvceOcppStatus, EvceReductionType
from ...contract.commands import last_command_sensor
from ...contract.descriptions import (
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from ...contract.limits import LimitControl, LimitUnit
from ...contract.overview import (
    ChargePointStatus,
    charge_point_problem,
    ocpp_status,
    site_summary_sensors,
)
from ...contract.sensor_factories import (
    current_sensor,
    energy_sensor,
    enum_sensor,
    phase_sensors,
    power_sensor,
    session_energy_sensor,
    voltage_sensor,
)
from ...contract.sessions import session_event
from ...contract.site import DeviceData
from .model import (
    ATTR_SESSION_START,
    ATTR_STATIONS,
    ATTR_TRANSACTION_ID,
    CONNECTOR,
    HUB,
    POWER_METER,
    REDUCTION_KEYS,
    STATION,
    ZONE,
    EvceConnectorData,
    EvceHubData,
    EvcePowerMeterData,
    EvceStationData,
    EvceZoneData,
    ReductionMode,
    reduction_max,
    reduction_mode,
)
from .sessions import meter_kwh, session_record
from .site import EvceSite

# --- station -------------------------------------------------------------------------------


async def _set_availability(site: EvceSite, device: DeviceData, on: bool) -> None:
    data: EvceStationData = device.data
    await site.client.change_availability(data.station.id, operative=on)


def _available(data: EvceStationData) -> bool | None:
    if data.status is None or data.status.status is None:
        return None
    return data.status.status is not EvceConnectorStatus.INOPERATIVE


async def _restart(site: EvceSite, device: DeviceData) -> None:
    data: EvceStationData = device.data
    await site.client.reset(data.station.id)


#: The state a station and its connectors show while the station's link to the hub is down:
#: the hub then knows neither their OCPP status nor their readings.
OFFLINE: Final = "offline"


def _with_offline(
    description: EvseBridgeSensorEntityDescription,
) -> EvseBridgeSensorEntityDescription:
    """A status sensor that also shows the station offline (a state of its own, not unknown)."""
    return dataclasses.replace(description, options=[*(description.options or ()), OFFLINE])


def _station_status(data: EvceStationData) -> EvceConnectorStatus | str | None:
    if not data.online:
        return OFFLINE
    return None if data.status is None else data.status.status


def _station_online(data: EvceStationData | EvceConnectorData) -> bool:
    """Whether the hub can pass a command on to the station (its controls are available)."""
    return data.online


def _station_ocpp(data: EvceStationData) -> EvceOcppStatus | None:
    return None if data.status is None else data.status.ocpp_status


STATION_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    _with_offline(
        enum_sensor("status", "evce_station_status", STATION, EvceConnectorStatus, _station_status)
    ),
    enum_sensor(
        "ocpp_status",
        "evce_ocpp_connection",
        STATION,
        EvceOcppStatus,
        _station_ocpp,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    EvseBridgeSensorEntityDescription[EvceStationData](
        key="zone",
        translation_key="evce_station_zone",
        device_kind=STATION,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.zone,
        exists_fn=lambda data: data.zone is not None,
    ),
    EvseBridgeSwitchEntityDescription[EvceStationData, EvceSite](
        key="availability",
        translation_key="evce_availability",
        device_kind=STATION,
        is_on_fn=_available,
        set_fn=_set_availability,
        available_fn=_station_online,
    ),
    EvseBridgeButtonEntityDescription[EvceStationData, EvceSite](
        key="restart",
        device_kind=STATION,
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=_restart,
        available_fn=_station_online,
    ),
    last_command_sensor(STATION),
)

# --- connector -----------------------------------------------------------------------------


async def _set_connector_availability(site: EvceSite, device: DeviceData, on: bool) -> None:
    data: EvceConnectorData = device.data
    await site.client.change_availability(
        data.station.id, operative=on, connector_id=data.connector_id
    )


def _connector_available(data: EvceConnectorData) -> bool | None:
    if data.status is None:
        return None
    return data.status is not EvceConnectorStatus.INOPERATIVE


def _connector_attributes(data: EvceConnectorData) -> dict[str, Any]:
    return {
        ATTR_TRANSACTION_ID: data.transaction_id,
        ATTR_SESSION_START: data.session_start.isoformat() if data.session_start else None,
    }


CONNECTOR_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    session_event(CONNECTOR, session_record, meter_fn=meter_kwh),
    _with_offline(
        enum_sensor(
            "status",
            "evce_connector_status",
            CONNECTOR,
            EvceConnectorStatus,
            lambda data: data.status if data.online else OFFLINE,
            attributes_fn=_connector_attributes,
        )
    ),
    power_sensor("power", "power", CONNECTOR, lambda data: data.power_w),
    session_energy_sensor(
        "session_energy", "session_energy", CONNECTOR, lambda data: data.session_energy_wh
    ),
    energy_sensor(
        "energy",
        "meter_energy",
        CONNECTOR,
        lambda data: data.energy_wh,
        exists_fn=lambda data: data.state is None or data.state.energy_wh is not None,
    ),
    EvseBridgeSwitchEntityDescription[EvceConnectorData, EvceSite](
        key="availability",
        translation_key="evce_availability",
        device_kind=CONNECTOR,
        is_on_fn=_connector_available,
        set_fn=_set_connector_availability,
        available_fn=_station_online,
        # One connector's own switch only where the station has several.
        exists_fn=lambda data: len(data.station.connectors) > 1,
    ),
)

# --- hub -----------------------------------------------------------------------------------

HUB_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    EvseBridgeSensorEntityDescription[EvceHubData](
        key="stations_connected",
        translation_key="evce_stations_connected",
        device_kind=HUB,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.stations_connected,
        attributes_fn=lambda data: {"stations": data.stations},
    ),
    power_sensor("power", "evce_stations_power", HUB, lambda data: data.power_w),
)

# --- zone ----------------------------------------------------------------------------------


def _reduction_setter(
    reduction_type: EvceReductionType,
) -> Callable[[EvceSite, DeviceData, float], Awaitable[None]]:
    async def set_reduction(site: EvceSite, device: DeviceData, value: float) -> None:
        data: EvceZoneData = device.data
        await site.async_set_zone_reduction(data.zone.id, value, reduction_type)

    return set_reduction


def _reduction_number(
    reduction_type: EvceReductionType,
    unit: str,
    device_class: NumberDeviceClass,
    limit_control: LimitControl[EvceZoneData] | None = None,
) -> EvseBridgeNumberEntityDescription[EvceZoneData, EvceSite]:
    """A zone reduction in one unit for the number's lifetime: 0 while the other applies."""
    return EvseBridgeNumberEntityDescription[EvceZoneData, EvceSite](
        key=REDUCTION_KEYS[reduction_type],
        translation_key=f"evce_zone_{REDUCTION_KEYS[reduction_type]}",
        device_kind=ZONE,
        mode=NumberMode.BOX,
        native_step=0.1,
        native_unit_of_measurement=unit,
        device_class=device_class,
        value_fn=lambda data: data.reduction_in(reduction_type),
        set_fn=_reduction_setter(reduction_type),
        min_fn=lambda data: 0.0,
        max_fn=lambda data: reduction_max(data, reduction_type),
        limit_control=limit_control,
    )


def _reported_mode(data: EvceZoneData) -> bool:
    return data.reduction.valid_mode is not None


def _current_reduction_max(data: EvceZoneData) -> float:
    return reduction_max(data, EvceReductionType.CURRENT)


#: The least a car charges at (IEC 61851), per phase.
MINIMUM_CHARGING_A: Final = 6.0


def _zone_minimum(data: EvceZoneData) -> float:
    """Each session in the zone needs its 6 A of the zone's current; no session, nothing.

    Less than that the hub would share out below every car's minimum. A zone whose stations
    the hub does not list needs one car's; more sessions than the zone's maximum carries
    need its maximum (the hub then pauses some of them itself).
    """
    sessions = 1 if data.sessions is None else data.sessions
    return min(MINIMUM_CHARGING_A * sessions, _current_reduction_max(data))


#: The site power budget limits a zone as a whole, through its current reduction: one
#: reduction, the hub shares it out among the zone's sessions.
ZONE_LIMIT = LimitControl[EvceZoneData](
    unit_fn=lambda data: LimitUnit.AMPERE,
    minimum_fn=_zone_minimum,
    maximum_fn=_current_reduction_max,
    power_fn=lambda data: data.status.power_w,
    setting_fn=lambda data, limit: max(0.0, round(_current_reduction_max(data) - limit, 1)),
    group=True,
    shares_fn=lambda data: data.sessions or 1,
)


ZONE_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *phase_sensors(
        current_sensor, "current_phase", ZONE, lambda data: data.status.currents_a, precision=1
    ),
    power_sensor("power", "power", ZONE, lambda data: data.status.power_w),
    current_sensor(
        "setpoint", "evce_zone_setpoint", ZONE, lambda data: data.status.setpoint_a, precision=1
    ),
    EvseBridgeSensorEntityDescription[EvceZoneData](
        key="stations",
        translation_key="evce_zone_stations",
        device_kind=ZONE,
        value_fn=lambda data: None if data.stations is None else len(data.stations),
        attributes_fn=lambda data: {ATTR_STATIONS: list(data.stations or ())},
        exists_fn=lambda data: data.stations is not None,
    ),
    enum_sensor(
        "reduction_mode",
        "evce_reduction_mode",
        ZONE,
        ReductionMode,
        reduction_mode,
        attributes_fn=lambda data: (
            None if data.reduction.duration_s is None else {"duration_s": data.reduction.duration_s}
        ),
        exists_fn=_reported_mode,
    ),
    EvseBridgeSensorEntityDescription[EvceZoneData](
        key="reduction_ends",
        translation_key="evce_reduction_ends",
        device_kind=ZONE,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.reduction_ends,
        exists_fn=_reported_mode,
    ),
    _reduction_number(
        EvceReductionType.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        NumberDeviceClass.CURRENT,
        ZONE_LIMIT,
    ),
    _reduction_number(EvceReductionType.POWER, UnitOfPower.KILO_WATT, NumberDeviceClass.POWER),
)

# --- power meter ---------------------------------------------------------------------------


POWER_METER_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *phase_sensors(
        voltage_sensor,
        "voltage_phase",
        POWER_METER,
        lambda data: data.values.voltages_v,
        precision=1,
    ),
    *phase_sensors(
        current_sensor,
        "current_phase",
        POWER_METER,
        lambda data: data.values.currents_a,
        precision=2,
    ),
    power_sensor(
        "power",
        "power",
        POWER_METER,
        lambda data: data.values.power_kw,
        unit=UnitOfPower.KILO_WATT,
    ),
    energy_sensor(
        "energy_import",
        "evce_energy_import",
        POWER_METER,
        lambda data: data.values.energy_import_kwh,
        unit=UnitOfEnergy.KILO_WATT_HOUR,
    ),
    EvseBridgeSensorEntityDescription[EvcePowerMeterData](
        key="frequency",
        device_kind=POWER_METER,
        device_class=SensorDeviceClass.FREQUENCY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        suggested_display_precision=2,
        value_fn=lambda data: data.values.frequency_hz,
    ),
)


def _station_overview(data: EvceStationData) -> ChargePointStatus | None:
    if not data.online:
        return ChargePointStatus.OFFLINE
    return None if data.status is None else ocpp_status(data.status.status)


def _connector_overview(data: EvceConnectorData) -> ChargePointStatus | None:
    return ocpp_status(data.status) if data.online else ChargePointStatus.OFFLINE


#: The site at a glance: the hub sums up its connectors, each station and connector has a
#: Problem sensor (the connectors are the places a car charges, so they are counted).
OVERVIEW_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *site_summary_sensors(HUB),
    charge_point_problem(STATION, _station_overview, counted=False),
    charge_point_problem(CONNECTOR, _connector_overview, power_fn=lambda data: data.power_w),
)

DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *HUB_DESCRIPTIONS,
    *OVERVIEW_DESCRIPTIONS,
    *STATION_DESCRIPTIONS,
    *CONNECTOR_DESCRIPTIONS,
    *ZONE_DESCRIPTIONS,
    *POWER_METER_DESCRIPTIONS,
)
