"""Bender / ebee Charge Controller REST API v1: one controller per entry.

The system state is polled every 15 s, the errors and warnings every 60 s and
the transaction summary every 5 minutes (and right after a transaction ends),
all within the one session the client keeps alive (polling faster than its
60 s timeout). The client gets an HTTP session of its own that keeps cookies,
for controllers that hand out the session id as a cookie. The
``start_pairing`` action reads an RFID/NFC tag in the whitelist pairing mode.

The summary's units are not documented: they are established by comparing its
growth with the transactions this site watched end, stored in the entry, and
only then is its energy offered as the lifetime meter (summary + transactions
ended but not yet summed + the running one, never falling).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any

import aiohttp
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorStateClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ...api import (
    EvseAuthenticationError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ...api.bender_common import (
    AuthorizationState,
    BenderLegacyControllerError,
    ConnectionState,
    OcppState,
    Type2State,
    offers_legacy_api,
)
from ...api.bender_v1 import (
    BenderV1Client,
    ChargePointInfo,
    CompletedTransaction,
    ControllerLog,
    LogMessage,
    SettingParameter,
    SummaryUnits,
    SystemState,
    Transaction,
    TransactionSummary,
)
from ...const import DOMAIN
from ...contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeEventEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ...contract.events import (
    fire_device_event,
)
from ...contract.records import (
    SessionRecord,
)
from ...contract.sensor_factories import (
    counter_sensor,
    duration_sensor,
    energy_sensor,
    enum_sensor,
    power_sensor,
    temperature_sensor,
)
from ...contract.sessions import (
    session_event,
)
from ...contract.site import (
    DeviceData,
    DeviceIdentity,
    Site,
    SiteData,
)
from ...contract.vendor import (
    EntryContext,
    ProbeResult,
    Vendor,
    VendorService,
)
from .settings import (
    ATTR_NAME,
    SETTINGS_SERVICES,
    WHITELIST_SERVICES,
    V1Controls,
    async_whitelist_scanned_tag,
    current_limit_number,
)

_LOGGER = logging.getLogger(__name__)

CONTROLLER = "controller"
DEFAULT_USERNAME = "operator"
STATE_INTERVAL = timedelta(seconds=15)
LOGGING_INTERVAL = timedelta(seconds=60)
SUMMARY_INTERVAL = timedelta(minutes=5)
TAG_SCANNED = "tag_scanned"
#: Entry data: the established units of the transaction summary.
CONF_SUMMARY_UNITS = "summary_units"
#: Entry data: the lifetime meter when the last watched transaction ended (Wh), so a
#: restart does not show the summary's rounding as a dip.
CONF_LIFETIME_WH = "lifetime_wh"
#: A drop of the lifetime meter smaller than this is the summary's rounding to whole kWh,
#: held back; a larger one is a real reset of the controller's database.
ROUNDING_WH = 1000.0
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


def _http_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """A session of its own for one controller: Home Assistant's connector, cookies kept.

    The shared session drops cookies; ``unsafe`` keeps them for IP-address hosts too.
    The owner detaches it when done.
    """
    return async_create_clientsession(
        hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


def _client(http: aiohttp.ClientSession, data: Mapping[str, Any]) -> BenderV1Client:
    return BenderV1Client(
        http,
        data[CONF_HOST].strip(),
        data.get(CONF_USERNAME) or DEFAULT_USERNAME,
        data[CONF_PASSWORD],
    )


def _title(info: ChargePointInfo) -> str:
    """What the controller calls itself: its charge point id, else model and serial."""
    if info.charge_point_id:
        return info.charge_point_id
    return f"{info.model or 'Charge controller'} {info.serial}"


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Log in, read who the controller is, log out again to free the single session."""
    http = _http_session(hass)
    client = _client(http, data)
    try:
        try:
            info = await client.charge_point_info()
        finally:
            await client.logout()
    except EvseNotSupportedError as err:
        # No v1 API: tell a Legacy controller apart from one with REST disabled.
        if await offers_legacy_api(http, data[CONF_HOST]):
            raise BenderLegacyControllerError("the controller serves the Legacy API") from err
        raise
    finally:
        http.detach()
    if info.serial is None:
        raise EvseResponseError("settings carry no charge point serial")
    entry_data = {
        CONF_HOST: data[CONF_HOST].strip(),
        CONF_USERNAME: data.get(CONF_USERNAME) or DEFAULT_USERNAME,
        CONF_PASSWORD: data[CONF_PASSWORD],
    }
    if units := data.get(CONF_SUMMARY_UNITS):
        # Reauth and reconfigure reach the same controller (same serial): keep what it showed.
        entry_data[CONF_SUMMARY_UNITS] = units
    return ProbeResult(unique_id=info.serial, title=_title(info), data=entry_data)


