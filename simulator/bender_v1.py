"""Bender / ebee Charge Controller REST API v1 (firmware 5.33 ``/v1``, 5.32 unprefixed).

Login as documented: ``GET login`` hands out a one-time token, which dies when
it is used or when a newer one is requested; ``POST login`` checks
``sha256(password + token)`` and starts the one session of this user, which
ends after 60 simulated seconds without calls, on logout, or when the
``web_login`` control action "logs in from the web UI".
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
import hashlib
import math
from typing import Any
import uuid

from aiohttp import web

from .bender_legacy import AUTH_STATE, CONN_STATE, OCPP_STATE, TYPE2_STATE
from .bender_v1_controls import (
    CURRENT_LIMIT_KEY,
    VARIANTS as CONTROL_VARIANTS,
    V1Settings,
    V1Whitelist,
)
from .charging import ChargingCycle, Phase
from .clock import SimClock
from .device import SimDevice

SERIAL = "1803000042"
CHARGE_BOX_SERIAL = "1803000042/b94060042"
DEFAULT_USERNAME = "operator"
DEFAULT_PASSWORD = "yellow_zone"
DEFAULT_TAG_ID = "04a1b2c3d4e5f6"
#: The card that starts every session (``session_tag`` sets another).
SESSION_TAG = "046e453af012ca3"
#: A fixed instant a test may give as simulated time 0 (``epoch``), to match Home Assistant's
#: frozen clock with the controller's; by default simulated time 0 is when the device is made.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SESSION_TIMEOUT_S = 60.0
PAIRING_WINDOW_S = 60.0
#: Completed transactions already in the controller's database when it starts
#: (the document's sample; its units are the summary's, whichever they are).
SUMMARY_BASE = {"transactionCount": 12, "totalDuration": 2375, "totalConsumption": 148}
CHARGE_POINT_ID = "+4983900000000042"
SESSION_COOKIE = "SESSIONID"

#: The readings the documents leave open (``variant=``), each as the knobs it turns:
#: where the login puts the session id (``session``: ``session.id``, ``sessionId`` at the
#: top level, ``session.session_id``, a bare string ``session``, or only a ``cookie``);
#: how ``ChargePointInfo`` spells the serial (``serial_key``); the summary's units
#: (``summary``: ``kwh_min`` or ``wh_s``); the method that enables pairing (``pairing``,
#: the other answering 405); whether paths carry ``/v1`` (``prefixed``).
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "session_top_level": {"session": "sessionId"},
    "session_nested_snake": {"session": "session.session_id"},
    "session_string": {"session": "string"},
    "session_cookie": {"session": "cookie"},
    "serial_lower_case": {"serial_key": "chargepointserialnumber"},
    "serial_charge_box": {"serial_key": "chargeBoxSerialNumber"},
    "serial_other_name": {"serial_key": "SerialNo"},
    "summary_wh_s": {"summary": "wh_s"},
    "pairing_put": {"pairing": "PUT"},
    "unprefixed": {"prefixed": False},
    # The whitelist's readings (bender_v1_controls).
    **{name: {} for name in sorted(CONTROL_VARIANTS)},
}
DEFAULT_VARIANT = "default"
#: Where a controller may state its serial (``serial_at``).
SERIAL_PLACES = ("info", "settings", "none")

_SYSTEM_STATE = {
    Phase.IDLE: "idle",
    Phase.CONNECTED: "connected",
    Phase.CHARGING: "charging",
    Phase.FINISHED: "finished",
}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class BenderV1Device(SimDevice):
    """One CC613 controller speaking REST API v1, with a Type 2 socket and a meter.

    Options: ``username``, ``password``, ``prefix`` (``v1`` or ``none`` for
    firmware 5.32), ``rest`` (``off`` answers 404 everywhere), ``serial``,
    ``tag`` (id read in pairing mode; ``none`` for no tag), ``tag_type``,
    ``tag_delay`` (s after pairing starts), ``offset`` (s into the charging cycle),
    ``cp_id`` (charge point id in the settings; empty for none), ``variant`` (a
    key of ``VARIANTS``: a reading of what the document leaves open; ``prefix=none``
    is the ``unprefixed`` variant's knob), ``clock_skew`` (s the controller's clock
    runs ahead, negative: behind).

    Its clock shows the real time (``epoch`` is the moment of simulated time 0, by default
    when the device is made) plus ``clock_skew_s``: a controller whose clock was never set.
    """

    kind = "bender_v1"

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        prefixed: bool = True,
        rest_enabled: bool = True,
        serial: str = SERIAL,
        tag_id: str | None = DEFAULT_TAG_ID,
        tag_type: str = "RFID",
        tag_delay_s: float = 5.0,
        offset_s: float = 0.0,
        charge_point_id: str = CHARGE_POINT_ID,
        variant: str = DEFAULT_VARIANT,
        serial_at: str = "info",
        epoch: datetime | None = None,
        clock_skew_s: float = 0.0,
    ) -> None:
        """Set up the controller's identity, its credentials and its charging cycle."""
        super().__init__(clock)
        self.epoch = epoch or datetime.now(UTC) - timedelta(seconds=self.clock.now())
        self.clock_skew_s = clock_skew_s
        if variant not in VARIANTS:
            raise ValueError(f"unknown bender_v1 variant {variant!r}; known: {sorted(VARIANTS)}")
        knobs = VARIANTS[variant]
        self.variant = variant
        self.whitelist = V1Whitelist(self._refusal, variant)
        self.settings = V1Settings(self._refusal, variant, serial)
        self.session_at: str = knobs.get("session", "session.id")
        self.serial_key: str = knobs.get("serial_key", "chargePointSerialNumber")
        self.summary_units: str = knobs.get("summary", "kwh_min")
        self.pairing_method: str = knobs.get("pairing", "POST")
        self.charge_point_id = charge_point_id
        if serial_at not in SERIAL_PLACES:
            raise ValueError(f"serial_at must be one of {SERIAL_PLACES}")
        #: Where the controller states its serial: ``info`` (``ChargePointInfo``, as the
        #: variant spells it, and the ``SerialNumber_hw`` parameter), ``settings`` (only that
        #: parameter) or ``none`` (nowhere).
        self.serial_at = serial_at
        if serial_at == "none":
            del self.settings.parameters["SerialNumber_hw"]
        if charge_point_id:
            self.settings.parameters["ChargeBoxIdentity_ocpp"] = {
                "value": charge_point_id,
                "type": "string",
                "rw": "rw",
                "short": "Charge box identity (OCPP charge point id)",
            }
        self.username = username
        self.password = password
        self.prefixed = prefixed and knobs.get("prefixed", True)
        self.rest_enabled = rest_enabled
        self.serial = serial
        self.tag_id = tag_id
        self.tag_type = tag_type
        self.tag_delay_s = tag_delay_s
        #: The card the sessions (running and completed) report.
        self.session_tag = SESSION_TAG
        self.cycle = ChargingCycle(max_power_w=11000.0, offset_s=offset_s)
        self.settings.on_change = self._setting_changed
        #: Active logging messages: ``{"type": "error"|"warning", "message": ...}``.
        self.messages: list[dict[str, str]] = []
        self.tokens_issued = 0
        self.logins = 0
        self.refused_logins = 0
        self.web_logins = 0
        self._token: str | None = None
        #: Hand the next token out already superseded, as if the web UI asked for one right after.
        self._token_race = False
        self._session_id: str | None = None
        self._last_call = 0.0
        self._pairing_started: float | None = None
        self._pairing_tag: dict[str, str] | None = None

    @classmethod
    def from_options(cls, clock: SimClock, options: dict[str, str]) -> BenderV1Device:
        """Build from ``username=...,password=...,prefix=none,rest=off,tag=...,...``."""
        options = dict(options)
        tag = options.pop("tag", DEFAULT_TAG_ID)
        device = cls(
            clock,
            username=options.pop("username", DEFAULT_USERNAME),
            password=options.pop("password", DEFAULT_PASSWORD),
            prefixed=options.pop("prefix", "v1") != "none",
            rest_enabled=options.pop("rest", "on") != "off",
            serial=options.pop("serial", SERIAL),
            tag_id=None if tag == "none" else tag,
            tag_type=options.pop("tag_type", "RFID"),
            tag_delay_s=float(options.pop("tag_delay", "5")),
            offset_s=float(options.pop("offset", "0")),
            charge_point_id=options.pop("cp_id", CHARGE_POINT_ID),
            variant=options.pop("variant", DEFAULT_VARIANT),
            serial_at=options.pop("serial_at", "info"),
            clock_skew_s=float(options.pop("clock_skew", "0")),
        )
        if options:
            raise ValueError(f"unknown bender_v1 options {sorted(options)}")
        return device

    def _setting_changed(self, key: str, value: Any) -> None:
        """The operator current limit caps the charging power (at three phases)."""
        if key == CURRENT_LIMIT_KEY and isinstance(value, int | float):
            cycle = self.cycle
            cycle.set_cap(value * cycle.voltage_v * cycle.phases, self.clock.now())

    def device_time(self, seconds: float) -> datetime:
        """Simulated second ``seconds`` as the controller's clock shows it."""
        return self.epoch + timedelta(seconds=seconds + self.clock_skew_s)

    def _stamp(self, seconds: float) -> str:
        return _iso(self.device_time(seconds))

    @property
    def session_active(self) -> bool:
        """Whether an API session exists and has not timed out."""
        return (
            self._session_id is not None and self.clock.now() - self._last_call <= SESSION_TIMEOUT_S
        )

    # State the API reports

    def system_state(self) -> dict[str, Any]:
        """The ``system_state`` body at the current simulated time."""
        now = self.clock.now()
        reading = self.cycle.reading(now)
        phase = reading.phase
        has_error = any(item.get("type") == "error" for item in self.messages)
        state: dict[str, Any] = {
            "systemState": "error" if has_error else _SYSTEM_STATE[phase],
            "connectionState": CONN_STATE[phase],
            "authState": AUTH_STATE[phase],
            "ocppState": OCPP_STATE[phase],
            "type2State": TYPE2_STATE[phase],
            "ambientTemp": round(23.5 + (reading.power_w / 11000.0) * 4, 1),
        }
        if phase in (Phase.CHARGING, Phase.FINISHED):
            charging_s = reading.session_s - self.cycle.times.connected
            state["transaction"] = {
                "id": reading.session_number,
                "startTime": self._stamp(now - charging_s),
                "duration": int(charging_s),
                "energy": round(reading.session_wh),
                "power": round(reading.power_w),
                "idTag": self.session_tag,
            }
        return state

    def completed_transactions(self) -> int:
        """How many transactions the cycle completed (each ends when the car is unplugged)."""
        cycle = self.cycle
        return math.floor(max(0.0, self.clock.now() + cycle.offset_s) / cycle.times.period)

    def transaction_summary(self) -> dict[str, Any]:
        """Base database plus every completed transaction, in the variant's units (rounded)."""
        cycle = self.cycle
        completed = self.completed_transactions()
        end_of_last = cycle.reading(completed * cycle.times.period - cycle.offset_s)
        energy_wh = end_of_last.meter_wh - cycle.meter_start_wh
        duration_s = completed * (cycle.times.charging + cycle.times.finished)
        if self.summary_units == "wh_s":
            energy, duration = energy_wh, duration_s
        else:
            energy, duration = energy_wh / 1000.0, duration_s / 60.0
        return {
            "transactionCount": SUMMARY_BASE["transactionCount"] + completed,
            "totalDuration": SUMMARY_BASE["totalDuration"] + round(duration),
            "totalConsumption": SUMMARY_BASE["totalConsumption"] + round(energy),
        }

    def completed_transaction_records(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every transaction the cycle completed that started within [start, end).

        A transaction runs from the start of charging until the car is unplugged, with
        the energy ``system_state`` last reported for it.
        """
        cycle = self.cycle
        times = cycle.times
        found = []
        for number in range(1, self.completed_transactions() + 1):
            cycle_start = (number - 1) * times.period - cycle.offset_s
            started = cycle_start + times.idle + times.connected
            finished = cycle.reading(started + times.charging + 1.0)
            begin = self.device_time(started)
            if (start is not None and begin < start) or (end is not None and begin >= end):
                continue
            found.append(
                {
                    "id": number,
                    "startTime": self._stamp(started),
                    "endTime": self._stamp(cycle_start + times.period),
                    "duration": int(times.charging + times.finished),
                    "energy": round(finished.session_wh),
                    "idTag": self.session_tag,
                    "stopReason": "EVDisconnected",
                }
            )
        return found

    def charge_point_info(self) -> dict[str, str]:
        """The OCPP BootNotification identity; the serial is spelt as the variant says."""
        info = {
            "chargePointVendor": "Bender GmbH Co. KG",
            "chargePointModel": "CC613_2M3PR",
            "chargePointSerialNumber": self.serial,
            "chargeBoxSerialNumber": f"{self.serial}/b94060042",
            "firmwareVersion": "5.33.5-20112" if self.prefixed else "5.32.1-19870",
        }
        if self.serial_at != "info":
            del info["chargePointSerialNumber"], info["chargeBoxSerialNumber"]
        elif self.serial_key == "chargeBoxSerialNumber":
            del info["chargePointSerialNumber"]
        elif self.serial_key != "chargePointSerialNumber":
            del info["chargePointSerialNumber"], info["chargeBoxSerialNumber"]
            info[self.serial_key] = self.serial
        return info

    def _pairing_update(self) -> None:
        """Read the tag once its delay has passed while the 60 s window is open."""
        started = self._pairing_started
        if started is None:
            return
        elapsed = self.clock.now() - started
        if self.tag_id is not None and self.tag_delay_s <= min(elapsed, PAIRING_WINDOW_S):
            self._pairing_tag = {"id": self.tag_id, "tagType": self.tag_type}
            self._pairing_started = None
        elif elapsed > PAIRING_WINDOW_S:
            self._pairing_started = None

    # Routes

    def add_routes(self, app: web.Application) -> None:
        """Every route under ``/v1``, or unprefixed like firmware 5.32."""
        prefix = "/v1" if self.prefixed else ""
        app.router.add_get(f"{prefix}/login", self._get_token)
        app.router.add_post(f"{prefix}/login", self._post_login)
        app.router.add_post(f"{prefix}/logout", self._logout)
        app.router.add_get(f"{prefix}/system_state", self._system_state)
        app.router.add_get(f"{prefix}/logging", self._logging)
        app.router.add_get(f"{prefix}/transactions/summary", self._summary)
        app.router.add_get(f"{prefix}/transactions", self._completed)

        app.router.add_get(f"{prefix}/transactions/active", self._active)
        app.router.add_get(f"{prefix}/settings", self._settings)
        app.router.add_route(
            self.pairing_method, f"{prefix}/whitelist/pairing", self._start_pairing
        )
        app.router.add_get(f"{prefix}/whitelist/pairing", self._pairing_result)
        self.whitelist.add_routes(app, prefix)
        self.settings.add_routes(app, prefix)

    @staticmethod
    def _not_found() -> web.Response:
        return web.Response(status=404, text="Not Found")

    def _refusal(self, request: web.Request) -> web.Response | None:
        """404 when REST is off, 401 without a live session; a call keeps the session alive.

        Compare the result with None: an aiohttp response is a mapping, falsy when empty.
        """
        if not self.rest_enabled:
            return self._not_found()
        given = request.headers.get("Authorization")
        if self.session_at == "cookie" and given is None:
            given = request.cookies.get(SESSION_COOKIE)
        if not self.session_active or given != self._session_id:
            return web.json_response(
                {"logged_in": False, "message": "Not logged in", "code": 1002}, status=401
            )
        self._last_call = self.clock.now()
        return None

    async def _get_token(self, request: web.Request) -> web.Response:
        if not self.rest_enabled:
            return self._not_found()
        self.tokens_issued += 1
        seed = f"{self.serial}:token:{self.tokens_issued}".encode()
        token = base64.b64encode(hashlib.sha256(seed).digest()).decode()[:32]
        self._token = None if self._token_race else token
        self._token_race = False
        return web.json_response({"token": token})

    async def _post_login(self, request: web.Request) -> web.Response:
        if not self.rest_enabled:
            return self._not_found()
        token, self._token = self._token, None
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"logged_in": False, "message": "Bad request"}, status=400)
        expected = hashlib.sha256((self.password + token).encode()).hexdigest() if token else None
        if (
            body.get("username") != self.username
            or expected is None
            or (body.get("password") != expected)
        ):
            self.refused_logins += 1
            return web.json_response(
                {"logged_in": False, "message": "Login failed", "code": 1001}, status=401
            )
        self.logins += 1
        seed = f"{self.serial}:session:{self.logins}".encode()
        self._session_id = str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16]))
        self._last_call = self.clock.now()
        session: dict[str, Any] = {"user": self.username, "timeout": 60}
        body: dict[str, Any] = {"logged_in": True, "session": session}
        if self.session_at == "session.id":
            session["id"] = self._session_id
        elif self.session_at == "session.session_id":
            session["session_id"] = self._session_id
        elif self.session_at == "sessionId":
            body["sessionId"] = self._session_id
        elif self.session_at == "string":
            body["session"] = self._session_id
        response = web.json_response(body)
        if self.session_at == "cookie":
            response.set_cookie(SESSION_COOKIE, self._session_id, httponly=True)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        self._session_id = None
        return web.json_response({"logged_in": False, "message": "Logged out", "code": 1000})

    async def _system_state(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return web.json_response(self.system_state())

    async def _logging(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return web.json_response({"messages": self.messages})

    async def _summary(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return web.json_response(self.transaction_summary())

    async def _completed(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        bounds = []
        for key in ("from", "to"):
            value = request.query.get(key)
            bounds.append(None if value is None else datetime.fromisoformat(value))
        return web.json_response(self.completed_transaction_records(*bounds))

    async def _active(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        return web.json_response({"success": "transaction" in self.system_state()})

    async def _settings(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        wanted = [key for key in request.query.get("params", "").split(",") if key]
        result, groups = self.settings.result(wanted)
        return web.json_response(
            {
                "name": "settings",
                "result": result,
                "groups": groups,
                "ChargePointInfo": self.charge_point_info(),
            }
        )

    async def _start_pairing(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        if self.system_state()["systemState"] != "idle":
            return web.json_response({"success": False, "cause": "controller not idle"})
        self._pairing_started = self.clock.now()
        self._pairing_tag = None
        return web.json_response({"success": True})

    async def _pairing_result(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        self._pairing_update()
        if self._pairing_tag is None:
            return web.json_response({"success": False, "cause": "no token read"})
        return web.json_response(self._pairing_tag)

    # Control API

    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a knob: ``web_login``, ``token_race``, ``messages``, ``configure``, ``whitelist``.

        ``web_login`` ends the API session like a login from the web UI;
        ``token_race`` supersedes the next token as soon as it is handed out;
        ``messages`` sets the logging messages; ``configure`` changes
        ``username``, ``password``, ``rest``, ``tag``, ``tag_type``, ``tag_delay``;
        ``whitelist`` replaces the whitelist with ``tags``; ``clock`` sets the clock's
        ``skew`` (s ahead of the real time, negative: behind; 0 sets it right).
        """
        if action == "whitelist":
            self.whitelist.seed(list(params.get("tags", [])))
        elif action == "token_race":
            self._token_race = True
        elif action == "web_login":
            self.web_logins += 1
            self._session_id = None
        elif action == "messages":
            self.messages = [
                {
                    "type": str(item.get("type", "error")),
                    "message": str(item.get("message", "")),
                    "timestamp": self._stamp(self.clock.now()),
                }
                for item in params.get("messages", [])
            ]
        elif action == "clock":
            self.clock_skew_s = float(params.get("skew", 0.0))
        elif action == "configure":
            self.username = str(params.get("username", self.username))
            self.password = str(params.get("password", self.password))
            self.rest_enabled = params.get("rest", "on" if self.rest_enabled else "off") != "off"
            if "tag" in params:
                self.tag_id = None if params["tag"] in (None, "none") else str(params["tag"])
            self.tag_type = str(params.get("tag_type", self.tag_type))
            self.tag_delay_s = float(params.get("tag_delay", self.tag_delay_s))
        else:
            raise KeyError(action)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        """Sessions, pairing and the current state (no secrets, no tag ids)."""
        self._pairing_update()
        return {
            "kind": self.kind,
            "variant": self.variant,
            "serial": self.serial,
            "prefix": "/v1" if self.prefixed else "",
            "tokens_issued": self.tokens_issued,
            "logins": self.logins,
            "refused_logins": self.refused_logins,
            "web_logins": self.web_logins,
            "session_active": self.session_active,
            "pairing_active": self._pairing_started is not None,
            "tag_read": self._pairing_tag is not None,
            "state": self.system_state(),
            "clock_skew_s": self.clock_skew_s,
            "messages": self.messages,
            **self.whitelist.describe(),
            **self.settings.describe(),
        }
