"""The ChargEye account as a site: its stations and their connectors, one request per poll.

The API does not report a limit in force, so the site remembers the limits this
entry set and had accepted (kept in the entry across restarts) and hands them to
the devices' data.

Command errors name the station and connector as the user knows them: a 401
that survives a fresh token is "no permission for this station" (never
reauthentication), a connector id the service does not take names what was
sent (``api/kempower_chargeye.py`` tries every reading of ``evseId``). Every
other client error is translated by the generic side.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from ...api.kempower_chargeye import (
    ChargEyeConnectorRefusedError,
    ChargEyePermissionError,
    GroupLimitation,
    LimitOptions,
    PowerGroup,
    Station,
)
from ...const import DOMAIN
from ...contract.errors import refusal
from ...contract.site import (
    CONNECTOR_NAME_KEY,
    DeviceData,
    DeviceIdentity,
    Site,
    SiteData,
)
from .config import (
    CONF_LIMITS,
    CONF_LOCATION,
    CONF_TOKEN_VALID_UNTIL,
    account_key,
    acquire_account,
    create_client,
    release_account,
    token_data,
)
from .model import (
    ACCOUNT,
    CONNECTOR,
    MANUFACTURER,
    POWER_GROUP,
    STATION,
    ConnectorData,
    PowerGroupData,
    StationData,
    connector_key,
    connector_label,
    power_group_key,
    station_key,
    station_name,
)

#: How often the power groups are read (s): they change when an operator edits them in
#: ChargEye, far less often than a poll; what the stations draw is read every poll.
POWER_GROUPS_REFRESH_S = 300.0
#: How often an account without the Load Balancing API (404) is asked again.
POWER_GROUPS_ABSENT_REFRESH_S = 3600.0

#: The id-token field names the client accepts (lower case), in its order of preference.
_ID_TOKEN_READINGS = ("authorizationtoken", "idtoken", "idtag", "id_token", "id_tag")


def _start_time_reading(start: Any) -> str:
    """How a transaction's ``startTime`` was written: with an offset, or without (UTC)."""
    if not isinstance(start, str) or (parsed := dt_util.parse_datetime(start)) is None:
        return "not stated"
    return "with offset" if parsed.tzinfo is not None else "no offset (read as UTC)"