@dataclass(frozen=True, slots=True)
class BenderV1Data:
    """One poll's view of the controller; ``log``/``summary`` are None when unsupported.

    ``running`` says whether a transaction runs (None when unsure); ``total_energy_wh``
    is the lifetime meter, None until the summary's energy unit is established.
    """

    info: ChargePointInfo
    state: SystemState
    log: ControllerLog | None
    summary: TransactionSummary | None
    units: SummaryUnits
    running: bool | None
    total_energy_wh: float | None
    #: The charging current limit parameter, where the settings meta identifies one.
    current_limit: SettingParameter | None = None


class BenderV1Site(Site):
    """One controller; decides per poll which endpoints are due."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client, on an HTTP session of its own, from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self._http = _http_session(hass)
        self.client = _client(self._http, entry.data)
        self.controls = V1Controls(hass, entry, self.client)
        self._info: ChargePointInfo | None = None
        self._log: ControllerLog | None = None
        self._summary: TransactionSummary | None = None
        self._logging_due: datetime | None = dt_util.utcnow()
        self._summary_due: datetime | None = dt_util.utcnow()
        self._active_supported = True
        stored = entry.data.get(CONF_SUMMARY_UNITS) or {}
        self._units = SummaryUnits(stored.get("energy"), stored.get("duration"))
        #: Evidence for the units: the summary before the watched transactions ended.
        self._baseline: TransactionSummary | None = None
        #: The running transaction as last seen, and those seen end since the baseline.
        self._running: Transaction | None = None
        self._ended: list[Transaction] = []
        self._total_wh: float | None = entry.data.get(CONF_LIFETIME_WH)

    async def async_fetch(self) -> SiteData:
        """System state every poll; logging, summary and identity when due."""
        client = self.client
        now = dt_util.utcnow()
        if self._info is None:
            self._info = await client.charge_point_info()
        state = await client.system_state()
        running = await self.transaction_running(state)
        self._watch(state.transaction)
        if self._logging_due is not None and now >= self._logging_due:
            try:
                self._log = await client.logging()
            except EvseNotSupportedError:
                self._logging_due = None
            else:
                self._logging_due = now + LOGGING_INTERVAL
        if self._summary_due is not None and now >= self._summary_due:
            try:
                summary = await client.transaction_summary()
            except EvseNotSupportedError:
                self._summary_due = None
            else:
                self._summary_due = now + SUMMARY_INTERVAL
                self._take_summary(summary)
                if self._ended:
                    # The summary has not counted every ended transaction yet: ask again soon.
                    self._summary_due = now
        info = self._info
        identity = DeviceIdentity(
            name=_title(info),
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
            units=self._units,
            running=running,
            total_energy_wh=self._lifetime_wh(state.transaction),
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

    async def transaction_running(self, state: SystemState) -> bool | None:
        """Whether a transaction runs; the documented ``transactions/active`` settles doubt.

        ``system_state`` carries the running transaction; without one and with a
        vehicle connected, ``transactions/active`` tells whether one runs anyway.
        """
        if state.transaction is not None:
            return True
        if state.connection is ConnectionState.NO_VEHICLE_CONNECTED or not self._active_supported:
            return False
        try:
            active = await self.client.transaction_active()
        except EvseNotSupportedError:
            self._active_supported = False
            return False
        return active is not False

    def _watch(self, transaction: Transaction | None) -> None:
        """Note a transaction that ended since the last poll; its summary is due at once."""
        previous = self._running
        if previous is not None and (transaction is None or transaction.id != previous.id):
            self._ended.append(previous)
            if self._summary_due is not None:
                self._summary_due = dt_util.utcnow()
            if self._total_wh is not None:
                # Once per transaction: what the meter showed, kept across restarts.
                self._hass.config_entries.async_update_entry(
                    self._entry, data={**self._entry.data, CONF_LIFETIME_WH: self._total_wh}
                )
        self._running = transaction

    def _take_summary(self, summary: TransactionSummary) -> None:
        """Keep a new summary; establish its units when it grew by the watched transactions."""
        self._summary = summary
        baseline = self._baseline
        if baseline is None or baseline.count is None or summary.count is None:
            self._baseline, self._ended = summary, []
            return
        grown = summary.count - baseline.count
        if grown < len(self._ended):
            return  # not yet counted: wait for the summary to catch up
        if grown == len(self._ended):
            self._establish(self._units.establish(baseline, summary, self._ended))
        self._baseline, self._ended = summary, []

    def _establish(self, units: SummaryUnits) -> None:
        """Store newly established units; the reload adds the entities they allow."""
        if units == self._units:
            return
        _LOGGER.info(
            "%s: transaction summary units established from a watched transaction: "
            "energy %s, duration %s",
            self._entry.title,
            units.energy or "open",
            units.duration or "open",
        )
        self._units = units
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={
                **self._entry.data,
                CONF_SUMMARY_UNITS: {"energy": units.energy, "duration": units.duration},
            },
        )
        self._hass.config_entries.async_schedule_reload(self._entry.entry_id)

    def _lifetime_wh(self, transaction: Transaction | None) -> float | None:
        """Summary + ended transactions it has not counted yet + the running one; never falls."""
        completed = self._units.energy_wh(self._summary)
        if completed is None:
            return None
        baseline = self._baseline
        grown = 0
        if baseline is not None and baseline.count is not None and self._summary is not None:
            grown = (self._summary.count or baseline.count) - baseline.count
        pending = self._ended[grown:]
        total = completed + sum(item.energy_wh or 0.0 for item in pending)
        if transaction is not None and transaction.energy_wh is not None:
            total += transaction.energy_wh
        if self._total_wh is not None and self._total_wh - ROUNDING_WH < total < self._total_wh:
            # A summary rounded to whole units may sum an ended transaction a little lower.
            total = self._total_wh
        self._total_wh = total
        return total

    async def async_close(self) -> None:
        """Log out, so the controller's single session is free at once; release the session."""
        try:
            await self.client.logout()
        finally:
            self._http.detach()

    def diagnostics(self) -> dict[str, Any]:
        """Raw payloads, plus how the client reached the controller and what it established."""
        return {
            **self.client.raw_payloads,
            "client": {
                **self.client.readings,
                "logins": self.client.login_count,
                "summary_units": {
                    "energy": self._units.energy,
                    "duration": self._units.duration,
                    "how": "growth of the summary compared with transactions watched to their end",
                },
            },
            "whitelist_readings": self.client.whitelist_readings,
            "settings_readings": self.client.settings_readings,
        }


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


