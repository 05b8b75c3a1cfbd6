"""Bender Legacy REST: one read-only controller per entry, polled every 15 s."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from ..api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ..api.bender_legacy import (
    AuthorizationState,
    BackendConnectionState,
    BenderLegacyClient,
    ConnectionState,
    LegacyState,
    OcppState,
    ProtectionState,
    RcmbState,
    SchukoState,
    Type2Proximity,
    Type2State,
    base_url,
)
from ..descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ..runtime import EvseBridgeConfigEntry
from ..site import DeviceData, DeviceIdentity, Site, SiteData
from .base import ProbeResult, Vendor

CONTROLLER = "controller"
USERNAMES = ["operator", "manufacturer"]


def _user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Optional(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, "operator")
            ): SelectSelector(
                SelectSelectorConfig(
                    options=USERNAMES,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="legacy_username",
                )
            ),
            vol.Optional(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> BenderLegacyClient:
    return BenderLegacyClient(
        async_get_clientsession(hass),
        data[CONF_HOST],
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
    )


def _title(state: LegacyState) -> str:
    return f"{state.model or 'Charge controller'} {state.manufacturer_serial or state.serial}"


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    state = await _client(hass, data).full_state()
    entry_data = {CONF_HOST: data[CONF_HOST].strip()}
    if data.get(CONF_PASSWORD):
        entry_data |= {
            CONF_USERNAME: data.get(CONF_USERNAME) or "operator",
            CONF_PASSWORD: data[CONF_PASSWORD],
        }
    return ProbeResult(unique_id=state.serial, title=_title(state), data=entry_data)


class BenderLegacySite(Site):
    """One controller: one device, one request per poll."""

    def __init__(self, hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
        """Create the client from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._client = _client(hass, entry.data)
        self._url = base_url(entry.data[CONF_HOST])
        self._title = entry.title

    async def async_fetch(self) -> SiteData:
        """Read ``full_state``."""
        state = await self._client.full_state()
        identity = DeviceIdentity(
            name=self._title,
            manufacturer=state.vendor,
            model=state.model,
            serial_number=state.serial,
            sw_version=state.firmware,
            configuration_url=self._url,
        )
        return SiteData(
            {CONTROLLER: DeviceData(key=CONTROLLER, kind=CONTROLLER, identity=identity, data=state)}
        )

    def diagnostics(self) -> dict[str, Any]:
        """The last ``full_state`` as the controller sent it."""
        return self._client.raw_payloads


def _sent(*keys: str) -> Callable[[LegacyState], bool]:
    """An entity exists when the firmware sends one of ``keys``."""
    return lambda state: any(key in state.present for key in keys)


def _enum_sensor(
    key: str, attribute: str, options: type[Any], *, diagnostic: bool = False, **kwargs: Any
) -> EvseBridgeSensorEntityDescription:
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=key,
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.ENUM,
        options=[option.value for option in options],
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        exists_fn=_sent(key),
        value_fn=lambda state: getattr(state, attribute),
        **kwargs,
    )


def _phase_sensors(
    key: str,
    attribute: str,
    source_keys: tuple[str, ...],
    count: int = 3,
    **kwargs: Any,
) -> list[EvseBridgeSensorEntityDescription]:
    """One sensor per phase (or RCMB channel) of a comma-separated list."""

    def value(index: int) -> Callable[[LegacyState], float | None]:
        def _value(state: LegacyState) -> float | None:
            values: tuple[float | None, ...] = getattr(state, attribute)
            return values[index] if index < len(values) else None

        return _value

    return [
        EvseBridgeSensorEntityDescription(
            key=f"{key}_{index + 1}",
            translation_key=key,
            translation_placeholders={"index": str(index + 1)},
            device_kind=CONTROLLER,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            exists_fn=_sent(*source_keys),
            value_fn=value(index),
            **kwargs,
        )
        for index in range(count)
    ]


def _current_sensor(key: str, attribute: str, **kwargs: Any) -> EvseBridgeSensorEntityDescription:
    return EvseBridgeSensorEntityDescription(
        key=key,
        translation_key=key,
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        exists_fn=_sent(key),
        value_fn=lambda state: getattr(state, attribute),
        **kwargs,
    )


def _problem_attributes(state: LegacyState) -> dict[str, Any]:
    return {"errors": list(state.errors or ())}


