"""The entities of a ChargEye station and of each of its connectors.

"Maximum power" is the rating, never a limit; the limits are in ``limits.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower

from ...api.kempower_chargeye import (
    ConnectorStatus,
    ConnectorType,
    OnlineStatus,
    ResetType,
    StationStatus,
    TransactionStatus,
)
from ...contract.commands import last_command_sensor
from ...contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from ...contract.overview import (
    ChargePointStatus,
    charge_point_problem,
    ocpp_status,
    site_summary_sensors,
)
from ...contract.records import SESSION_UNKNOWN, SessionRecord, SessionUnknown
from ...contract.sensor_factories import (
    current_sensor,
    enum_sensor,
    power_sensor,
    session_energy_sensor,
)
from ...contract.sessions import delivered_energy_sensor, session_event
from ...contract.site import DeviceData
from .limits import SESSION_LIMITS, clear_limit_button, limit_numbers
from .model import (
    ACCOUNT,
    ATTR_TRANSACTION_ID,
    CONNECTOR,
    STATION,
    ConnectorData,
    StationData,
)
from .power_groups import POWER_GROUP_DESCRIPTIONS
from .site import ChargEyeSite


async def _set_available(site: ChargEyeSite, device: DeviceData, on: bool) -> None:
    data: ConnectorData = device.data
    with site.chargeye_refusals(device):
        await site.client.set_connector_availability(data.station, data.connector, operative=on)


def _is_available(data: ConnectorData) -> bool | None:
    status = data.connector.status
    if status is None or status is ConnectorStatus.UNKNOWN:
        return None
    return status is not ConnectorStatus.UNAVAILABLE


async def _restart_on_idle(site: ChargEyeSite, device: DeviceData) -> None:
    data: StationData = device.data
    with site.chargeye_refusals(device):
        await site.client.restart_station(data.station, ResetType.ON_IDLE)


def _session_energy(data: ConnectorData) -> float | None:
    transaction = data.connector.running_transaction
    # Between sessions: 0 kWh (one rule for every vendor); the last one is on the event.
    return 0.0 if transaction is None else transaction.energy_kwh


def _soc(data: ConnectorData) -> int | None:
    running = data.connector.running_transaction
    return None if running is None else running.soc


def _transaction_status(data: ConnectorData) -> str | None:
    transaction = data.connector.latest_transaction
    return None if transaction is None or transaction.status is None else transaction.status


def _connector_attributes(data: ConnectorData) -> dict[str, Any]:
    """The running transaction's id, for ``stop_transaction`` and automations."""
    running = data.connector.running_transaction
    return {ATTR_TRANSACTION_ID: None if running is None else running.transaction_id}


def _is_online(data: StationData) -> bool | None:
    status = data.station.online_status
    return None if status is None else status is OnlineStatus.ONLINE


def _enum_value(value: StrEnum | None) -> str | None:
    return None if value is None else str(value)


def _station_status(data: StationData) -> str | None:
    return _enum_value(data.station.status)


def _output_power(data: StationData) -> float | None:
    return data.station.current_power_kw


def _input_current(data: StationData) -> float | None:
    return data.station.current_power_a


def _station_rating(data: StationData) -> float | None:
    return data.station.max_power_kw


def _connector_status(data: ConnectorData) -> str | None:
    return _enum_value(data.connector.status)


def _connector_type(data: ConnectorData) -> str | None:
    return _enum_value(data.connector.connector_type)


def _charging_power(data: ConnectorData) -> float | None:
    return data.connector.power_kw


def _connector_rating(data: ConnectorData) -> float | None:
    return data.connector.max_power_kw


def _power_available(data: ConnectorData) -> float | None:
    """The maximum in force now (``maxPowerKwActual``).

    The only sign, from the cloud, of a limit set in ChargEye or by Kempower's load
    balancing: the limit numbers show only what this entry wrote.
    """
    return data.connector.max_power_kw_actual


def _maximum_power[D](
    kind: str, value_fn: Callable[[D], float | None]
) -> EvseBridgeSensorEntityDescription[D]:
    """The rating, in kW: a fixed figure about the device, not a measurement."""
    return EvseBridgeSensorEntityDescription[D](
        key="maximum_power",
        translation_key="maximum_power",
        device_kind=kind,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=value_fn,
    )


def _session(data: ConnectorData) -> SessionRecord | SessionUnknown | None:
    """The connector's latest transaction; one with status Ended is the final record.

    An offline station's connector reports nothing current (the cloud shows its last
    state): the open session neither ends nor changes until the station is back.
    """
    connector = data.connector
    if data.station.online_status is OnlineStatus.OFFLINE or connector.status in (
        None,
        ConnectorStatus.UNKNOWN,
    ):
        return SESSION_UNKNOWN
    transaction = connector.latest_transaction
    if transaction is None:
        return None
    if transaction.status in (None, TransactionStatus.UNKNOWN):
        return SESSION_UNKNOWN
    return SessionRecord(
        id=transaction.transaction_id,
        start=transaction.start_time,
        energy_kwh=transaction.energy_kwh,
        power_w=None if transaction.power_kw is None else transaction.power_kw * 1000,
        tag=transaction.id_token,
        vehicle_soc=transaction.soc,
        ended=transaction.status is TransactionStatus.ENDED,
    )


