"""What diagnostics show of a v1 controller: states, readings, firmware, how it was read.

Not shown: the tag of a running transaction, the serial numbers, the login's session
id; setting values and whitelist entries are never kept for diagnostics at all.
"""

from __future__ import annotations

from homeassistant.const import CONF_HOST

from ...contract.diagnostics import DiagnosticsShown, Shown, under
from .clock import CONF_CLOCK_OFFSET_S
from .config import CONF_LIFETIME_WH, CONF_SUMMARY_UNITS

#: ``ChargePointInfo`` keys besides the serials: who made it, what runs on it, its OCPP id.
_CHARGE_POINT_INFO = (
    "chargePointVendor",
    "chargePointModel",
    "firmwareVersion",
    "chargePointId",
    "chargeBoxIdentity",
    "chargePointIdentity",
    "ocppChargePointId",
    "ocppChargeBoxIdentity",
)
#: A transaction's keys as the readings accept them, without its tag.
_TRANSACTION = (
    "id",
    "transactionId",
    "transaction_id",
    "startTime",
    "start",
    "started",
    "start_time",
    "duration",
    "durationS",
    "duration_s",
    "energy",
    "energyWh",
    "consumption",
    "power",
    "powerW",
    "currentPower",
)
_SYSTEM_STATE = (
    "systemState",
    "system_state",
    "connectionState",
    "conn_state",
    "authState",
    "auth_state",
    "ocppState",
    "ocpp_state",
    "type2State",
    "type2_state",
    "ambientTemp",
    "ambient_temp",
)

DIAGNOSTICS = DiagnosticsShown(
    entry_data=Shown(CONF_HOST, CONF_SUMMARY_UNITS, CONF_LIFETIME_WH, CONF_CLOCK_OFFSET_S),
    devices={
        "controller": Shown(
            under("info", "vendor", "model", "serial_key", "firmware", "charge_point_id"),
            "info.identity_source",
            under(
                "state",
                "system",
                "connection",
                "authorization",
                "ocpp",
                "type2",
                "ambient_temperature_c",
            ),
            under("state.transaction", "id", "started", "duration_s", "energy_wh", "power_w"),
            "log",
            "summary",
            "units",
            "running",
            "total_energy_wh",
            under("current_limit", "key", "value", "meta"),
        )
    },
    raw_payloads=Shown(
        under("settings.ChargePointInfo", *_CHARGE_POINT_INFO),
        under("system_state", *_SYSTEM_STATE),
        under("system_state.transaction", *_TRANSACTION),
        under("logging.messages", "type", "level", "severity", "message", "text"),
        under("logging.messages", "timestamp", "time"),
        under("transactions_summary", "transactionCount", "totalDuration", "totalConsumption"),
        under("transactions_active", "success", "active"),
        # How the client read what the documents leave open: the integration's own words.
        "client",
        # The controller's clock as measured against the poll times (offsets, no data).
        "clock",
        "whitelist_readings",
        "settings_readings",
    ),
)
