"""What diagnostics show of a Legacy controller: its readings and states, no UID or serial."""

from __future__ import annotations

from homeassistant.const import CONF_HOST

from ...contract.diagnostics import DiagnosticsShown, Shown, under
from .config import CONF_AUTH_SCHEME

#: ``full_state`` keys whose values are listed states (an unlisted one is kept as sent).
STATE_KEYS = (
    "conn_state",
    "auth_state",
    "ocpp_state",
    "slave_state",
    "type2_state",
    "type2_proximity",
    "schuko_state",
    "backend_conn_state",
    "rcmb_state",
    "rcd_state",
    "mcb_type2_state",
    "mcb_schuko_state",
    "ocpp_meter_cfg",
)
#: Readings, states and identity of ``full_state``; not the card UID (``auth_uid``), the
#: serial numbers (``cc_serial_n``, ``manuf_serial_n``, ``ocpp_meter_serial``).
FULL_STATE_KEYS = (
    *STATE_KEYS,
    "time_since_charging_start",
    "meter_wh",
    "power_w",
    "transaction_wh",
    "display_text",
    "cp_id",
    "sig_current",
    "free_charging",
    "current_a",
    "energy_man_current",
    "ambient_temp",
    "firmware_ver",
    "con_cycles_schuko",
    "con_cycles_type2",
    "max_current",
    "rcmb_max_values",
    "rcmb_max",
    "rcmb_current_values",
    "rcmb_values",
    "cable_attached",
    "schuko_cfg",
    "cp_vendor",
    "errors",
    "cp_model",
    "voltage_v",
    "wlan_state",
)

DIAGNOSTICS = DiagnosticsShown(
    entry_data=Shown(CONF_HOST, CONF_AUTH_SCHEME),
    devices={
        "controller": Shown(
            # Which keys the controller sent at all (their names, not their values).
            "present",
            "vendor",
            "model",
            "firmware",
            "charge_point_id",
            "connection_state",
            "authorization_state",
            "ocpp_state",
            "slave_state",
            "type2_state",
            "type2_proximity",
            "schuko_state",
            "backend_connection_state",
            "rcmb_state",
            "rcd_state",
            "mcb_type2_state",
            "mcb_schuko_state",
            "charging_duration_s",
            "meter_wh",
            "power_w",
            "transaction_wh",
            "signaled_current_a",
            "energy_management_current_a",
            "max_current_a",
            "ambient_temperature_c",
            "currents_a",
            "voltages_v",
            "rcmb_max_ma",
            "rcmb_current_ma",
            "connection_cycles_schuko",
            "connection_cycles_type2",
            "free_charging",
            "cable_attached",
            "schuko_enabled",
            "wlan_connected",
            "meter_configuration",
            "errors",
            under("unlisted", *STATE_KEYS),
        )
    },
    raw_payloads=Shown(
        under("/rest/full_state", *FULL_STATE_KEYS),
        "client.auth_scheme",
        under("readings.controller", "auth_scheme", "phases_sent", "name_source"),
        under("readings.controller.unlisted_values", *STATE_KEYS),
    ),
)