class ChargEyeSite(Site):
    """The account's stations, one request per poll."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client from the entry's data (with the JWT the probe obtained)."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self._account_key = account_key(entry.data, entry.unique_id)
        self.client = create_client(hass, entry.data, acquire_account(hass, self._account_key))
        self._location: str | None = entry.data.get(CONF_LOCATION)
        stored = entry.data.get(CONF_LIMITS)
        #: Device key -> last power limit the station accepted from this entry.
        self._limits: dict[str, float] = (
            {str(key): float(value) for key, value in stored.items()}
            if isinstance(stored, Mapping)
            else {}
        )
        #: Transaction id -> limit accepted for it (ends with the transaction).
        self._session_limits: dict[str, float] = {}
        #: The power groups last read (kept while a later read fails), and when (UTC s).
        self._groups: list[PowerGroup] = []
        self._groups_read_at: float | None = None
        #: Group id -> limit this entry wrote since the groups were last read.
        self._group_limits: dict[str, float] = {}

    def _store(self) -> None:
        """Keep the JWT and the limits in the entry (diagnostics redact the token)."""
        data = {
            key: value
            for key, value in self._entry.data.items()
            if key not in (CONF_TOKEN, CONF_TOKEN_VALID_UNTIL, CONF_LIMITS)
        }
        data.update(token_data(self.client))
        if self._limits:
            data[CONF_LIMITS] = dict(self._limits)
        if data != dict(self._entry.data):
            self._hass.config_entries.async_update_entry(self._entry, data=data)

    async def async_fetch(self) -> SiteData:
        """List the stations and build a device per station and connector."""
        stations = await self.client.get_stations(self._location)
        devices: dict[str, DeviceData] = {
            ACCOUNT: DeviceData(
                key=ACCOUNT,
                kind=ACCOUNT,
                identity=DeviceIdentity(
                    name=self._entry.title, manufacturer=MANUFACTURER, model="ChargEye account"
                ),
                data=None,
            )
        }
        running: set[str] = set()
        for station in stations:
            parent = station_key(station)
            name = station_name(station)
            area = station.location.name if station.location else None
            devices[parent] = DeviceData(
                key=parent,
                kind=STATION,
                identity=DeviceIdentity(
                    name=name,
                    manufacturer=MANUFACTURER,
                    model=station.model,
                    serial_number=station.serial_number,
                    sw_version=station.firmware_version,
                    suggested_area=area,
                    via_key=ACCOUNT,
                ),
                data=StationData(station, self._limits.get(parent)),
            )
            for connector in station.connectors:
                key = connector_key(station, connector)
                label = connector_label(connector)
                transaction = connector.running_transaction
                tx_id = transaction.transaction_id if transaction else None
                if tx_id is not None:
                    running.add(tx_id)
                devices[key] = DeviceData(
                    key=key,
                    kind=CONNECTOR,
                    identity=DeviceIdentity(
                        name=f"{name} connector {label}",
                        manufacturer=MANUFACTURER,
                        model=station.model,
                        via_key=parent,
                        translation_key=CONNECTOR_NAME_KEY,
                        translation_placeholders={"station": name, "connector": label},
                        suggested_area=area,
                    ),
                    data=ConnectorData(
                        station,
                        connector,
                        self._limits.get(key),
                        None if tx_id is None else self._session_limits.get(tx_id),
                    ),
                )
        await self._async_read_groups()
        devices.update(self._group_devices(stations))
        # A limit of a device that left the account means nothing if it comes back.
        for key in set(self._limits) - set(devices):
            del self._limits[key]
        for tx_id in set(self._session_limits) - running:
            del self._session_limits[tx_id]
        self._store()
        return SiteData(devices)

    async def _async_read_groups(self) -> None:
        """Read the power groups when due; a failed read keeps the last ones (see client)."""
        now = dt_util.utcnow().timestamp()
        interval = (
            POWER_GROUPS_ABSENT_REFRESH_S
            if self.client.power_groups_missing
            else POWER_GROUPS_REFRESH_S
        )
        if self._groups_read_at is not None and now - self._groups_read_at < interval:
            return
        self._groups_read_at = now
        groups = await self.client.optional_power_groups()
        if groups is not None:
            self._groups = groups
            self._group_limits.clear()

    def _group_devices(self, stations: list[Station]) -> dict[str, DeviceData]:
        """A device per power group (below the account), with its stations' readings."""
        by_id = {station.station_id: station for station in stations}
        children: dict[str, list[PowerGroup]] = {}
        for group in self._groups:
            if group.parent_id is not None:
                children.setdefault(group.parent_id, []).append(group)

        def all_stations(group: PowerGroup) -> list[Station]:
            # The client lists each group once, after its parent: no cycle.
            found = [by_id[sid] for sid in group.station_ids if sid in by_id]
            for child in children.get(group.group_id, ()):
                found += all_stations(child)
            return found

        devices: dict[str, DeviceData] = {}
        for group in self._groups:
            # The limit binds the stations of its subgroups too.
            members = list({s.station_id: s for s in all_stations(group)}.values())
            ampere = group.limitation is GroupLimitation.INPUT_CURRENT
            powers = [
                station.current_power_kw
                for station in members
                if station.current_power_kw is not None
            ]
            key = power_group_key(group)
            devices[key] = DeviceData(
                key=key,
                kind=POWER_GROUP,
                identity=DeviceIdentity(
                    name=group.name or f"Power group {group.group_id}",
                    manufacturer=MANUFACTURER,
                    model="Power group",
                    via_key=ACCOUNT,
                ),
                data=PowerGroupData(
                    group=group,
                    members=frozenset(station_key(station) for station in members),
                    member_ratings=tuple(
                        (station.max_power_a if ampere else station.max_power_kw) or 0.0
                        for station in members
                    ),
                    power_kw=round(sum(powers), 3) if powers else None,
                    limit=self._group_limits.get(group.group_id, group.limit),
                ),
            )
        return devices

    async def async_set_group_limit(self, device: DeviceData, value: float) -> None:
        """Write a power group's limit; shown until the groups are read again."""
        data: PowerGroupData = device.data
        await self.client.set_power_group_limit(data.group, value)
        self._group_limits[data.group.group_id] = value

    async def async_close(self) -> None:
        """Leave the organisation's shared JWT and request budget to its other entries."""
        release_account(self._hass, self._account_key)

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint and the readings the service used."""
        form = self.client.evse_id_form
        return {
            **self.client.raw_payloads,
            "token_exchanges": self.client.token_exchanges,
            "limits_set": dict(self._limits),
            "readings": {
                # None until a connector command told which reading the service takes.
                "evse_id_form": None if form is None else form.value,
                "connector_ids_with_station_prefix": self._prefixed_connector_ids(),
                "limit_options": "query parameters",
                "power_groups_unavailable": self.client.power_groups_unavailable,
                "connectors": self._connector_readings(),
            },
        }

    def _connector_readings(self) -> dict[str, dict[str, Any]]:
        """Per connector (``stationId/connectorId``): the field names its answer used.

        Read from the kept (redacted) payload, so it tells which of the accepted
        readings the service sent, never a value that is personal.
        """
        payload = self.client.raw_payloads.get("stations")
        stations = payload.get("stations") if isinstance(payload, Mapping) else None
        found: dict[str, dict[str, Any]] = {}
        for raw in stations if isinstance(stations, list) else []:
            if not isinstance(raw, Mapping):
                continue
            connectors = raw.get("connectors")
            for connector in connectors if isinstance(connectors, list) else []:
                if not isinstance(connector, Mapping):
                    continue
                name = f"{raw.get('stationId')}/{connector.get('connectorId')}"
                transaction = connector.get("latestTransaction")
                reading: dict[str, Any] = {
                    "power_available_field": (
                        "maxPowerKwActual" if "maxPowerKwActual" in connector else "not stated"
                    )
                }
                if isinstance(transaction, Mapping):
                    keys = {str(key).lower(): str(key) for key in transaction}
                    reading["transaction_id_field"] = next(
                        (keys[key] for key in ("txid", "transactionid", "id") if key in keys),
                        "not stated",
                    )
                    # The name of the field that carries the card, never its (personal) value.
                    reading["card_field"] = next(
                        (keys[key] for key in _ID_TOKEN_READINGS if key in keys),
                        "not stated",
                    )
                    reading["start_time_form"] = _start_time_reading(transaction.get("startTime"))
                found[name] = reading
        return found

    def _prefixed_connector_ids(self) -> dict[str, bool]:
        """Per station: whether its connectors' ids carry the station prefix."""
        payload = self.client.raw_payloads.get("stations")
        stations = payload.get("stations") if isinstance(payload, Mapping) else None
        found: dict[str, bool] = {}
        for raw in stations if isinstance(stations, list) else []:
            station_id = raw.get("stationId") if isinstance(raw, Mapping) else None
            connectors = raw.get("connectors") if isinstance(raw, Mapping) else None
            if isinstance(station_id, str) and isinstance(connectors, list):
                found[station_id] = any(
                    isinstance(c, Mapping)
                    and str(c.get("connectorId", "")).startswith(f"{station_id}_")
                    for c in connectors
                )
        return found

    def display_name(self, key: str, fallback: str) -> str:
        """The device's name as the user sees it (renamed or translated), else ``fallback``."""
        registry = dr.async_get(self._hass)
        identifier = (DOMAIN, self.device_identifier(key))
        for device in dr.async_entries_for_config_entry(registry, self._entry.entry_id):
            if identifier in device.identifiers:
                return device.name_by_user or device.name or fallback
        return fallback

    @contextmanager
    def chargeye_refusals(self, device: DeviceData) -> Iterator[None]:
        """The two ChargEye refusals as errors naming ``device`` (see module doc).

        Both are ``EvseCommandRejectedError``s, which ``contract.errors.translate_client_errors``
        would show as a plain rejection naming only the device; these name the station and
        what was sent. Every other client error is left to that generic translation.
        """
        data: StationData | ConnectorData = device.data
        station_device = station_key(data.station)
        station = self.display_name(station_device, station_name(data.station))
        try:
            yield
        except ChargEyePermissionError as err:
            raise refusal("chargeye_no_permission", station=station) from err
        except ChargEyeConnectorRefusedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="chargeye_connector_refused",
                translation_placeholders={
                    "station": station,
                    "connector": self.display_name(device.key, device.identity.name),
                    "sent": ", ".join(
                        f"evseId {evse_id} (HTTP {status})" for evse_id, status in err.sent
                    ),
                },
            ) from err

    async def async_set_power_limit(
        self, device: DeviceData, value: float, options: LimitOptions | None = None
    ) -> None:
        """Limit a station or connector; remembered only when the station accepts it."""
        data: StationData | ConnectorData = device.data
        unit = data.station.limit_unit
        with self.chargeye_refusals(device):
            if isinstance(data, ConnectorData):
                await self.client.set_connector_power_limit(
                    data.station, data.connector, value, unit, options or LimitOptions()
                )
            else:
                await self.client.set_station_power_limit(
                    data.station, value, unit, options or LimitOptions()
                )
        self._limits[device.key] = value
        self._store()

    async def async_clear_power_limit(self, device: DeviceData) -> None:
        """Remove the limit of a station or connector."""
        data: StationData | ConnectorData = device.data
        with self.chargeye_refusals(device):
            if isinstance(data, ConnectorData):
                await self.client.clear_connector_power_limit(data.station, data.connector)
            else:
                await self.client.clear_station_power_limit(data.station)
        self._limits.pop(device.key, None)
        self._store()

    async def async_set_session_limit(
        self, device: DeviceData, value: float, options: LimitOptions | None = None
    ) -> None:
        """Limit the connector's running transaction."""
        data: ConnectorData = device.data
        tx_id = running_transaction_id(self, device)
        with self.chargeye_refusals(device):
            await self.client.set_transaction_power_limit(
                tx_id, value, data.station.limit_unit, options or LimitOptions()
            )
        self._session_limits[tx_id] = value

    async def async_clear_session_limit(self, device: DeviceData) -> None:
        """Remove the limit of the connector's running transaction."""
        tx_id = running_transaction_id(self, device)
        with self.chargeye_refusals(device):
            await self.client.clear_transaction_power_limit(tx_id)
        self._session_limits.pop(tx_id, None)


def running_transaction_id(site: ChargEyeSite, device: DeviceData) -> str:
    """The connector's running transaction, or a validation error naming the connector."""
    data: ConnectorData = device.data
    running = data.connector.running_transaction
    if running is None or running.transaction_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_running_transaction",
            translation_placeholders={
                "connector": site.display_name(device.key, device.identity.name)
            },
        )
    return str(running.transaction_id)