SENSORS: tuple[EvseBridgeSensorEntityDescription, ...] = (
    EvseBridgeSensorEntityDescription(
        key="meter_wh",
        translation_key="meter_energy",
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_sent("meter_wh"),
        value_fn=lambda state: state.meter_wh,
    ),
    EvseBridgeSensorEntityDescription(
        key="transaction_wh",
        translation_key="session_energy",
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        exists_fn=_sent("transaction_wh"),
        value_fn=lambda state: state.transaction_wh,
    ),
    EvseBridgeSensorEntityDescription(
        key="power_w",
        translation_key="power",
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        exists_fn=_sent("power_w"),
        value_fn=lambda state: state.power_w,
    ),
    EvseBridgeSensorEntityDescription(
        key="time_since_charging_start",
        translation_key="charging_duration",
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        exists_fn=_sent("time_since_charging_start"),
        value_fn=lambda state: state.charging_duration_s,
    ),
    EvseBridgeSensorEntityDescription(
        key="ambient_temp",
        translation_key="ambient_temperature",
        device_kind=CONTROLLER,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        exists_fn=_sent("ambient_temp"),
        value_fn=lambda state: state.ambient_temperature_c,
    ),
    _current_sensor("max_current", "max_current_a"),
    _current_sensor("sig_current", "signaled_current_a"),
    _current_sensor("energy_man_current", "energy_management_current_a"),
    *_phase_sensors(
        "current_phase",
        "currents_a",
        ("current_a",),
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=2,
    ),
    *_phase_sensors(
        "voltage_phase",
        "voltages_v",
        ("voltage_v",),
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
    ),
    *_phase_sensors(
        "rcmb_max_current",
        "rcmb_max_ma",
        ("rcmb_max_values", "rcmb_max"),
        count=2,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.MILLIAMPERE,
    ),
    *_phase_sensors(
        "rcmb_current",
        "rcmb_current_ma",
        ("rcmb_current_values", "rcmb_values"),
        count=2,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.MILLIAMPERE,
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
        "backend_conn_state", "backend_connection_state", BackendConnectionState, diagnostic=True
    ),
    _enum_sensor("rcmb_state", "rcmb_state", RcmbState, diagnostic=True),
    _enum_sensor("rcd_state", "rcd_state", ProtectionState, diagnostic=True),
    _enum_sensor("mcb_type2_state", "mcb_type2_state", ProtectionState, diagnostic=True),
    _enum_sensor(
        "mcb_schuko_state",
        "mcb_schuko_state",
        ProtectionState,
        diagnostic=True,
        entity_registry_enabled_default=False,
    ),
    EvseBridgeSensorEntityDescription(
        key="errors",
        translation_key="active_errors",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_sent("errors"),
        value_fn=lambda state: None if state.errors is None else len(state.errors),
        attributes_fn=_problem_attributes,
    ),
    EvseBridgeSensorEntityDescription(
        key="con_cycles_type2",
        translation_key="connection_cycles_type2",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("con_cycles_type2"),
        value_fn=lambda state: state.connection_cycles_type2,
    ),
    EvseBridgeSensorEntityDescription(
        key="con_cycles_schuko",
        translation_key="connection_cycles_schuko",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("con_cycles_schuko"),
        value_fn=lambda state: state.connection_cycles_schuko,
    ),
    EvseBridgeSensorEntityDescription(
        key="cp_id",
        translation_key="charge_point_id",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("cp_id"),
        value_fn=lambda state: state.charge_point_id,
    ),
    EvseBridgeSensorEntityDescription(
        key="manuf_serial_n",
        translation_key="manufacturer_serial",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("manuf_serial_n"),
        value_fn=lambda state: state.manufacturer_serial,
    ),
    EvseBridgeSensorEntityDescription(
        key="ocpp_meter_cfg",
        translation_key="meter_configuration",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("ocpp_meter_cfg"),
        value_fn=lambda state: state.meter_configuration,
    ),
    EvseBridgeSensorEntityDescription(
        key="ocpp_meter_serial",
        translation_key="meter_serial",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("ocpp_meter_serial"),
        value_fn=lambda state: state.meter_serial,
    ),
)

BINARY_SENSORS: tuple[EvseBridgeBinarySensorEntityDescription, ...] = (
    EvseBridgeBinarySensorEntityDescription(
        key="errors_problem",
        translation_key="problem",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.PROBLEM,
        exists_fn=_sent("errors"),
        is_on_fn=lambda state: None if state.errors is None else bool(state.errors),
        attributes_fn=_problem_attributes,
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="cable_attached",
        translation_key="cable_attached",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.PLUG,
        exists_fn=_sent("cable_attached"),
        is_on_fn=lambda state: state.cable_attached,
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="free_charging",
        translation_key="free_charging",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("free_charging"),
        is_on_fn=lambda state: state.free_charging,
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="schuko_cfg",
        translation_key="schuko_enabled",
        device_kind=CONTROLLER,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=_sent("schuko_cfg"),
        is_on_fn=lambda state: state.schuko_enabled,
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="wlan_state",
        translation_key="wlan",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=_sent("wlan_state"),
        is_on_fn=lambda state: state.wlan_connected,
    ),
)

DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (*SENSORS, *BINARY_SENSORS)

BENDER_LEGACY = Vendor(
    key="bender_legacy",
    user_schema=_user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=_async_probe,
    create_site=BenderLegacySite,
    update_interval=timedelta(seconds=15),
    descriptions=DESCRIPTIONS,
    form_errors={
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseNotSupportedError: (CONF_HOST, "rest_disabled"),
        EvseResponseError: (CONF_HOST, "not_bender_controller"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    redact=frozenset({"auth_uid"}),
)
