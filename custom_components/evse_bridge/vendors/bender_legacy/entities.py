"""Bender Legacy REST: the controller's entities and how its state reads as a session.

An entity exists when the firmware sends its key (``_sent``); the session
values read 0 while no vehicle is connected, whatever the controller sends.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from datetime import timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import EntityCategory, UnitOfElectricCurrent
from homeassistant.util import dt as dt_util

from ...api.bender_common import (
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
    charge_point_state,
)
from ...api.bender_legacy import (
    BackendConnectionState,
    LegacyState,
    MeterConfiguration,
    ProtectionState,
    RcmbState,
    SchukoState,
    Type2Proximity,
)
from ...contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ...contract.overview import ChargePointStatus, charge_point_problem, site_summary_sensors
from ...contract.records import SESSION_UNKNOWN, SessionRecord, SessionUnknown
from ...contract.sensor_factories import (
    counter_sensor,
    current_sensor,
    diagnostic_sensor,
    duration_sensor,
    energy_sensor,
    enum_sensor,
    phase_sensors,
    power_sensor,
    session_energy_sensor,
    temperature_sensor,
    voltage_sensor,
)
from ...contract.sessions import session_event
from .site import CONTROLLER


def _no_vehicle(state: LegacyState) -> bool:
    return state.connection_state is ConnectionState.NO_VEHICLE_CONNECTED


def _session_value(attribute: str) -> Callable[[LegacyState], float | int | None]:
    """A session value; 0 while no vehicle is connected (no session runs), whatever is sent."""

    def value(state: LegacyState) -> float | int | None:
        if _no_vehicle(state):
            return 0
        found: float | int | None = getattr(state, attribute)
        return found

    return value


def _sent(*keys: str) -> Callable[[LegacyState], bool]:
    """An entity exists when the firmware sends one of ``keys``."""
    return lambda state: any(key in state.present for key in keys)


#: The state shown when the controller sends a value the document does not list: the
#: lists are not complete (a real 5.33.9 sends an unlisted ``ocpp_meter_cfg``), so the
#: value is real data, shown as "other" with the value as sent in ``raw_value``.
OTHER = "other"


def _enum_sensor(
    key: str,
    attribute: str,
    states: type[StrEnum],
    *,
    translation_key: str | None = None,
    entity_category: EntityCategory | None = None,
    entity_registry_enabled_default: bool = True,
) -> EvseBridgeSensorEntityDescription[LegacyState]:
    """A state under the JSON ``key`` (also its name unless ``translation_key``), or "other"."""

    def value(state: LegacyState) -> str | None:
        listed: StrEnum | None = getattr(state, attribute)
        if listed is None and key in state.unlisted:
            return OTHER
        return listed

    def raw_value(state: LegacyState) -> dict[str, Any] | None:
        sent = state.unlisted.get(key)
        return None if sent is None else {"raw_value": sent}

    description = enum_sensor(
        key,
        translation_key or key,
        CONTROLLER,
        states,
        value,
        exists_fn=_sent(key),
        entity_category=entity_category,
        entity_registry_enabled_default=entity_registry_enabled_default,
    )
    return dataclasses.replace(
        description,
        options=[*(description.options or ()), OTHER],
        attributes_fn=raw_value,
    )


def _status(state: LegacyState) -> ChargePointStatus | None:
    value = charge_point_state(state.connection_state, state.ocpp_state, bool(state.errors))
    return None if value is None else ChargePointStatus(value)


def _problem_attributes(state: LegacyState) -> dict[str, Any]:
    return {"errors": list(state.errors or ())}


SENSORS: tuple[EvseBridgeSensorEntityDescription[LegacyState], ...] = (
    energy_sensor(
        "meter_wh", "meter_energy", CONTROLLER, attrgetter("meter_wh"), exists_fn=_sent("meter_wh")
    ),
    session_energy_sensor(
        "transaction_wh",
        "session_energy",
        CONTROLLER,
        _session_value("transaction_wh"),
        exists_fn=_sent("transaction_wh"),
    ),
    power_sensor(
        "power_w", "power", CONTROLLER, _session_value("power_w"), exists_fn=_sent("power_w")
    ),
    duration_sensor(
        "time_since_charging_start",
        "charging_duration",
        CONTROLLER,
        _session_value("charging_duration_s"),
        exists_fn=_sent("time_since_charging_start"),
    ),
    temperature_sensor(
        "ambient_temp",
        "ambient_temperature",
        CONTROLLER,
        attrgetter("ambient_temperature_c"),
        exists_fn=_sent("ambient_temp"),
    ),
    *(
        current_sensor(key, key, CONTROLLER, attrgetter(attribute), exists_fn=_sent(key))
        for key, attribute in (
            ("max_current", "max_current_a"),
            ("sig_current", "signaled_current_a"),
            ("energy_man_current", "energy_management_current_a"),
        )
    ),
    *phase_sensors(
        current_sensor,
        "current_phase",
        CONTROLLER,
        attrgetter("currents_a"),
        precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("current_a"),
    ),
    *phase_sensors(
        voltage_sensor,
        "voltage_phase",
        CONTROLLER,
        attrgetter("voltages_v"),
        precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("voltage_v"),
    ),
    *phase_sensors(
        current_sensor,
        "rcmb_max_current",
        CONTROLLER,
        attrgetter("rcmb_max_ma"),
        count=2,
        unit=UnitOfElectricCurrent.MILLIAMPERE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("rcmb_max_values", "rcmb_max"),
    ),
    *phase_sensors(
        current_sensor,
        "rcmb_current",
        CONTROLLER,
        attrgetter("rcmb_current_ma"),
        count=2,
        unit=UnitOfElectricCurrent.MILLIAMPERE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("rcmb_current_values", "rcmb_values"),
    ),
    _enum_sensor("conn_state", "connection_state", ConnectionState),
    _enum_sensor("auth_state", "authorization_state", AuthorizationState),
    _enum_sensor("ocpp_state", "ocpp_state", OcppState),
    _enum_sensor("type2_state", "type2_state", Type2State),
    _enum_sensor("type2_proximity", "type2_proximity", Type2Proximity),
    _enum_sensor(
        "schuko_state", "schuko_state", SchukoState, entity_registry_enabled_default=False
    ),
    _enum_sensor("slave_state", "slave_state", OcppState, entity_registry_enabled_default=False),
    _enum_sensor(
        "backend_conn_state",
        "backend_connection_state",
        BackendConnectionState,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _enum_sensor("rcmb_state", "rcmb_state", RcmbState, entity_category=EntityCategory.DIAGNOSTIC),
    _enum_sensor(
        "rcd_state", "rcd_state", ProtectionState, entity_category=EntityCategory.DIAGNOSTIC
    ),
    _enum_sensor(
        "mcb_type2_state",
        "mcb_type2_state",
        ProtectionState,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    _enum_sensor(
        "mcb_schuko_state",
        "mcb_schuko_state",
        ProtectionState,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    EvseBridgeSensorEntityDescription[LegacyState](
        key="errors",
        translation_key="active_errors",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_sent("errors"),
        value_fn=lambda state: None if state.errors is None else len(state.errors),
        attributes_fn=_problem_attributes,
    ),
    counter_sensor(
        "con_cycles_type2",
        "connection_cycles_type2",
        CONTROLLER,
        attrgetter("connection_cycles_type2"),
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("con_cycles_type2"),
    ),
    counter_sensor(
        "con_cycles_schuko",
        "connection_cycles_schuko",
        CONTROLLER,
        attrgetter("connection_cycles_schuko"),
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("con_cycles_schuko"),
    ),
    diagnostic_sensor(
        "cp_id",
        "charge_point_id",
        CONTROLLER,
        attrgetter("charge_point_id"),
        exists_fn=_sent("cp_id"),
    ),
    diagnostic_sensor(
        "manuf_serial_n",
        "manufacturer_serial",
        CONTROLLER,
        attrgetter("manufacturer_serial"),
        entity_registry_enabled_default=False,
        exists_fn=_sent("manuf_serial_n"),
    ),
    _enum_sensor(
        "ocpp_meter_cfg",
        "meter_configuration",
        MeterConfiguration,
        translation_key="meter_configuration",
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    diagnostic_sensor(
        "ocpp_meter_serial",
        "meter_serial",
        CONTROLLER,
        attrgetter("meter_serial"),
        entity_registry_enabled_default=False,
        exists_fn=_sent("ocpp_meter_serial"),
    ),
)

BINARY_SENSORS: tuple[EvseBridgeBinarySensorEntityDescription[LegacyState], ...] = (
    charge_point_problem(
        CONTROLLER,
        _status,
        power_fn=attrgetter("power_w"),
        key="errors_problem",
        translation_key="problem",
        exists_fn=_sent("errors"),
        is_on_fn=lambda state: None if state.errors is None else bool(state.errors),
        attributes_fn=_problem_attributes,
    ),
    EvseBridgeBinarySensorEntityDescription[LegacyState](
        key="cable_attached",
        translation_key="cable_attached",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.PLUG,
        exists_fn=_sent("cable_attached"),
        is_on_fn=lambda state: state.cable_attached,
    ),
    EvseBridgeBinarySensorEntityDescription[LegacyState](
        key="free_charging",
        translation_key="free_charging",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("free_charging"),
        is_on_fn=lambda state: state.free_charging,
    ),
    EvseBridgeBinarySensorEntityDescription[LegacyState](
        key="schuko_cfg",
        translation_key="schuko_enabled",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("schuko_cfg"),
        is_on_fn=lambda state: state.schuko_enabled,
    ),
    EvseBridgeBinarySensorEntityDescription[LegacyState](
        key="wlan_state",
        translation_key="wlan",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("wlan_state"),
        is_on_fn=lambda state: state.wlan_connected,
    ),
)


def _session(state: LegacyState) -> SessionRecord | SessionUnknown | None:
    """A session lasts from plug-in to unplug (``conn_state``); the controller has no id for it.

    ``time_since_charging_start`` counts from plug-in; ``transaction_wh`` is the
    session's energy until the vehicle leaves.
    """
    if state.connection_state is None:
        return SESSION_UNKNOWN  # unread: neither starts nor ends a session
    if state.connection_state is ConnectionState.NO_VEHICLE_CONNECTED:
        return None
    duration = state.charging_duration_s
    return SessionRecord(
        start=None if duration is None else dt_util.utcnow() - timedelta(seconds=duration),
        energy_kwh=None if state.transaction_wh is None else state.transaction_wh / 1000,
        power_w=state.power_w,
        duration_s=duration,
        tag=state.auth_uid,
    )


def _meter_kwh(state: LegacyState) -> float | None:
    """The lifetime ``meter_wh``: what a session ended unseen charged after its last reading."""
    return None if state.meter_wh is None else state.meter_wh / 1000


DESCRIPTIONS: tuple[EvseBridgeEntityDescription[LegacyState], ...] = (
    *SENSORS,
    *BINARY_SENSORS,
    *site_summary_sensors(CONTROLLER, one_charge_point=True),
    session_event(
        CONTROLLER,
        _session,
        connector=False,
        exists_fn=_sent("conn_state"),
        meter_fn=_meter_kwh,
    ),
)