def _station_overview(data: StationData) -> ChargePointStatus | None:
    station = data.station
    if station.online_status is OnlineStatus.OFFLINE:
        return ChargePointStatus.OFFLINE
    if station.status is StationStatus.FAULTED:
        return ChargePointStatus.FAULTED
    if station.status is StationStatus.UNAVAILABLE:
        return ChargePointStatus.UNAVAILABLE
    connectors = {ocpp_status(connector.status) for connector in station.connectors}
    for busiest in (ChargePointStatus.CHARGING, ChargePointStatus.OCCUPIED):
        if busiest in connectors:
            return busiest
    return None if station.status is None else ChargePointStatus.AVAILABLE


def _connector_overview(data: ConnectorData) -> ChargePointStatus | None:
    station = _station_overview(StationData(data.station, None))
    if station in (
        ChargePointStatus.OFFLINE,
        ChargePointStatus.FAULTED,
        ChargePointStatus.UNAVAILABLE,
    ):
        return station
    return ocpp_status(data.connector.status)


def _connector_power_w(data: ConnectorData) -> float | None:
    power = data.connector.power_kw
    return None if power is None else power * 1000


DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    # The site at a glance: the account sums up its connectors (the places a car charges).
    *site_summary_sensors(ACCOUNT),
    charge_point_problem(STATION, _station_overview, counted=False),
    charge_point_problem(CONNECTOR, _connector_overview, power_fn=_connector_power_w),
    session_event(CONNECTOR, _session),
    # No meter in the API: energy delivered since the integration was added, from sessions.
    delivered_energy_sensor(CONNECTOR),
    delivered_energy_sensor(STATION),
    # What the cloud answered to the restart and remove-limit buttons.
    last_command_sensor(STATION, enabled_default=False),
    last_command_sensor(CONNECTOR, enabled_default=False),
    # Station
    enum_sensor(
        "station_status",
        "station_status",
        STATION,
        StationStatus,
        _station_status,
    ),
    EvseBridgeBinarySensorEntityDescription[StationData](
        key="online",
        translation_key="cloud_connection",
        device_kind=STATION,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        # The station's Problem sensor is on (status "offline") when the cloud loses it.
        entity_registry_enabled_default=False,
        is_on_fn=_is_online,
    ),
    power_sensor(
        "output_power",
        "output_power",
        STATION,
        _output_power,
        unit=UnitOfPower.KILO_WATT,
        precision=1,
    ),
    current_sensor(
        "input_current",
        "input_current",
        STATION,
        _input_current,
        precision=1,
        entity_registry_enabled_default=False,
    ),
    _maximum_power(STATION, _station_rating),
    *limit_numbers(STATION),
    clear_limit_button(STATION),
    EvseBridgeButtonEntityDescription[StationData, ChargEyeSite](
        key="restart",
        translation_key="restart_on_idle",
        device_kind=STATION,
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        # Maintenance, also the restart_station action.
        entity_registry_enabled_default=False,
        press_fn=_restart_on_idle,
    ),
    # Connector
    enum_sensor(
        "connector_status",
        "connector_status",
        CONNECTOR,
        ConnectorStatus,
        _connector_status,
        attributes_fn=_connector_attributes,
    ),
    enum_sensor(
        "connector_type",
        "connector_type",
        CONNECTOR,
        ConnectorType,
        _connector_type,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    power_sensor(
        "power",
        "charging_power",
        CONNECTOR,
        _charging_power,
        unit=UnitOfPower.KILO_WATT,
        precision=1,
    ),
    session_energy_sensor(
        "session_energy",
        "session_energy",
        CONNECTOR,
        _session_energy,
        unit=UnitOfEnergy.KILO_WATT_HOUR,
    ),
    EvseBridgeSensorEntityDescription[ConnectorData](
        key="state_of_charge",
        translation_key="vehicle_state_of_charge",
        device_kind=CONNECTOR,
        # No battery device class: the battery is the vehicle's, not the connector's.
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        # AC charging has no link to the car's battery management.
        exists_fn=lambda data: not data.connector.is_ac,
        value_fn=_soc,
    ),
    enum_sensor(
        "transaction_status",
        "transaction_status",
        CONNECTOR,
        TransactionStatus,
        _transaction_status,
        # The session's phase as the cloud names it; Connector status and the Session
        # event say what an operator acts on.
        entity_registry_enabled_default=False,
    ),
    _maximum_power(CONNECTOR, _connector_rating),
    power_sensor(
        "power_available",
        "power_available",
        CONNECTOR,
        _power_available,
        unit=UnitOfPower.KILO_WATT,
        precision=1,
        # Where the cloud states it: an older answer without the field makes no entity.
        exists_fn=lambda data: data.connector.max_power_kw_actual is not None,
        entity_registry_enabled_default=False,
    ),
    *limit_numbers(CONNECTOR),
    clear_limit_button(CONNECTOR),
    *SESSION_LIMITS,
    EvseBridgeSwitchEntityDescription[ConnectorData, ChargEyeSite](
        key="available",
        translation_key="connector_available",
        device_kind=CONNECTOR,
        is_on_fn=_is_available,
        set_fn=_set_available,
    ),
    *POWER_GROUP_DESCRIPTIONS,
)
