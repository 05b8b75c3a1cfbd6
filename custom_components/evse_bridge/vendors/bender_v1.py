"""Bender / ebee Charge Controller REST API v1: one controller per entry.

The system state is polled every 15 s, the errors and warnings every 60 s and
the transaction summary every 5 minutes, all within the one session the client
keeps alive (polling faster than its 60 s timeout). The ``start_pairing``
action reads an RFID/NFC tag in the controller's whitelist pairing mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..api import (
    EvseAuthenticationError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ..api.bender_legacy import (
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
)
from ..api.bender_v1 import (
    BenderV1Client,
    ChargePointInfo,
    CompletedTransaction,
    ControllerLog,
    LogMessage,
    SettingParameter,
    SystemState,
    SystemStateValue,
    TransactionSummary,
)
from ..const import DOMAIN
from ..descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeEventEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ..event import fire_device_event
from ..runtime import EvseBridgeConfigEntry, EvseBridgeRuntimeData
from ..sessions import session_event
from ..site import DeviceData, DeviceIdentity, SessionRecord, Site, SiteData
from .base import ProbeResult, Vendor, VendorService
from .bender_v1_controls import (
    ATTR_NAME,
    SETTINGS_SERVICES,
    WHITELIST_SERVICES,
    V1Controls,
    async_whitelist_scanned_tag,
    current_limit_number,
)
from .sensor_factories import (
    counter_sensor,
    duration_sensor,
    energy_sensor,
    enum_sensor,
    power_sensor,
    temperature_sensor,
)

CONTROLLER = "controller"
DEFAULT_USERNAME = "operator"
STATE_INTERVAL = timedelta(seconds=15)
LOGGING_INTERVAL = timedelta(seconds=60)
SUMMARY_INTERVAL = timedelta(minutes=5)
TAG_SCANNED = "tag_scanned"
SERVICE_START_PAIRING = "start_pairing"
ATTR_ADD_TO_WHITELIST = "add_to_whitelist"


def _user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, DEFAULT_USERNAME)
            ): TextSelector(),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> BenderV1Client:
    return BenderV1Client(
        async_get_clientsession(hass),
        data[CONF_HOST].strip(),
        data.get(CONF_USERNAME) or DEFAULT_USERNAME,
        data[CONF_PASSWORD],
    )


def _title(info: ChargePointInfo, serial: str) -> str:
    return f"{info.model or 'Charge controller'} {serial}"


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Log in, read who the controller is, log out again to free the single session."""
    client = _client(hass, data)
    try:
        info = await client.charge_point_info()
    finally:
        await client.logout()
    if info.serial is None:
        raise EvseResponseError("settings carry no charge point serial")
    return ProbeResult(
        unique_id=info.serial,
        title=_title(info, info.serial),
        data={
            CONF_HOST: data[CONF_HOST].strip(),
            CONF_USERNAME: data.get(CONF_USERNAME) or DEFAULT_USERNAME,
            CONF_PASSWORD: data[CONF_PASSWORD],
        },
    )


@dataclass(frozen=True, slots=True)
class BenderV1Data:
    """One poll's view of the controller; ``log``/``summary`` are None when unsupported."""

    info: ChargePointInfo
    state: SystemState
    log: ControllerLog | None
    summary: TransactionSummary | None
    #: The charging current limit parameter, where the settings meta identifies one.
    current_limit: SettingParameter | None = None