def _problem_attributes(data: BenderV1Data) -> dict[str, Any]:
    return {"errors": [] if data.log is None else _texts(data.log.errors)}


def _message_attributes(data: BenderV1Data) -> dict[str, Any]:
    log = data.log or ControllerLog(())
    return {"errors": _texts(log.errors), "warnings": _texts(log.warnings)}


def _state(attribute: str) -> Callable[[BenderV1Data], Any]:
    return lambda data: getattr(data.state, attribute)


SENSORS: tuple[EvseBridgeSensorEntityDescription, ...] = (
    # As sent: the documents give no value set (translated where known).
    EvseBridgeSensorEntityDescription(
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
        exists_fn=lambda data: data.summary is not None and data.units.duration is not None,
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
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Read one tag in pairing mode; fire the device's event and answer with it.

    With ``add_to_whitelist`` the tag is whitelisted (under ``name``), which is
    what pairing mode is for. The tag id goes to the event and the response
    only, never to the log.
    """
    site = context.site
    assert isinstance(site, BenderV1Site)
    state = await site.client.system_state()
    if not state.idle or await site.transaction_running(state):
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
        context.entry.entry_id,
        CONTROLLER,
        TAG_SCANNED,
        TAG_SCANNED,
        {"tag_id": tag.id, "tag_type": tag_type},
    )
    response: dict[str, Any] = {"result": "tag_scanned", "id": tag.id, "tag_type": tag_type}
    if call.data[ATTR_ADD_TO_WHITELIST]:
        response["whitelist"] = await async_whitelist_scanned_tag(
            context, device, tag, call.data.get(ATTR_NAME)
        )
    return response


BENDER_V1 = Vendor(
    key="bender_v1",
    label="REST API v1",
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
        BenderLegacyControllerError: (CONF_HOST, "bender_is_legacy"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseNotSupportedError: (CONF_HOST, "rest_disabled"),
        EvseResponseError: (CONF_HOST, "not_bender_controller"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    # RFID/NFC tag ids (personal data) under the names a transaction might carry them.
    redact=frozenset({"idTag", "id_tag", "idToken", "tagId", "tag_id", "authUid", "auth_uid"}),
)
