"""Bender v1: the controller's entities, its "tag scanned" event and its session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import UnitOfTime

from ...api.bender_common import (
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
    charge_point_state,
)
from ...api.bender_v1 import ControllerLog, LogMessage
from ...contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeEventEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ...contract.overview import ChargePointStatus, charge_point_problem, site_summary_sensors
from ...contract.records import SessionRecord
from ...contract.sensor_factories import (
    counter_sensor,
    duration_sensor,
    energy_sensor,
    enum_sensor,
    power_sensor,
    session_energy_sensor,
    temperature_sensor,
)
from ...contract.sessions import session_event
from .sessions import running_record
from .settings import current_limit_number
from .site import CONTROLLER, BenderV1Data

TAG_SCANNED = "tag_scanned"


def _transaction_value(attribute: str) -> Callable[[BenderV1Data], float | int | None]:
    """A value of the running transaction; 0 between sessions, unknown while unsure."""

    def value(data: BenderV1Data) -> float | int | None:
        transaction = data.state.transaction
        if transaction is None:
            return 0 if data.running is False else None
        found: float | int | None = getattr(transaction, attribute)
        return found

    return value


def _texts(messages: tuple[LogMessage, ...]) -> list[str]:
    return [message.text or "" for message in messages]


def _problem(data: BenderV1Data) -> bool | None:
    return None if data.log is None else bool(data.log.errors)


def _status(data: BenderV1Data) -> ChargePointStatus | None:
    state = data.state
    has_errors = data.log is not None and bool(data.log.errors)
    value = charge_point_state(state.connection, state.ocpp, has_errors)
    return None if value is None else ChargePointStatus(value)


def _problem_attributes(data: BenderV1Data) -> dict[str, Any]:
    return {"errors": [] if data.log is None else _texts(data.log.errors)}


def _message_attributes(data: BenderV1Data) -> dict[str, Any]:
    log = data.log or ControllerLog(())
    return {"errors": _texts(log.errors), "warnings": _texts(log.warnings)}


def _state(attribute: str) -> Callable[[BenderV1Data], Any]:
    return lambda data: getattr(data.state, attribute)


SENSORS: tuple[EvseBridgeSensorEntityDescription[BenderV1Data], ...] = (
    # As sent: the documents give no value set (translated where known).
    EvseBridgeSensorEntityDescription[BenderV1Data](
        key="system",
        translation_key="system_state",
        device_kind=CONTROLLER,
        value_fn=_state("system"),
    ),
    enum_sensor("connection", "conn_state", CONTROLLER, ConnectionState, _state("connection")),
    enum_sensor(
        "authorization", "auth_state", CONTROLLER, AuthorizationState, _state("authorization")
    ),
    enum_sensor("ocpp", "ocpp_state", CONTROLLER, OcppState, _state("ocpp")),
    enum_sensor("type2", "type2_state", CONTROLLER, Type2State, _state("type2")),
    temperature_sensor(
        "ambient_temperature",
        "ambient_temperature",
        CONTROLLER,
        _state("ambient_temperature_c"),
    ),
    session_energy_sensor(
        "session_energy", "session_energy", CONTROLLER, _transaction_value("energy_wh")
    ),
    power_sensor("power", "power", CONTROLLER, _transaction_value("power_w")),
    duration_sensor(
        "transaction_duration",
        "charging_duration",
        CONTROLLER,
        _transaction_value("duration_s"),
    ),
    EvseBridgeSensorEntityDescription[BenderV1Data](
        key="messages",
        translation_key="errors_and_warnings",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda data: data.log is not None,
        value_fn=lambda data: None if data.log is None else len(data.log.messages),
        attributes_fn=_message_attributes,
    ),
    counter_sensor(
        "transaction_count",
        "transaction_count",
        CONTROLLER,
        lambda data: data.summary.count,
        exists_fn=lambda data: data.summary is not None,
    ),
    # Offered for the Energy dashboard only once the summary's unit is established.
    energy_sensor(
        "total_energy",
        "total_energy",
        CONTROLLER,
        lambda data: data.total_energy_wh,
        exists_fn=lambda data: data.summary is not None and data.units.energy is not None,
    ),
    duration_sensor(
        "total_duration",
        "total_charging_duration",
        CONTROLLER,
        lambda data: data.units.duration_s(data.summary),
        shown_in=UnitOfTime.HOURS,
        exists_fn=lambda data: data.summary is not None and data.units.duration is not None,
    ),
)

BINARY_SENSORS: tuple[EvseBridgeBinarySensorEntityDescription[BenderV1Data], ...] = (
    charge_point_problem(
        CONTROLLER,
        _status,
        power_fn=_transaction_value("power_w"),
        key="problem",
        translation_key="problem",
        is_on_fn=_problem,
        attributes_fn=_problem_attributes,
    ),
    EvseBridgeBinarySensorEntityDescription[BenderV1Data](
        key="charging",
        translation_key="charging",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=lambda data: data.state.charging,
    ),
)

EVENTS: tuple[EvseBridgeEventEntityDescription[BenderV1Data], ...] = (
    EvseBridgeEventEntityDescription[BenderV1Data](
        key=TAG_SCANNED,
        translation_key=TAG_SCANNED,
        device_kind=CONTROLLER,
        event_types=[TAG_SCANNED],
    ),
)


def _session(data: BenderV1Data) -> SessionRecord | None:
    return running_record(data.state.transaction, timedelta(seconds=data.clock_correction_s))


DESCRIPTIONS: tuple[EvseBridgeEntityDescription[BenderV1Data], ...] = (
    *SENSORS,
    *BINARY_SENSORS,
    *site_summary_sensors(CONTROLLER, one_charge_point=True),
    *EVENTS,
    session_event(CONTROLLER, _session, connector=False),
    current_limit_number(CONTROLLER),
)