class BenderV1Site(Site):
    """One controller; decides per poll which endpoints are due."""

    def __init__(self, hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
        """Create the client from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self.client = _client(hass, entry.data)
        self.controls = V1Controls(hass, entry, self.client)
        self._title = entry.title
        self._info: ChargePointInfo | None = None
        self._log: ControllerLog | None = None
        self._summary: TransactionSummary | None = None
        self._logging_due: datetime | None = dt_util.utcnow()
        self._summary_due: datetime | None = dt_util.utcnow()

    async def async_fetch(self) -> SiteData:
        """System state every poll; logging, summary and identity when due."""
        client = self.client
        now = dt_util.utcnow()
        if self._info is None:
            self._info = await client.charge_point_info()
        state = await client.system_state()
        if self._logging_due is not None and now >= self._logging_due:
            try:
                self._log = await client.logging()
            except EvseNotSupportedError:
                self._logging_due = None
            else:
                self._logging_due = now + LOGGING_INTERVAL
        if self._summary_due is not None and now >= self._summary_due:
            try:
                self._summary = await client.transaction_summary()
            except EvseNotSupportedError:
                self._summary_due = None
            else:
                self._summary_due = now + SUMMARY_INTERVAL
        info = self._info
        identity = DeviceIdentity(
            name=self._title,
            manufacturer=info.vendor,
            model=info.model,
            serial_number=info.serial,
            sw_version=info.firmware,
            configuration_url=client.host_url,
        )
        data = BenderV1Data(
            info=info,
            state=state,
            log=self._log,
            summary=self._summary,
            current_limit=await self.controls.async_current_limit(now),
        )
        return SiteData(
            {CONTROLLER: DeviceData(key=CONTROLLER, kind=CONTROLLER, identity=identity, data=data)}
        )

    async def async_final_session(self, device_key: str, session_id: str) -> SessionRecord | None:
        """The controller's record of the transaction that just ended (final energy)."""
        since = dt_util.utcnow() - FINAL_RECORD_WINDOW
        for transaction in await self.client.completed_transactions(since):
            if transaction.id == session_id:
                return _completed_record(transaction)
        return None

    async def async_completed_sessions(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, SessionRecord]] | None:
        """The controller's completed transactions; None where it lists none."""
        try:
            transactions = await self.client.completed_transactions(start, end)
        except EvseNotSupportedError:
            return None
        return [(CONTROLLER, _completed_record(transaction)) for transaction in transactions]

    async def async_close(self) -> None:
        """Log out, so the controller's single session is free at once."""
        await self.client.logout()

    def diagnostics(self) -> dict[str, Any]:
        """Raw payloads, plus how the client reached the controller."""
        return {
            **self.client.raw_payloads,
            "client": {
                "api_prefix": self.client.api_prefix,
                "logins": self.client.login_count,
            },
            "whitelist_readings": self.client.whitelist_readings,
            "settings_readings": self.client.settings_readings,
        }


def _transaction_value(attribute: str) -> Callable[[BenderV1Data], float | int | None]:
    def value(data: BenderV1Data) -> float | int | None:
        transaction = data.state.transaction
        if transaction is None:
            return None
        found: float | int | None = getattr(transaction, attribute)
        return found

    return value


def _texts(messages: tuple[LogMessage, ...]) -> list[str]:
    return [message.text or "" for message in messages]


def _problem(data: BenderV1Data) -> bool | None:
    if data.state.system is SystemStateValue.ERROR:
        return True
    return None if data.log is None else bool(data.log.errors)


def _problem_attributes(data: BenderV1Data) -> dict[str, Any]:
    return {"errors": [] if data.log is None else _texts(data.log.errors)}


def _message_attributes(data: BenderV1Data) -> dict[str, Any]:
    log = data.log or ControllerLog(())
    return {"errors": _texts(log.errors), "warnings": _texts(log.warnings)}


def _state(attribute: str) -> Callable[[BenderV1Data], Any]:
    return lambda data: getattr(data.state, attribute)


SENSORS: tuple[EvseBridgeSensorEntityDescription, ...] = (
    enum_sensor("system", "system_state", CONTROLLER, SystemStateValue, _state("system")),
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
    energy_sensor("session_energy", "session_energy", CONTROLLER, _transaction_value("energy_wh")),
    power_sensor("power", "power", CONTROLLER, _transaction_value("power_w")),
    duration_sensor(
        "transaction_duration",
        "charging_duration",
        CONTROLLER,
        _transaction_value("duration_s"),
    ),
    EvseBridgeSensorEntityDescription(
        key="messages",
        translation_key="errors_and_warnings",
        device_kind=CONTROLLER,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda data: data.log is not None,
        value_fn=lambda data: len(data.log.messages),
        attributes_fn=_message_attributes,
    ),
    counter_sensor(
        "transaction_count",
        "transaction_count",
        CONTROLLER,
        lambda data: data.summary.count,
        exists_fn=lambda data: data.summary is not None,
    ),
    energy_sensor(
        "total_energy",
        "total_energy",
        CONTROLLER,
        lambda data: data.summary.total_energy_wh,
        exists_fn=lambda data: data.summary is not None,
    ),
)

