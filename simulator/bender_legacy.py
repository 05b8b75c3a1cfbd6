"""Bender CC612/CC613 Legacy REST API: ``/rest/full_state`` and ``/rest/<key>``.

Real firmware answers plain text ``key:value`` lines whatever the client
accepts; ``?format=json`` serves the same values as JSON strings. The
variants play the readings the document leaves open.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from .charging import ChargingCycle, Phase
from .clock import SimClock
from .device import SimDevice

SERIAL = "1703512493/b94060007"
# The state keys per phase of the cycle; the v1 simulator reports the same values.
CONN_STATE = {
    Phase.IDLE: "no_vehicle_connected",
    Phase.CONNECTED: "vehicle_connected_type2",
    Phase.CHARGING: "vehicle_charging_type2",
    Phase.FINISHED: "vehicle_connected_type2",
}
AUTH_STATE = {
    Phase.IDLE: "not_authorized_for_charging",
    Phase.CONNECTED: "wait_for_auth",
    Phase.CHARGING: "authorized_for_charging",
    Phase.FINISHED: "authorized_for_charging",
}
OCPP_STATE = {
    Phase.IDLE: "available",
    Phase.CONNECTED: "preparing",
    Phase.CHARGING: "charging",
    Phase.FINISHED: "finishing",
}
TYPE2_STATE = {Phase.IDLE: "a", Phase.CONNECTED: "b", Phase.CHARGING: "c", Phase.FINISHED: "b"}
CHARGE_POINT_ID = "+4983900000000001"
#: Readings of the document (``variant=``): ``text`` (plain text, like real firmware),
#: ``json`` (a JSON object, numbers as numbers), ``json_nonfinite`` (a JSON object whose
#: encoder wrote ``NaN``/``Infinity`` for values it could not measure), ``basic_auth``
#: (text; a set password is checked as real HTTP Basic authentication, not as headers).
VARIANTS = ("text", "json", "json_nonfinite", "basic_auth")
#: Keys whose values are numbers in the JSON form.
_NUMERIC = frozenset(
    {
        "time_since_charging_start",
        "meter_wh",
        "power_w",
        "transaction_wh",
        "sig_current",
        "energy_man_current",
        "ambient_temp",
        "con_cycles_schuko",
        "con_cycles_type2",
        "max_current",
    }
)

#: What the ``json_nonfinite`` variant sends instead of a measurement.
_NONFINITE = {"power_w": float("nan"), "ambient_temp": float("inf"), "meter_wh": float("-inf")}


def _json_value(key: str, value: str) -> Any:
    """A value as a JSON encoder of the controller would write it: numbers as numbers."""
    if key in _NUMERIC:
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if key in ("current_a", "voltage_v", "rcmb_max_values", "rcmb_current_values"):
        return [float(item) for item in value.split(",")]
    return value


class LegacyDevice(SimDevice):
    """One CC613 controller with a Type 2 socket and an internal meter.

    Options: ``firmware`` (``new`` 5.33, ``old`` 5.22 without ``voltage_v`` and
    ``wlan_state``), ``lang`` (``en`` or ``de``), ``password`` (required in the
    ``Password`` header when set), ``rest`` (``off`` answers 404 like a
    controller whose REST interface is disabled), ``serial``, ``cp_id`` (the
    charge point id; empty for none), ``variant`` (one of ``VARIANTS``).
    """

    kind = "bender_legacy"

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        firmware: str = "new",
        lang: str = "en",
        password: str | None = None,
        rest_enabled: bool = True,
        serial: str = SERIAL,
        charge_point_id: str = CHARGE_POINT_ID,
        variant: str = "text",
        meter_cfg: str = "internal_meter",
        phases: int = 3,
    ) -> None:
        """Set up the controller's identity and its charging cycle.

        ``meter_cfg`` is the ``ocpp_meter_cfg`` it reports (a real 5.33.9 reports
        ``modbus_meter_nzr_ecocount_s85_or_sl85``, not in the document's list);
        ``phases=1`` plays a single-phase installation (``current_a`` with one value).
        """
        super().__init__(clock)
        if variant not in VARIANTS:
            raise ValueError(f"unknown legacy variant {variant!r}; one of {VARIANTS}")
        self.variant = variant
        self.charge_point_id = charge_point_id
        self.firmware = firmware
        self.lang = lang
        self.password = password
        self.rest_enabled = rest_enabled
        self.serial = serial
        self.meter_cfg = meter_cfg
        self.phases = phases
        self.cycle = ChargingCycle(max_power_w=11000.0 if phases == 3 else 3680.0, phases=phases)
        self.errors: list[str] = []

    @classmethod
    def from_options(cls, clock: SimClock, options: dict[str, str]) -> LegacyDevice:
        """Build from ``firmware=old,lang=de,password=...,rest=off,serial=...``."""
        options = dict(options)
        device = cls(
            clock,
            firmware=options.pop("firmware", "new"),
            lang=options.pop("lang", "en"),
            password=options.pop("password", None),
            rest_enabled=options.pop("rest", "on") != "off",
            serial=options.pop("serial", SERIAL),
            charge_point_id=options.pop("cp_id", CHARGE_POINT_ID),
            variant=options.pop("variant", "text"),
        )
        if options:
            raise ValueError(f"unknown legacy options {sorted(options)}")
        return device

    def full_state(self) -> dict[str, str]:
        """Every key as the controller sends it, values as text."""
        reading = self.cycle.reading(self.clock.now())
        phase = reading.phase
        charging = phase is Phase.CHARGING
        plugged = phase is not Phase.IDLE
        if self.errors:
            errors = ";;".join(self.errors)
        else:
            errors = "keine_fehler" if self.lang == "de" else "no_errors"
        state: dict[str, str] = {
            "conn_state": CONN_STATE[phase],
            "auth_state": AUTH_STATE[phase],
            "auth_uid": "046e453af012ca3" if plugged else "",
            "time_since_charging_start": str(int(reading.session_s)) if plugged else "0",
            "meter_wh": str(int(reading.meter_wh)),
            "power_w": str(int(reading.power_w)),
            "transaction_wh": str(int(reading.session_wh)),
            "display_text": "",
            "cp_id": self.charge_point_id,
            "ocpp_state": OCPP_STATE[phase],
            "type2_state": TYPE2_STATE[phase],
            "type2_proximity": "32" if plugged else "no_cable",
            "sig_current": "16" if charging else "0",
            "schuko_state": "idle",
            "backend_conn_state": "connected",
            "free_charging": "off",
            "slave_state": "",
            "ocpp_meter_cfg": self.meter_cfg,
            "ocpp_meter_serial": "65465484ds",
            "current_a": ",".join(f"{value:.2f}" for value in reading.currents_a[: self.phases]),
            "energy_man_current": "16",
            "ambient_temp": f"{23.5 + (reading.power_w / 11000.0) * 4:+.2f}",
            "firmware_ver": "5.33.5-20112" if self.firmware == "new" else "5.22.1-13295",
            "cc_serial_n": self.serial,
            "manuf_serial_n": self.serial.split("/")[0],
            "con_cycles_schuko": "0",
            "con_cycles_type2": str(1450 + reading.session_number),
            "max_current": "16",
            "rcmb_state": "okay",
            "rcmb_max_values": "0.0, 0.0",
            "rcmb_current_values": "0.0, 0.0",
            "cable_attached": "on" if plugged else "off",
            "schuko_cfg": "disable",
            "rcd_state": "okay",
            "mcb_type2_state": "okay",
            "mcb_schuko_state": "disable",
            "cp_vendor": "Bender GmbH Co. KG",
            "errors": errors,
            "cp_model": "CC613_2M3PR",
        }
        if self.firmware == "new":
            state["voltage_v"] = ",".join(f"{value:.0f}" for value in reading.voltages_v)
            state["wlan_state"] = "wlan_connected"
        return state

    def add_routes(self, app: web.Application) -> None:
        """``/rest/full_state`` and ``/rest/<key>``."""
        app.router.add_get("/rest/full_state", self._full_state)
        app.router.add_get("/rest/{key}", self._one_key)

    def _authorized(self, request: web.Request) -> bool:
        if self.password is None:
            return True
        if self.variant != "basic_auth":
            return request.headers.get("Password") == self.password
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return False
        _user, _, password = decoded.partition(":")
        return password == self.password

    def _refusal(self, request: web.Request) -> web.Response | None:
        if not self.rest_enabled:
            return web.Response(status=404, text="Not Found")
        if not self._authorized(request):
            return web.Response(status=401, text="Unauthorized")
        return None

    def _render(self, request: web.Request, values: dict[str, str]) -> web.Response:
        if request.query.get("format") == "json":
            return web.Response(text=json.dumps(values), content_type="application/json")
        if self.variant in ("json", "json_nonfinite"):
            typed = {key: _json_value(key, value) for key, value in values.items()}
            if self.variant == "json_nonfinite":
                # Python's encoder writes what it cannot represent in JSON as NaN/Infinity.
                for key, value in _NONFINITE.items():
                    if key in typed:
                        typed[key] = value
            return web.Response(text=json.dumps(typed), content_type="application/json")
        text = "".join(f"{key}:{value}\n" for key, value in values.items())
        return web.Response(text=text, content_type="text/plain")

    async def _full_state(self, request: web.Request) -> web.Response:
        # A Response is an (empty) mapping, hence falsy: compare with None.
        refusal = self._refusal(request)
        return refusal if refusal is not None else self._render(request, self.full_state())

    async def _one_key(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        key = request.match_info["key"]
        state = self.full_state()
        if key not in state:
            return web.Response(status=404, text="Not Found")
        return self._render(request, {key: state[key]})

    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Set the active ``errors``, or ``configure`` firmware, lang, rest, password."""
        if action == "errors":
            self.errors = [str(item) for item in params.get("errors", [])]
        elif action == "configure":
            self.firmware = params.get("firmware", self.firmware)
            self.lang = params.get("lang", self.lang)
            self.rest_enabled = params.get("rest", "on" if self.rest_enabled else "off") != "off"
            self.password = params.get("password", self.password)
        else:
            raise KeyError(action)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        """The current full state and settings."""
        return {
            "kind": self.kind,
            "variant": self.variant,
            "firmware": self.firmware,
            "lang": self.lang,
            "state": self.full_state(),
        }
