"""What diagnostics show of a ChargEye account: stations, connectors, readings, answers.

Not shown: id tokens of transactions (the client already replaces them in the payloads
it keeps), serial numbers, the locations' ids and addresses, the refresh token and the
JWT. Each payload's keys are listed under every name the client accepts.
"""

from __future__ import annotations

from homeassistant.const import CONF_TOKEN

from ...contract.diagnostics import DiagnosticsShown, Shown, under
from .config import CONF_LIMITS, CONF_SERVER_URL, CONF_TOKEN_VALID_UNTIL

_TRANSACTION = (
    "txId",
    "transactionId",
    "id",
    "status",
    "chargedEnergyKwh",
    "energyKwh",
    "chargedEnergy",
    "powerKw",
    "currentPowerKw",
    "soc",
    "stateOfCharge",
    "startTime",
    "startedAt",
)
_CONNECTOR = (
    "connectorId",
    "evseId",
    "id",
    "name",
    "status",
    "type",
    "connectorType",
    "maxPowerKw",
    "maxPowerKwActual",
    "currentPowerKw",
    "powerKw",
    *under("latestTransaction", *_TRANSACTION),
    *under("transaction", *_TRANSACTION),
)
_STATION = (
    "stationId",
    "chargingStationId",
    "id",
    "name",
    "model",
    "modelName",
    "chargerModel",
    "status",
    "onlineStatus",
    "maxPowerKw",
    "currentPowerKw",
    "currentPowerA",
    "maxPowerA",
    "acDcPowerRatio",
    "firmwareVersion",
    "firmware",
    "location.name",
    "location.locationName",
    *under("connectors", *_CONNECTOR),
    *under("evses", *_CONNECTOR),
)
#: Parsed: a connector and its latest transaction, without its id token.
_PARSED_CONNECTOR = (
    "connector_id",
    "name",
    "status",
    "connector_type",
    "max_power_kw",
    "max_power_kw_actual",
    "reported_power_kw",
    *under(
        "latest_transaction",
        "transaction_id",
        "status",
        "energy_kwh",
        "power_kw",
        "soc",
        "start_time",
    ),
)
#: Parsed: a station, without its serial number and its location's id and address.
_PARSED_STATION = (
    "station_id",
    "name",
    "model",
    "firmware_version",
    "status",
    "online_status",
    "current_power_kw",
    "current_power_a",
    "max_power_kw",
    "max_power_a",
    "ac_dc_power_ratio",
    "location.name",
    *under("connectors", *_PARSED_CONNECTOR),
)
#: A power group (Load Balancing API), under every name the client accepts. Of its
#: members only the id fields of member objects and the lists named as id lists show;
#: a list of text under another key might be anything (the parsed group shows the ids).
_MEMBER_IDS = ("stationId", "chargerId", "chargingStationId", "id")
_GROUP_FIELDS = (
    "groupId",
    "powerGroupId",
    "id",
    "name",
    "groupName",
    "limitationType",
    "maxCurrentA",
    "maxPowerKw",
    "maxOutputPowerKw",
    "timeThresholdToIncreasePowerSeconds",
    "reservationMarginForActiveChargersKw",
    "actualSiteFuseSize",
    "allocateFullCapacity",
    "defaultMinPowerReservationKw",
    "defaultOfflinePowerKw",
    "stationIds",
    "chargerIds",
    *(
        path
        for key in ("stations", "chargers", "chargingStations", "members", "devices")
        for path in (*under(key, *_MEMBER_IDS), *under(f"{key}.*", *_MEMBER_IDS))
    ),
)
_SUBGROUP_KEYS = ("subGroups", "subgroups", "children", "groups", "powerGroups")


def _group_paths(depth: int) -> tuple[str, ...]:
    """A group's fields and, ``depth`` levels down, its subgroups' (listed or by id)."""
    if depth == 0:
        return _GROUP_FIELDS
    below = _group_paths(depth - 1)
    return (
        *_GROUP_FIELDS,
        *(
            path
            for key in _SUBGROUP_KEYS
            for prefix in (key, f"{key}.*")
            for path in under(prefix, *below)
        ),
    )


_POWER_GROUP = _group_paths(3)
_PARSED_GROUP = (
    "group_id",
    "name",
    "limitation",
    "limit",
    "limit_field",
    "station_ids",
    "parent_id",
    "site_fuse_a",
)

#: A command's answer: the station's response word and the reason code it gave.
_COMMAND_ANSWER = (
    *(
        path
        for field in (
            "response",
            "responseFromStation",
            "transactionStartResponse",
            "transactionStopResponse",
        )
        for path in (field, f"{field}.status", f"{field}.response")
    ),
    "statusInfo.reasonCode",
    # A power group's PATCH.
    "success",
)

DIAGNOSTICS = DiagnosticsShown(
    entry_data=Shown(CONF_SERVER_URL, CONF_TOKEN_VALID_UNTIL, CONF_LIMITS),
    entry_credentials=(CONF_TOKEN,),
    devices={
        "station": Shown(under("station", *_PARSED_STATION), "power_limit"),
        "connector": Shown(
            under("station", *_PARSED_STATION),
            under("connector", *_PARSED_CONNECTOR),
            "power_limit",
            "session_limit",
        ),
        "power_group": Shown(
            under("group", *_PARSED_GROUP), "members", "member_ratings", "power_kw", "limit"
        ),
    },
    raw_payloads=Shown(
        "token_exchange.validUntil",
        "token_exchange.expiresAt",
        under("stations", *_STATION),
        under("stations.stations", *_STATION),
        *(
            under(prefix, *_POWER_GROUP)
            for prefix in (
                "power_groups",
                "power_groups.tree",
                "power_groups.tree.*",
                "power_groups.powerGroups",
                "power_groups.groups",
            )
        ),
        # Every command's last answer, by command.
        under("*", *_COMMAND_ANSWER),
        # The integration's own counts and readings.
        "token_exchanges",
        "limits_set",
        "readings",
    ),
)