BINARY_SENSORS: tuple[EvseBridgeBinarySensorEntityDescription, ...] = (
    EvseBridgeBinarySensorEntityDescription(
        key="problem",
        translation_key="problem",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_problem,
        attributes_fn=_problem_attributes,
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="charging",
        translation_key="charging",
        device_kind=CONTROLLER,
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=lambda data: data.state.charging,
    ),
)

EVENTS: tuple[EvseBridgeEventEntityDescription, ...] = (
    EvseBridgeEventEntityDescription(
        key=TAG_SCANNED,
        translation_key=TAG_SCANNED,
        device_kind=CONTROLLER,
        event_types=[TAG_SCANNED],
    ),
)

#: How far back the controller's records are searched for a transaction that just ended.
FINAL_RECORD_WINDOW = timedelta(days=31)


def _session(data: BenderV1Data) -> SessionRecord | None:
    """The running transaction of ``system_state``; it is there only while one runs."""
    transaction = data.state.transaction
    if transaction is None:
        return None
    return SessionRecord(
        id=transaction.id,
        start=None if transaction.started is None else dt_util.parse_datetime(transaction.started),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        power_w=transaction.power_w,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
    )


def _completed_record(transaction: CompletedTransaction) -> SessionRecord:
    return SessionRecord(
        id=transaction.id,
        start=None if transaction.started is None else dt_util.parse_datetime(transaction.started),
        end=None if transaction.ended is None else dt_util.parse_datetime(transaction.ended),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
        stop_reason=transaction.stop_reason,
        ended=True,
    )


DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *SENSORS,
    *BINARY_SENSORS,
    *EVENTS,
    session_event(CONTROLLER, _session, connector=False),
    current_limit_number(CONTROLLER),
)


def _not_idle() -> ServiceValidationError:
    return ServiceValidationError(translation_domain=DOMAIN, translation_key="pairing_not_idle")


async def _async_start_pairing(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    """Read one tag in pairing mode; fire the device's event and answer with it.

    With ``add_to_whitelist`` the tag is whitelisted (under ``name``), which is
    what pairing mode is for. The tag id goes to the event and the response
    only, never to the log.
    """
    site = runtime.site
    assert isinstance(site, BenderV1Site)
    if not (await site.client.system_state()).idle:
        raise _not_idle()
    try:
        tag = await site.client.pair()
    except EvseCommandRejectedError as err:
        raise _not_idle() from err
    if tag is None:
        return {"result": "no_tag_scanned", "id": None, "tag_type": None}
    tag_type = None if tag.tag_type is None else tag.tag_type.value
    fire_device_event(
        hass,
        runtime.coordinator.config_entry,
        CONTROLLER,
        TAG_SCANNED,
        TAG_SCANNED,
        {"tag_id": tag.id, "tag_type": tag_type},
    )
    response: dict[str, Any] = {"result": "tag_scanned", "id": tag.id, "tag_type": tag_type}
    if call.data[ATTR_ADD_TO_WHITELIST]:
        response["whitelist"] = await async_whitelist_scanned_tag(
            runtime, device, tag, call.data.get(ATTR_NAME)
        )
    return response


BENDER_V1 = Vendor(
    key="bender_v1",
    user_schema=_user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=_async_probe,
    create_site=BenderV1Site,
    update_interval=STATE_INTERVAL,
    descriptions=DESCRIPTIONS,
    services=(
        VendorService(
            name=SERVICE_START_PAIRING,
            fields={
                vol.Optional(ATTR_ADD_TO_WHITELIST, default=False): cv.boolean,
                vol.Optional(ATTR_NAME): cv.string,
            },
            handler=_async_start_pairing,
            supports_response=SupportsResponse.OPTIONAL,
        ),
        *WHITELIST_SERVICES,
        *SETTINGS_SERVICES,
    ),
    form_errors={
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseNotSupportedError: (CONF_HOST, "rest_disabled"),
        EvseResponseError: (CONF_HOST, "not_bender_controller"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    # RFID/NFC tag ids (personal data) under the names a transaction might carry them.
    redact=frozenset({"idTag", "id_tag", "idToken", "tagId", "tag_id", "authUid", "auth_uid"}),
)
