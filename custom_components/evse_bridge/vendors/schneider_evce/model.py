"""What the EVCE vendor knows of a hub: its device kinds, their data and the key book.

Device keys outlive the hub's IDs: a configuration import gives every station,
zone and meter a new ID (document §3.1.4), so the site keeps the document's
name <-> ID dictionary in the entry data and a device whose ID changed under an
unchanged friendly name keeps its key, its entities and their history. A rename
on the hub keeps the ID and therefore the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import logging
from typing import Any

from homeassistant.util import dt as dt_util

from ...api.schneider_evce import (
    EvceConnectorState,
    EvceConnectorStatus,
    EvceOcppStatus,
    EvcePowerMeter,
    EvcePowerMeterValues,
    EvceProductInfo,
    EvceReductionType,
    EvceStation,
    EvceStationStatus,
    EvceTransaction,
    EvceZone,
    EvceZoneReduction,
    EvceZoneStatus,
)

_LOGGER = logging.getLogger(__name__)

CONF_CERTIFICATE = "certificate"
#: Where the entry's unique id came from: ``serial`` (an answer of the hub) or
#: ``certificate`` (the hub's certificate fingerprint, when no answer has a serial).
CONF_HUB_ID = "hub_id"
CONF_HUB_ID_SOURCE = "hub_id_source"
#: The name <-> ID dictionary: device key -> {"id": hub ID, "name": friendly name}.
CONF_DEVICE_KEYS = "device_keys"
HUB = "hub"
STATION = "station"
CONNECTOR = "connector"
ZONE = "zone"
POWER_METER = "power_meter"
ATTR_CONNECTOR = "connector"
ATTR_ID_TAG = "id_tag"
ATTR_TRANSACTION_ID = "transaction_id"
ATTR_TYPE = "type"
ATTR_VALUE = "value"
ATTR_UNIT = "unit"
ATTR_DURATION = "duration"
ATTR_SESSION_START = "session_start"
ATTR_STATIONS = "stations"
#: The zone reduction numbers' keys (in A, in kW), also their safe-write targets'.
REDUCTION_KEY = "reduction"
REDUCTION_POWER_KEY = "reduction_power"
REDUCTION_KEYS = {
    EvceReductionType.CURRENT: REDUCTION_KEY,
    EvceReductionType.POWER: REDUCTION_POWER_KEY,
}


@dataclass(frozen=True, slots=True)
class EvceHubData:
    """The hub itself: identity and a summary of its stations."""

    info: EvceProductInfo
    stations: int
    stations_connected: int
    power_w: float | None


@dataclass(frozen=True, slots=True)
class EvceStationData:
    """A station's configuration, its latest status (None when the hub sent none), its zone."""

    station: EvceStation
    status: EvceStationStatus | None
    #: Name of the zone the station is affected to (None when no zone lists it).
    zone: str | None = None

    @property
    def online(self) -> bool:
        """Whether the station's OCPP link to the hub is up."""
        return self.status is not None and self.status.ocpp_status is EvceOcppStatus.CONNECTED


@dataclass(frozen=True, slots=True)
class EvceConnectorData:
    """One EVSE (connector) of a station: the values sessions are made of.

    Between sessions power and session energy are 0 (one rule for every vendor);
    ``session_start`` is the hub's where it gives one, else when this
    integration first saw the transaction.
    """

    station: EvceStation
    station_name: str
    connector_id: int
    state: EvceConnectorState | None
    online: bool
    session_start: datetime | None = None
    #: The hub's own record of the running session (``/transactions/ongoing``), where
    #: the hub keeps one: it adds the badge and the start the statuses do not carry.
    ongoing: EvceTransaction | None = None

    @property
    def status(self) -> EvceConnectorStatus | None:
        """The connector's OCPP status (None while the station is offline)."""
        return None if self.state is None else self.state.status

    @property
    def in_session(self) -> bool:
        """Whether a session runs on the connector."""
        return self.state is not None and self.state.in_session

    @property
    def transaction_id(self) -> int | None:
        """The running transaction's id."""
        return None if self.state is None or not self.in_session else self.state.transaction_id

    @property
    def power_w(self) -> float | None:
        """Power of the running session; 0 between sessions."""
        if self.state is None:
            return None
        return self.state.power_w if self.in_session else 0.0

    @property
    def session_energy_wh(self) -> float | None:
        """Energy of the running session; 0 between sessions."""
        if self.state is None:
            return None
        return self.state.session_energy_wh if self.in_session else 0.0

    @property
    def energy_wh(self) -> float | None:
        """The connector's lifetime energy register."""
        return None if self.state is None else self.state.energy_wh


