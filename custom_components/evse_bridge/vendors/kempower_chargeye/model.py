"""What ChargEye devices are: their kinds, keys and names, and the data a poll gives each."""

from __future__ import annotations

from dataclasses import dataclass

from ...api.kempower_chargeye import Connector, PowerGroup, Station

KEY = "kempower_chargeye"
MANUFACTURER = "Kempower"
#: The account itself: the entry's top device, which sums up its stations.
ACCOUNT = "account"
STATION = "station"
CONNECTOR = "connector"
#: A power group of the Load Balancing API: one limit the cloud shares among stations.
POWER_GROUP = "power_group"

#: Attribute of the connector status sensor, and field of the ``stop_transaction`` action.
ATTR_TRANSACTION_ID = "transaction_id"


@dataclass(frozen=True, slots=True)
class StationData:
    """A station as polled, with the power limit this entry last had accepted."""

    station: Station
    power_limit: float | None


@dataclass(frozen=True, slots=True)
class ConnectorData:
    """A connector as polled, its station, and the limits this entry last had accepted."""

    station: Station
    connector: Connector
    power_limit: float | None
    #: Limit of the running transaction, while it runs.
    session_limit: float | None = None


@dataclass(frozen=True, slots=True)
class PowerGroupData:
    """A power group as last read, with what its stations draw now."""

    group: PowerGroup
    #: Device keys of the account's stations the limit binds: in the group or a subgroup.
    members: frozenset[str]
    #: Per member station, its rating in the group's unit (A or kW; 0 when unrated).
    member_ratings: tuple[float, ...]
    #: What the stations in the group and its subgroups draw now (kW); None if none says.
    power_kw: float | None
    #: The limit in force: the one read, or the one this entry wrote since.
    limit: float | None


def power_group_key(group: PowerGroup) -> str:
    """Device key of a power group."""
    return f"{POWER_GROUP}_{group.group_id}"


def station_key(station: Station) -> str:
    """Device key of a station."""
    return f"{STATION}_{station.station_id}"


def connector_key(station: Station, connector: Connector) -> str:
    """Device key of a connector; the id's optional station prefix is dropped, so it is stable."""
    return f"{CONNECTOR}_{station.station_id}_{station.local_id(connector)}"


def station_name(station: Station) -> str:
    """What the station calls itself, else its model and serial, else its id."""
    if station.name:
        return station.name
    if station.model and station.serial_number:
        return f"{station.model} {station.serial_number}"
    return station.station_id


def connector_label(connector: Connector) -> str:
    """The connector's name in its station ("2"), else its id."""
    return connector.name or connector.connector_id
