"""What diagnostics show of an EVCE hub: states, readings, firmware, how each was read.

Not shown: badge ids of session records, serial numbers (of the hub, which is also the
entry's id, and of the stations), the power meters' network addresses, the login and
the hub's token. Each payload's keys are listed under every name the client accepts.
"""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_TOKEN

from ...api.schneider_evce import IDENTITY_FIELDS, STATION_FIRMWARE_FIELDS
from ...const import CONF_FINGERPRINT
from ...contract.diagnostics import DiagnosticsShown, Shown, under
from .model import CONF_CERTIFICATE, CONF_DEVICE_KEYS, CONF_HUB_ID_SOURCE

#: Where a list answer may sit: bare, or wrapped in an object under one of these keys.
_WRAPPED = ("items", "data")


def _listed(name: str, *wrappers: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """``keys`` of the items of list answer ``name``, bare or wrapped."""
    return tuple(
        path
        for prefix in (name, *(f"{name}.{key}" for key in (*wrappers, *_WRAPPED)))
        for path in under(prefix, *keys)
    )


#: The hub's identity answers (fields at the top or one object deep), without the serial.
_PRODUCT = (
    "status",
    "uptime_s",
    "max_stations",
    "max_zones",
    "max_pms",
    "mode",
    "zones",
    *(name for field, names in IDENTITY_FIELDS.items() if field != "serial" for name in names),
)
_STATION = (
    "id",
    "station_id",
    "config.friendly_name",
    "config.name",
    "config.model",
    "config.model_name",
    "evses.id",
    "evses.evse_id",
    "evses.connectors.id",
    "evses.connectors.type",
)
_STATION_FIRMWARE = STATION_FIRMWARE_FIELDS
_STATUS = (
    "station_id",
    "id",
    "ocpp_status",
    "ocpp",
    "status",
    *under(
        "evses",
        "id",
        "evse_id",
        "status",
        "power_w",
        "power",
        "energy_wh",
        "energy",
        "session_energy_wh",
        "session_energy",
        "transaction_id",
        "transactionid",
        "session_start",
        "transaction_start",
        "start_time",
        "started_at",
        "connectors.id",
        "connectors.status",
    ),
)
#: A session record's keys, without its badge.
_TRANSACTION = (
    "id",
    "transaction_id",
    "tx_id",
    "transactionId",
    "session_id",
    "station_id",
    "stationId",
    "station",
    "cs_id",
    "evse_id",
    "evseId",
    "connector_id",
    "connectorId",
    "connector",
    "evse",
    "start_time",
    "start_date",
    "started_at",
    "startTime",
    "start",
    "begin",
    "end_time",
    "stop_time",
    "end_date",
    "stop_date",
    "ended_at",
    "endTime",
    "end",
    "stop_reason",
    "stopReason",
    "reason",
    "end_reason",
    "energy_wh",
    "energy_kwh",
    "consumption_wh",
    "consumption_kwh",
    "energy",
)
_ZONE = (
    "id",
    "zone_id",
    *under("desc", "name", "friendly_name", "max_current_a", "max_current"),
    *under("desc", "max_power_kw", "max_power"),
)
_METER = (
    "id",
    "pm_id",
    *under("desc", "name", "friendly_name", "model", "model_id", "type", "tcp_port"),
)
_METER_MODEL = (
    "id",
    *under("desc", "name", "model_name", "model", "reference", "manufacturer", "brand", "vendor"),
)

DIAGNOSTICS = DiagnosticsShown(
    entry_data=Shown(
        CONF_HOST, CONF_CERTIFICATE, CONF_FINGERPRINT, CONF_HUB_ID_SOURCE, CONF_DEVICE_KEYS
    ),
    entry_credentials=(CONF_TOKEN,),
    devices={
        "hub": Shown(
            under("info", "model", "firmware", "name", "sources"),
            "stations",
            "stations_connected",
            "power_w",
        ),
        "station": Shown(under("station", "id", "name", "model", "connectors"), "status", "zone"),
        "connector": Shown(
            under("station", "id", "name", "model", "connectors"),
            "station_name",
            "connector_id",
            "state",
            "online",
            "session_start",
            under("ongoing", "id", "station_id", "evse_id", "start", "end", "energy_wh"),
            "ongoing.stop_reason",
        ),
        "zone": Shown("zone", "status", "reduction", "stations", "reduction_ends"),
        "power_meter": Shown(
            under("meter", "id", "name", "model_id", "connection"), "values", "model"
        ),
    },
    raw_payloads=Shown(
        under("product_*", *_PRODUCT),
        under("product_*.*", *_PRODUCT),
        under("config_em", *_PRODUCT),
        under("config_em.*", *_PRODUCT),
        _listed("stations", "stations", keys=_STATION),
        _listed("zone_*_stations", "stations", "station_ids", keys=_STATION),
        under("station_*_*", *_STATION_FIRMWARE),
        under("station_*_*.*", *_STATION_FIRMWARE),
        _listed("stations_statuses", "stations", "statuses", keys=_STATUS),
        _listed("transactions_*", "transactions", "ongoing", "ended", keys=_TRANSACTION),
        _listed("zones", "zones", keys=_ZONE),
        under("zone_*", "current_a", "currents_a", "current", "power_w", "power"),
        under("zone_*", "setpoint_a", "setpoint"),
        under("zone_*_reduction", "type", "value", "valid_mode", "duration_s", "duration"),
        _listed("pms", "pms", keys=_METER),
        under("pm_model_*", *_METER_MODEL),
        under("pm_*", "timestamp", "values.name", "values.value", "values.unit"),
        "command_status.status",
        # Which reading of each open point the hub used: the integration's own words.
        "readings",
    ),
)