@dataclass(frozen=True, slots=True)
class EvceZoneData:
    """A zone, its live status, the reduction applied to it and its stations' names."""

    zone: EvceZone
    status: EvceZoneStatus
    reduction: EvceZoneReduction
    #: Names of the stations affected to the zone (None when the hub does not say).
    stations: tuple[str, ...] | None = None
    #: When a temporary reduction lapses (None: permanent, none, or the hub gives no duration).
    reduction_ends: datetime | None = None
    #: Sessions running on the zone's connected stations, one per connector (None when the
    #: hub does not list the zone's stations).
    sessions: int | None = None

    @property
    def reduction_type(self) -> EvceReductionType:
        """Unit of the reduction; a zone that does not say is reduced in amperes."""
        return self.reduction.type or EvceReductionType.CURRENT

    def reduction_in(self, reduction_type: EvceReductionType) -> float | None:
        """The reduction in one unit: 0 while the zone is reduced in the other one.

        Each unit has its own number, so a value written as amperes never becomes kilowatts.
        """
        if reduction_type is not self.reduction_type:
            return 0.0
        return self.reduction.value


@dataclass(frozen=True, slots=True)
class EvcePowerMeterData:
    """A power meter, its model's name (None when the hub gives none) and its last values."""

    meter: EvcePowerMeter
    values: EvcePowerMeterValues
    model: str | None = None


class ReductionMode(StrEnum):
    """The document's ``valid_mode`` of a zone reduction."""

    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    #: No reduction in force (the hub still says ``permanent``).
    NO_REDUCTION = "no_reduction"


def reduction_mode(data: EvceZoneData) -> ReductionMode | None:
    """The zone's reduction mode; None when the hub names none this integration knows."""
    mode = (data.reduction.valid_mode or "").lower()
    if mode not in {ReductionMode.PERMANENT, ReductionMode.TEMPORARY}:
        return None
    if not data.reduction.value:
        return ReductionMode.NO_REDUCTION
    return ReductionMode(mode)


def reduction_max(data: EvceZoneData, reduction_type: EvceReductionType | None = None) -> float:
    """The zone's limit in ``reduction_type`` (default: the zone's own unit)."""
    if (reduction_type or data.reduction_type) is EvceReductionType.POWER:
        limit = data.zone.max_power_kw
    else:
        limit = data.zone.max_current_a
    # A zone without a reported limit still gets a usable slider.
    return limit if limit is not None else 1000.0


def hub_session_start(state: EvceConnectorState) -> datetime | None:
    """The start of the running session as the hub gives it, if it does."""
    return dt_util.parse_datetime(state.session_start) if state.session_start else None


@dataclass(slots=True)
class KeyBook:
    """The name <-> ID dictionary of the document (§3.2.2), per device kind.

    ``entries`` maps a device key to the hub ID and friendly name it had when
    last seen; it is stored in the entry data so it survives restarts.
    """

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, kind: str, items: list[tuple[int, str | None]]) -> dict[int, str]:
        """Device key per hub ID: known ID, else same name under a vanished ID, else new."""
        mine = {key: value for key, value in self.entries.items() if key.startswith(f"{kind}_")}
        by_id = {int(value["id"]): key for key, value in mine.items()}
        present = {item_id for item_id, _ in items}
        keys: dict[int, str] = {}
        for item_id, _ in items:
            if item_id in by_id:
                keys[item_id] = by_id[item_id]
        for item_id, name in items:
            if item_id in keys:
                continue
            vanished = [
                key
                for key, value in mine.items()
                if int(value["id"]) not in present
                and key not in keys.values()
                and name is not None
                and value.get("name") == name
            ]
            if len(vanished) == 1:
                _LOGGER.info(
                    "EVCE %s %s now has ID %s (configuration import): kept as %s",
                    kind,
                    name,
                    item_id,
                    vanished[0],
                )
                keys[item_id] = vanished[0]
                continue
            key = f"{kind}_{item_id}"
            while key in keys.values():
                key = f"{key}_"
            keys[item_id] = key
        names = dict(items)
        for key in [key for key in self.entries if key.startswith(f"{kind}_")]:
            del self.entries[key]
        for item_id, key in keys.items():
            self.entries[key] = {"id": item_id, "name": names[item_id]}
        return keys
