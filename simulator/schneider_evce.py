"""Schneider EcoStruxure EV Charging Expert hub: REST API v2 over HTTPS with JWTs.

The hub generates a self-signed certificate and a JWT secret at start, so a
restart (``reboot`` action) invalidates every token. Tokens expire after
``token_validity`` seconds and are revoked after ``idle_timeout`` seconds
without requests, both in simulated time; a user has one connection at a time
(a new login revokes the previous token). A user without the API permission
gets 403 at login (the document's status table).

Where the document is silent the hub plays one reading per variant knob
(``docs/vendor-assumptions.md``, ## Schneider EVCE):

- ``identity``: ``status`` (default: ``product_status`` carries the serial and
  firmware, ``product_caps`` the model; no ``product_infos``), ``infos`` (an
  undocumented ``/maintenance/product_infos`` tells everything, the documented
  answers nothing), ``none`` (no answer carries a serial);
- ``maintenance_auth``: ``token`` (default: maintenance endpoints need the
  token, as every documented endpoint) or ``open``;
- ``pm_units``: ``kilo`` (default: kW and kWh), ``base`` (W and Wh), ``none``
  (values without a ``unit`` field);
- ``zone_stations``: ``objects`` (default: station objects) or ``ids``;
- ``pm_models``: ``served`` (default) or ``missing`` (``/pms/models/{id}`` 404);
- ``stations_path``: ``slash`` (default: the PDF's ``/stations/``) or ``strict``
  (only ``/stations``, as the router of a hub of API 3.0.0);
- ``transactions``: the hub's own session records (``/transactions/ongoing|ended``,
  also per station) under ``snake`` names (default: ``id``, ``station_id``,
  ``evse_id``, ``start_time``, ``end_time``, ``energy_wh``, ``id_tag``,
  ``stop_reason``), ``alternate`` names (wrapped in ``{"transactions": [...]}``:
  ``transaction_id``, ``station``, ``connector_id``, ``start_date``, ``stop_date``,
  ``energy_kwh``, ``badge``, ``reason``), or ``missing`` (404);
- ``station_firmware``: ``endpoint`` (default: ``GET /stations/{id}/firmware`` answers
  ``{"version": ...}``), ``properties`` (only ``GET /stations/{id}``, with
  ``firmware_version`` in its ``config``) or ``missing`` (neither);
- ``reduction``: ``as_set`` (default: a temporary reduction's ``duration_s`` is the
  duration as set), ``remaining`` (the seconds left) or ``bare`` (only ``value``: no
  ``type``, ``valid_mode`` nor ``duration_s``).

A zone shares its set-point (its maximum less the reduction) equally among the sessions on
its connected stations, as the hub's energy management does; a share below 6 A pauses them
(IEC 61851). A zone whose ``follows`` is False lets its stations draw what they want.

Each session a car starts on its own carries one of ``SESSION_CARDS`` as its ``id_tag``;
one started by ``remote_start`` carries the ``id_tag`` the command gave.

A user may be ``locked`` (403 at login, as the hub's OpenAPI words it: blocked after
too many invalid attempts), which also the right password does not undo.

Any single path can also fail on its own (``faults.paths``: 404, 405, 5xx, timeout,
reset), for the optional endpoints a real hub may not answer.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import ssl
import tempfile
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .charging import ChargingCycle, CycleTimes, Phase
from .clock import SimClock
from .device import SimDevice

API = "/api/v2"
SERIAL = "3N2412345678"
LOGIN = "ebms_user"
PASSWORD = "Evce-Passw0rd!"
VOLTAGE = 230.0
#: The least current a car charges at (IEC 61851): a smaller share of a zone pauses it.
MINIMUM_CHARGING_A = 6.0

_PHASE_STATUS = {
    Phase.IDLE: "available",
    Phase.CONNECTED: "preparing",
    Phase.CHARGING: "charging",
    Phase.FINISHED: "finishing",
}
COMMAND_MODES = ("accept", "reject", "never", "timeout")
#: Variant knobs and their readings, the default first.
VARIANTS: dict[str, tuple[str, ...]] = {
    "identity": ("status", "infos", "none"),
    "maintenance_auth": ("token", "open"),
    "pm_units": ("kilo", "base", "none"),
    "zone_stations": ("objects", "ids"),
    "pm_models": ("served", "missing"),
    "stations_path": ("slash", "strict"),
    "transactions": ("snake", "alternate", "missing"),
    "station_firmware": ("endpoint", "properties", "missing"),
    "reduction": ("as_set", "remaining", "bare"),
}
#: The firmware every simulated station runs.
STATION_FIRMWARE = "3.4.2.17"
#: How many ended sessions per EVSE the hub keeps in its records.
ENDED_KEPT = 5
#: The badges of the simulated drivers: each session a car starts on its own carries one.
SESSION_CARDS = ("04E1A2B3C4D5E6", "04B7C8D9E0F1A2", "0433445566778A")
PM_MODEL_ID = 234
PM_MODEL_NAME = "PM5560"


def parse_variant(variant: str | dict[str, str] | None) -> dict[str, str]:
    """Every knob's reading: the defaults, overridden by ``variant``."""
    if isinstance(variant, str):
        pairs = [item.partition("=") for item in variant.split("+") if item]
        variant = {key.strip(): value.strip() for key, _, value in pairs}
    chosen = {knob: readings[0] for knob, readings in VARIANTS.items()}
    for knob, reading in (variant or {}).items():
        if knob not in VARIANTS or reading not in VARIANTS[knob]:
            raise ValueError(f"unknown schneider_evce variant {knob}={reading}")
        chosen[knob] = reading
    return chosen


def _iso(unix_time: float) -> str:
    """A time as the hub writes it: ISO 8601 in UTC, no offset."""
    moment = datetime.datetime.fromtimestamp(unix_time, datetime.UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


@dataclass
class SimEvse:
    """One EVSE (one connector) of a station, charging on its own cycle."""

    id: int
    cycle: ChargingCycle
    #: Simulated time at which it was made inoperative (its cycle stands still).
    frozen_at: float | None = None
    faulted: bool = False
    #: The id tags ``remote_start`` gave, by the number of the session they started.
    started_tags: dict[int, str] = field(default_factory=dict)

    def id_tag(self, station_id: int, session_number: int) -> str:
        """The badge of session ``session_number``: the remote start's tag, else a card."""
        card = SESSION_CARDS[(station_id + self.id + session_number) % len(SESSION_CARDS)]
        return self.started_tags.get(session_number, card)

    def effective_now(self, now: float) -> float:
        """Time as the EVSE's cycle sees it (standing still while inoperative)."""
        return now if self.frozen_at is None else self.frozen_at

    def jump(self, now: float, target_into: float) -> None:
        """Move the cycle forward to ``target_into`` seconds into a cycle (never backwards)."""
        period = self.cycle.times.period
        into = (self.effective_now(now) + self.cycle.offset_s) % period
        delta = target_into - into
        if delta < 0:
            delta += period
        self.cycle.offset_s += delta


@dataclass
class SimStation:
    """A charging station configured on the hub."""

    id: int
    name: str
    serial: str
    evses: list[SimEvse]
    model: str = "EVlink Pro AC"
    online: bool = True
    resets: int = 0


@dataclass
class SimZone:
    """An energy-management zone with a reduction."""

    id: int
    name: str
    max_current_a: float = 125.0
    reduction_type: str = "current"
    reduction_value: float = 0.0
    valid_mode: str = "permanent"
    duration_s: int | None = None
    set_at: float = 0.0
    #: False: its stations ignore the set-point (they do not follow the reduction).
    follows: bool = True

    def expire(self, now: float) -> None:
        """A temporary reduction ends once its duration has passed."""
        if self.valid_mode == "temporary" and now - self.set_at >= (self.duration_s or 0):
            self.reduction_value = 0.0
            self.valid_mode = "permanent"
            self.duration_s = None

    @property
    def max_power_kw(self) -> float:
        """Power the zone's current limit allows at three phases."""
        return round(self.max_current_a * VOLTAGE * 3 / 1000.0, 1)

    @property
    def setpoint_a(self) -> float:
        """Current the zone may draw once its reduction is applied."""
        if self.reduction_type == "power":
            reduced_kw = max(0.0, self.max_power_kw - self.reduction_value)
            return round(reduced_kw * 1000.0 / (VOLTAGE * 3), 1)
        return max(0.0, self.max_current_a - self.reduction_value)


@dataclass
class SimPowerMeter:
    """A Modbus TCP power meter read by the hub."""

    id: int
    name: str
    address: str = "192.168.0.234"


@dataclass
class SimCommand:
    """A command sent to a station, resolved after the command delay."""

    id: int
    station_id: int
    name: str
    body: dict[str, Any]
    created_at: float
    status: str = "pending"


@dataclass
class SimToken:
    """A JWT the hub issued and has not revoked."""

    jti: int
    user: str
    expires_at: float
    last_activity: float


@dataclass
class SimUser:
    """An API user; only the EBMS (and Admin) roles may use the API."""

    password: str
    role: str = "EBMS"
    #: Blocked after too many invalid attempts: every login answers 403.
    locked: bool = False
    logins: int = 0
    logouts: int = 0


@dataclass
class _Certificate:
    key_pem: bytes
    cert_pem: bytes
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        der = x509.load_pem_x509_certificate(self.cert_pem).public_bytes(serialization.Encoding.DER)
        self.fingerprint = hashlib.sha256(der).hexdigest()


def stored_certificate(folder: str, serial: str) -> _Certificate:
    """The certificate kept in ``folder``, made there on first use.

    A real hub keeps its certificate across reboots; ``scripts/develop`` uses this
    so that an entry pinned to the simulated hub still trusts it after a restart.
    """
    cert_path = os.path.join(folder, "hub-cert.pem")
    key_path = os.path.join(folder, "hub-key.pem")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        with open(cert_path, "rb") as cert_file, open(key_path, "rb") as key_file:
            return _Certificate(key_pem=key_file.read(), cert_pem=cert_file.read())
    certificate = generate_certificate(serial)
    os.makedirs(folder, exist_ok=True)
    with open(cert_path, "wb") as cert_file:
        cert_file.write(certificate.cert_pem)
    with open(key_path, "wb") as key_file:
        key_file.write(certificate.key_pem)
    return certificate


def generate_certificate(serial: str) -> _Certificate:
    """A fresh self-signed certificate for 127.0.0.1 and localhost, like the hub's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"EVCE {serial}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return _Certificate(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


class EvceDevice(SimDevice):
    """An EVCE hub with stations, zones and power meters.

    Options: ``stations`` (3), ``zones`` (2), ``pms`` (1), ``login``,
    ``password``, ``role`` (EBMS; ``User`` has no API permission), ``serial``,
    ``command_delay`` (2 s), ``token_validity`` (43200 s), ``idle_timeout``
    (1800 s), ``cert_dir`` (keep the certificate in this folder across restarts
    instead of generating one per start), ``variant`` (``knob=reading`` pairs
    joined by ``+``, e.g. ``identity=none+pm_units=base``; see the module).
    """

    kind = "schneider_evce"
    tls = True

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        stations: int = 3,
        zones: int = 2,
        pms: int = 1,
        login: str = LOGIN,
        password: str = PASSWORD,
        role: str = "EBMS",
        serial: str = SERIAL,
        command_delay: float = 2.0,
        token_validity: float = 12 * 3600.0,
        idle_timeout: float = 1800.0,
        cert_dir: str | None = None,
        variant: str | dict[str, str] | None = None,
        epoch_base: float | None = None,
        clock_skew_s: float = 0.0,
    ) -> None:
        """Build the hub's configuration; IDs start where a real hub's could.

        The hub's clock shows UNIX time ``epoch_base`` (default: the real time when it
        is made) at simulated time 0, plus ``clock_skew_s``: a hub whose clock is wrong.
        """
        super().__init__(clock)
        self.epoch_base = (
            datetime.datetime.now(datetime.UTC).timestamp() - self.clock.now()
            if epoch_base is None
            else epoch_base
        )
        self.clock_skew_s = clock_skew_s
        self.serial = serial
        self.users = {login: SimUser(password, role=role)}
        self.variant = parse_variant(variant)
        self.command_delay = command_delay
        self.command_mode = "accept"
        self.token_validity = token_validity
        self.idle_timeout = idle_timeout
        self.certificate = (
            stored_certificate(cert_dir, serial) if cert_dir else generate_certificate(serial)
        )
        self._contexts: list[ssl.SSLContext] = []
        #: After a certificate change, connections are not kept alive (as after a reboot),
        #: so clients handshake again and see the new certificate.
        self._renewed = False
        self._secret = os.urandom(32)
        self.tokens: dict[int, SimToken] = {}
        self._next_jti = 1
        self.stations: dict[int, SimStation] = {}
        self.zones: dict[int, SimZone] = {}
        self.zone_of_station: dict[int, int] = {}
        self.pms: dict[int, SimPowerMeter] = {}
        self.commands: dict[int, SimCommand] = {}
        self._next_station = 101
        self._next_zone = 7
        self._next_pm = 1234
        self._next_cmd = 55
        for _ in range(zones):
            self.add_zone()
        for index in range(stations):
            # Every third station is a twin-socket station (two EVSEs).
            self.add_station(evses=2 if index % 3 == 1 else 1)
        for _ in range(pms):
            self.add_power_meter()

    @classmethod
    def from_options(cls, clock: SimClock, options: dict[str, str]) -> EvceDevice:
        """Build from ``stations=3,zones=2,pms=1,login=..,password=..,command_delay=2,...``.

        ``clock_skew`` (s) sets the hub's clock wrong.
        """
        options = dict(options)
        counts = {
            name: int(options.pop(name)) for name in ("stations", "zones", "pms") if name in options
        }
        floats = {
            name: float(options.pop(name))
            for name in ("command_delay", "token_validity", "idle_timeout")
            if name in options
        }
        if "clock_skew" in options:
            floats["clock_skew_s"] = float(options.pop("clock_skew"))
        texts = {
            name: options.pop(name)
            for name in ("login", "password", "role", "serial", "cert_dir", "variant")
            if name in options
        }
        if options:
            raise ValueError(f"unknown schneider_evce options {sorted(options)}")
        return cls(clock, **counts, **floats, **texts)  # type: ignore[arg-type]

    def unix_time(self, seconds: float) -> float:
        """Simulated second ``seconds`` as the hub's clock shows it (UNIX time)."""
        return self.epoch_base + seconds + self.clock_skew_s

    # --- configuration -------------------------------------------------------------------

    def add_station(self, *, name: str | None = None, evses: int = 1) -> SimStation:
        """Add a station with a new, never reused ID; it joins a zone round robin."""
        station_id = self._next_station
        self._next_station += 1
        number = station_id - 100
        station = SimStation(
            id=station_id,
            name=name or f"Bay {number}",
            serial=f"EVB1A22P4KI{station_id:05d}",
            evses=[
                SimEvse(
                    id=evse_id,
                    cycle=ChargingCycle(
                        max_power_w=11000.0 if evse_id == 1 else 7400.0,
                        offset_s=number * 311.0 + evse_id * 97.0,
                        times=CycleTimes(),
                        meter_start_wh=100000.0 * number + 5000.0 * evse_id,
                        voltage_v=VOLTAGE,
                    ),
                )
                for evse_id in range(1, evses + 1)
            ],
        )
        self.stations[station_id] = station
        if self.zones:
            zone_ids = sorted(self.zones)
            self.zone_of_station[station_id] = zone_ids[(number - 1) % len(zone_ids)]
        return station

    def add_zone(self, *, name: str | None = None) -> SimZone:
        """Add an energy-management zone with a new ID."""
        zone_id = self._next_zone
        self._next_zone += 1
        zone = SimZone(id=zone_id, name=name or f"Parking {chr(ord('A') + zone_id - 7)}")
        self.zones[zone_id] = zone
        return zone

    def add_power_meter(self, *, name: str | None = None) -> SimPowerMeter:
        """Add a power meter with a new ID."""
        pm_id = self._next_pm
        self._next_pm += 1
        meter = SimPowerMeter(id=pm_id, name=name or f"PM{pm_id - 1233:03d}")
        self.pms[pm_id] = meter
        return meter

    def config_import(self) -> dict[str, Any]:
        """Import the configuration back: every station, zone and meter gets a new ID.

        The document (§3.1.4): IDs continue from the last increment; names stay.
        Returns the old -> new IDs per kind.
        """
        moved: dict[str, dict[int, int]] = {"stations": {}, "zones": {}, "pms": {}}
        zones: dict[int, SimZone] = {}
        for old_id, zone in self.zones.items():
            zone.id = self._next_zone
            self._next_zone += 1
            zones[zone.id] = zone
            moved["zones"][old_id] = zone.id
        stations: dict[int, SimStation] = {}
        zone_of_station: dict[int, int] = {}
        for old_id, station in self.stations.items():
            station.id = self._next_station
            self._next_station += 1
            stations[station.id] = station
            moved["stations"][old_id] = station.id
            if old_id in self.zone_of_station:
                zone_of_station[station.id] = moved["zones"][self.zone_of_station[old_id]]
        pms: dict[int, SimPowerMeter] = {}
        for old_id, meter in self.pms.items():
            meter.id = self._next_pm
            self._next_pm += 1
            pms[meter.id] = meter
            moved["pms"][old_id] = meter.id
        self.zones, self.stations, self.pms = zones, stations, pms
        self.zone_of_station = zone_of_station
        return {kind: {str(old): new for old, new in ids.items()} for kind, ids in moved.items()}

    # --- TLS and tokens ------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """Server context with the hub's current certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._load_certificate(context)
        self._contexts.append(context)
        return context

    def _load_certificate(self, context: ssl.SSLContext) -> None:
        with tempfile.TemporaryDirectory() as folder:
            cert_path = os.path.join(folder, "cert.pem")
            key_path = os.path.join(folder, "key.pem")
            with open(cert_path, "wb") as cert_file:
                cert_file.write(self.certificate.cert_pem)
            with open(key_path, "wb") as key_file:
                key_file.write(self.certificate.key_pem)
            context.load_cert_chain(cert_path, key_path)

    def renew_certificate(self) -> str:
        """Replace the certificate (as after a hub update); new connections see it."""
        self.certificate = generate_certificate(self.serial)
        self._renewed = True
        for context in self._contexts:
            self._load_certificate(context)
        return self.certificate.fingerprint

    def reboot(self) -> None:
        """A new JWT secret: every token issued before is invalid."""
        self._secret = os.urandom(32)
        self.tokens.clear()

    def _issue_token(self, user: str) -> str:
        now = self.clock.now()
        for jti in [jti for jti, token in self.tokens.items() if token.user == user]:
            del self.tokens[jti]
        jti = self._next_jti
        self._next_jti += 1
        expires_at = now + self.token_validity
        self.tokens[jti] = SimToken(jti, user, expires_at, now)
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(
            json.dumps(
                {"jti": jti, "exp": int(self.unix_time(expires_at)), "sub": user, "role": "EBMS"}
            ).encode()
        )
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256)
        return f"{header}.{payload}.{_b64(signature.digest())}"

    def _token_of(self, request: web.Request) -> SimToken | None:
        """The live token of the request, refreshing its idle timer; None when invalid."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or value.count(".") != 2:
            return None
        header, payload, signature = value.strip().split(".")
        expected = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256)
        try:
            if not hmac.compare_digest(_unb64(signature), expected.digest()):
                return None
            claims = json.loads(_unb64(payload))
        except ValueError:
            return None
        token = self.tokens.get(claims.get("jti"))
        now = self.clock.now()
        if token is None:
            return None
        if now >= token.expires_at or now - token.last_activity > self.idle_timeout:
            del self.tokens[token.jti]
            return None
        token.last_activity = now
        return token

    # --- HTTP ----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """The subset of the API an EBMS user reaches."""
        router = app.router
        if self.variant["identity"] == "infos":
            router.add_get(f"{API}/maintenance/product_infos", self._product_infos)
        router.add_get(f"{API}/maintenance/product_status", self._product_status)
        router.add_get(f"{API}/maintenance/product_caps", self._product_caps)
        router.add_get(f"{API}/config/em", self._config_em)
        router.add_post(f"{API}/login/login", self._login)
        router.add_post(f"{API}/login/logout", self._logout)
        router.add_get(
            f"{API}/stations" if self.variant["stations_path"] == "strict" else f"{API}/stations/",
            self._stations,
        )
        if self.variant["transactions"] != "missing":
            router.add_get(f"{API}/transactions/{{which:ongoing|ended}}", self._transactions)
            router.add_get(
                f"{API}/transactions/{{sid:\\d+}}/{{which:ongoing|ended}}", self._transactions
            )
        router.add_get(f"{API}/stations/statuses", self._statuses)
        if self.variant["station_firmware"] == "endpoint":
            router.add_get(f"{API}/stations/{{sid:\\d+}}/firmware", self._station_firmware)
        if self.variant["station_firmware"] == "properties":
            router.add_get(f"{API}/stations/{{sid:\\d+}}", self._station_properties)
        router.add_get(f"{API}/stations/{{sid:\\d+}}/status", self._station_status)
        router.add_post(f"{API}/stations/{{sid:\\d+}}/cmds/{{cmd}}", self._command)
        router.add_get(f"{API}/stations/{{sid:\\d+}}/cmds/status/{{cid:\\d+}}", self._cmd_status)
        router.add_get(f"{API}/em/zones", self._zones)
        router.add_get(f"{API}/em/zones/{{zid:\\d+}}/status", self._zone_status)
        router.add_get(f"{API}/em/zones/{{zid:\\d+}}/reduction", self._zone_reduction)
        router.add_put(f"{API}/em/zones/{{zid:\\d+}}/reduction", self._set_zone_reduction)
        router.add_get(f"{API}/em/zones/{{zid:\\d+}}/stations", self._zone_station_list)
        router.add_get(f"{API}/pms", self._pms)
        if self.variant["pm_models"] == "served":
            router.add_get(f"{API}/pms/models/{{mid:\\d+}}", self._pm_model)
        router.add_get(f"{API}/pms/{{pid:\\d+}}/values", self._pm_values)

        @web.middleware
        async def close_after_renewal(request: web.Request, handler: Any) -> web.StreamResponse:
            response: web.StreamResponse = await handler(request)
            if self._renewed:
                response.force_close()
            return response

        app.middlewares.append(close_after_renewal)

    def _maintenance_refused(self, request: web.Request) -> web.Response | None:
        if self.variant["maintenance_auth"] == "open" or self._authorized(request):
            return None
        return _error(401, 1002, "invalid token")

    async def _product_infos(self, request: web.Request) -> web.Response:
        if (refused := self._maintenance_refused(request)) is not None:
            return refused
        return web.json_response(
            {
                "product_name": "EcoStruxure EV Charging Expert",
                "model": "HMIBSCEA53D1EDB",
                "serial_number": self.serial,
                "firmware_version": "6.0.2",
            }
        )

    async def _product_status(self, request: web.Request) -> web.Response:
        if (refused := self._maintenance_refused(request)) is not None:
            return refused
        body: dict[str, Any] = {"status": "ok", "uptime_s": int(self.clock.now())}
        if self.variant["identity"] == "status":
            body["serial_number"] = self.serial
            body["firmware_version"] = "6.0.2"
        return web.json_response(body)

    async def _product_caps(self, request: web.Request) -> web.Response:
        if (refused := self._maintenance_refused(request)) is not None:
            return refused
        body: dict[str, Any] = {"max_stations": 100, "max_zones": 20, "max_pms": 10}
        if self.variant["identity"] == "status":
            body["commercial_reference"] = "HMIBSCEA53D1EDB"
        return web.json_response(body)

    async def _config_em(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        return web.json_response({"mode": "dynamic", "zones": len(self.zones)})

    async def _login(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            login, password = str(body["login"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            return _error(400, 1000, "login and password are required")
        user = self.users.get(login)
        if user is not None and user.locked:
            return _error(403, 1012, "User account blocked due to too many invalid attempts")
        if user is None or not hmac.compare_digest(password, user.password):
            return _error(401, 1001, "invalid login or password")
        if user.role.upper() not in ("EBMS", "ADMIN"):
            return _error(403, 1003, "User does not have the permissions to access the resource")
        user.logins += 1
        return web.json_response({"token": self._issue_token(login)})

    async def _logout(self, request: web.Request) -> web.Response:
        token = self._token_of(request)
        if token is None:
            return _error(401, 1002, "invalid token")
        del self.tokens[token.jti]
        self.users[token.user].logouts += 1
        return web.json_response({})

    def _authorized(self, request: web.Request) -> bool:
        self._settle_commands()
        return self._token_of(request) is not None

    @staticmethod
    def _station_item(station: SimStation) -> dict[str, Any]:
        return {
            "id": station.id,
            "config": {
                "friendly_name": station.name,
                "model": station.model,
                "serial_number": station.serial,
            },
            "evses": [
                {"id": evse.id, "connectors": [{"id": 1, "type": "type2"}]}
                for evse in station.evses
            ],
        }

    def _station_of(self, request: web.Request) -> SimStation | None:
        return self.stations.get(int(request.match_info["sid"]))

    async def _station_firmware(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        if self._station_of(request) is None:
            return _error(404, 1004, "unknown station")
        return web.json_response({"version": STATION_FIRMWARE})

    async def _station_properties(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        if (station := self._station_of(request)) is None:
            return _error(404, 1004, "unknown station")
        item = self._station_item(station)
        item["config"]["firmware_version"] = STATION_FIRMWARE
        return web.json_response(item)

    async def _stations(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        return web.json_response([self._station_item(item) for item in self.stations.values()])

    def _evse_status(self, station: SimStation, evse: SimEvse) -> dict[str, Any]:
        now = self.clock.now()
        reading = evse.cycle.reading(evse.effective_now(now))
        if evse.faulted:
            status = "faulted"
        elif evse.frozen_at is not None:
            status = "unavailable"
        else:
            status = _PHASE_STATUS[reading.phase]
        charging = status == "charging"
        item: dict[str, Any] = {
            "id": evse.id,
            "status": status,
            "connectors": [{"id": 1, "status": status}],
            "power_w": reading.power_w if charging else 0.0,
            "energy_wh": round(reading.meter_wh, 1),
            "session_energy_wh": round(reading.session_wh, 1),
        }
        if reading.phase is not Phase.IDLE and status not in ("faulted", "unavailable"):
            item["transaction_id"] = station.id * 10000 + evse.id * 1000 + reading.session_number
        return item

    def session_records(self, which: str, station_id: int | None = None) -> list[dict[str, Any]]:
        """The hub's records of ongoing or ended sessions, in the ``snake`` reading."""
        now = self.clock.now()
        records: list[dict[str, Any]] = []
        for station in self.stations.values():
            if station_id is not None and station.id != station_id:
                continue
            for evse in station.evses:
                cycle = evse.cycle
                at = evse.effective_now(now)
                reading = cycle.reading(at)
                times = cycle.times

                def record(number: int, start: float, energy_wh: float) -> dict[str, Any]:
                    return {
                        "id": station.id * 10000 + evse.id * 1000 + number,  # noqa: B023
                        "station_id": station.id,  # noqa: B023
                        "evse_id": evse.id,  # noqa: B023
                        "start_time": _iso(self.unix_time(start)),
                        "energy_wh": round(energy_wh, 1),
                        "id_tag": evse.id_tag(station.id, number),  # noqa: B023
                    }

                if which == "ongoing":
                    if reading.phase is not Phase.IDLE:
                        records.append(
                            record(
                                reading.session_number, at - reading.session_s, reading.session_wh
                            )
                        )
                    continue
                # Session n ran from the end of cycle n-1's idle phase to the end of cycle n.
                per_session = cycle._energy_of_charging(times.charging)
                ended = reading.session_number - (0 if reading.phase is Phase.IDLE else 1)
                for number in range(max(1, ended - ENDED_KEPT + 1), ended + 1):
                    start = (number - 1) * times.period + times.idle - cycle.offset_s
                    item = record(number, start, per_session)
                    item["end_time"] = _iso(self.unix_time(number * times.period - cycle.offset_s))
                    item["stop_reason"] = "EVDisconnected"
                    records.append(item)
        return records

    async def _transactions(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        sid = request.match_info.get("sid")
        records = self.session_records(
            request.match_info["which"], None if sid is None else int(sid)
        )
        if self.variant["transactions"] == "alternate":
            renamed = {
                "id": "transaction_id",
                "station_id": "station",
                "evse_id": "connector_id",
                "start_time": "start_date",
                "end_time": "stop_date",
                "id_tag": "badge",
                "stop_reason": "reason",
            }
            alternate = []
            for item in records:
                moved = {renamed.get(key, key): value for key, value in item.items()}
                moved["energy_kwh"] = round(moved.pop("energy_wh") / 1000, 4)
                alternate.append(moved)
            return web.json_response({"transactions": alternate})
        return web.json_response(records)

    def station_status(self, station: SimStation) -> dict[str, Any]:
        """The ``station_status`` object of one station (``share_zones`` first)."""
        if not station.online:
            return {"station_id": station.id, "ocpp_status": "disconnected", "evses": []}
        return {
            "station_id": station.id,
            "ocpp_status": "connected",
            "evses": [self._evse_status(station, evse) for evse in station.evses],
        }

    async def _statuses(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        self.share_zones()
        return web.json_response([self.station_status(item) for item in self.stations.values()])

    async def _station_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        station = self.stations.get(int(request.match_info["sid"]))
        if station is None:
            return _error(404, 1004, "unknown station")
        self.share_zones()
        return web.json_response(self.station_status(station))

    async def _command(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        station = self.stations.get(int(request.match_info["sid"]))
        name = request.match_info["cmd"]
        if station is None:
            return _error(404, 1004, "unknown station")
        if name not in ("remote_start", "remote_stop", "change_availability", "reset"):
            return _error(404, 1005, "unknown command")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, 1000, "body is not JSON")
        if not isinstance(body, dict):
            return _error(400, 1000, "body must be an object")
        connector = body.get("connector_id")
        known = {evse.id for evse in station.evses}
        if name == "remote_start" and connector not in known:
            return _error(400, 1006, f"unknown connector {connector}")
        if name == "change_availability" and (
            connector not in known | {0} or body.get("type") not in ("operative", "inoperative")
        ):
            return _error(400, 1006, "invalid availability request")
        if name == "remote_stop" and "transaction_id" not in body and connector not in known:
            return _error(400, 1006, "remote stop needs a transaction or a connector")
        if name == "reset" and body.get("type") not in ("soft", "hard"):
            return _error(400, 1006, "reset type must be soft or hard")
        cmd_id = self._next_cmd
        self._next_cmd += 1
        self.commands[cmd_id] = SimCommand(cmd_id, station.id, name, body, self.clock.now())
        return web.json_response({"cmd_id": cmd_id})

    async def _cmd_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        command = self.commands.get(int(request.match_info["cid"]))
        if command is None or command.station_id != int(request.match_info["sid"]):
            return _error(404, 1007, "unknown command")
        return web.json_response({"status": command.status})

    def _settle_commands(self) -> None:
        """Resolve the pending commands whose delay has passed (and apply their effect)."""
        now = self.clock.now()
        for command in self.commands.values():
            if command.status != "pending" or now - command.created_at < self.command_delay:
                continue
            if self.command_mode == "never":
                continue
            if self.command_mode == "timeout":
                command.status = "timeout"
            elif self.command_mode == "reject":
                command.status = "rejected"
            else:
                command.status = "accepted" if self._apply(command, now) else "rejected"

    def _apply(self, command: SimCommand, now: float) -> bool:
        """Carry out a command the way the station would; False when it refuses."""
        station = self.stations.get(command.station_id)
        if station is None or not station.online:
            return False
        body = command.body
        evses = {evse.id: evse for evse in station.evses}
        times = CycleTimes()
        if command.name == "reset":
            station.resets += 1
            return True
        if command.name == "change_availability":
            operative = body["type"] == "operative"
            targets = station.evses if body["connector_id"] == 0 else [evses[body["connector_id"]]]
            for evse in targets:
                if operative and evse.frozen_at is not None:
                    evse.cycle.offset_s -= now - evse.frozen_at
                    evse.frozen_at = None
                elif not operative and evse.frozen_at is None:
                    evse.frozen_at = now
            return True
        if command.name == "remote_start":
            evse = evses[body["connector_id"]]
            status = self._evse_status(station, evse)["status"]
            if status in ("charging", "unavailable", "faulted"):
                return False
            evse.jump(now, times.idle + times.connected)
            if isinstance(tag := body.get("id_tag"), str):
                number = evse.cycle.reading(evse.effective_now(now)).session_number
                evse.started_tags[number] = tag
            return True
        # remote_stop
        for evse in station.evses:
            item = self._evse_status(station, evse)
            matches = (
                item.get("transaction_id") == body["transaction_id"]
                if "transaction_id" in body
                else evse.id == body.get("connector_id")
            )
            if matches and item["status"] == "charging":
                evse.jump(now, times.idle + times.connected + times.charging)
                return True
        return False

    def share_zones(self) -> None:
        """Cap every zone's EVSEs at an equal share of the zone's set-point, from now on."""
        now = self.clock.now()
        for zone in self.zones.values():
            zone.expire(now)
            evses = [
                evse
                for station in self._zone_stations(zone.id)
                if station.online
                for evse in station.evses
                if evse.frozen_at is None and not evse.faulted
            ]
            sessions = sum(1 for evse in evses if evse.cycle.reading(now).phase is not Phase.IDLE)
            cap_w: float | None = None
            if zone.follows and zone.setpoint_a < zone.max_current_a:
                share_a = zone.setpoint_a / max(1, sessions)
                cap_w = share_a * VOLTAGE * 3 if share_a >= MINIMUM_CHARGING_A else 0.0
            for evse in evses:
                evse.cycle.set_cap(cap_w, now)

    def _zone_stations(self, zone_id: int) -> list[SimStation]:
        return [
            station
            for station_id, station in self.stations.items()
            if self.zone_of_station.get(station_id) == zone_id
        ]

    async def _zones(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        return web.json_response(
            [
                {
                    "id": zone.id,
                    "desc": {
                        "name": zone.name,
                        "max_current_a": zone.max_current_a,
                        "max_power_kw": zone.max_power_kw,
                    },
                }
                for zone in self.zones.values()
            ]
        )

    def zone_status(self, zone: SimZone) -> dict[str, Any]:
        """Currents and power of a zone: the sum over its stations."""
        self.share_zones()
        currents = [0.0, 0.0, 0.0]
        power = 0.0
        now = self.clock.now()
        zone.expire(now)
        for station in self._zone_stations(zone.id):
            if not station.online:
                continue
            for evse in station.evses:
                if evse.frozen_at is not None or evse.faulted:
                    continue
                reading = evse.cycle.reading(now)
                power += reading.power_w
                for index, value in enumerate(reading.currents_a):
                    currents[index] += value
        return {
            "current_a": [round(value, 1) for value in currents],
            "power_w": round(power, 1),
            "setpoint_a": zone.setpoint_a,
        }

    async def _zone_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        zone = self.zones.get(int(request.match_info["zid"]))
        if zone is None:
            return _error(404, 1008, "unknown zone")
        return web.json_response(self.zone_status(zone))

    def _reduction(self, zone: SimZone) -> dict[str, Any]:
        zone.expire(self.clock.now())
        if self.variant["reduction"] == "bare":
            return {"value": zone.reduction_value}
        item: dict[str, Any] = {
            "type": zone.reduction_type,
            "value": zone.reduction_value,
            "valid_mode": zone.valid_mode,
        }
        if zone.duration_s is not None:
            item["duration_s"] = zone.duration_s
            if self.variant["reduction"] == "remaining":
                item["duration_s"] = max(0, round(zone.set_at + zone.duration_s - self.clock.now()))
        return item

    async def _zone_reduction(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        zone = self.zones.get(int(request.match_info["zid"]))
        if zone is None:
            return _error(404, 1008, "unknown zone")
        return web.json_response(self._reduction(zone))

    async def _zone_station_list(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        zone = self.zones.get(int(request.match_info["zid"]))
        if zone is None:
            return _error(404, 1008, "unknown zone")
        stations = self._zone_stations(zone.id)
        if self.variant["zone_stations"] == "ids":
            return web.json_response([station.id for station in stations])
        return web.json_response([self._station_item(station) for station in stations])

    async def _set_zone_reduction(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        zone = self.zones.get(int(request.match_info["zid"]))
        if zone is None:
            return _error(404, 1008, "unknown zone")
        try:
            body = await request.json()
            kind = str(body["type"])
            value = float(body["value"])
        except (ValueError, KeyError, TypeError):
            return _error(400, 1000, "type and value are required")
        limit = zone.max_current_a if kind == "current" else zone.max_power_kw
        if kind not in ("current", "power") or not 0 <= value <= limit:
            return _error(400, 1009, f"reduction must be between 0 and {limit}")
        mode = str(body.get("valid_mode", "permanent"))
        duration = body.get("duration_s")
        if mode not in ("permanent", "temporary") or (
            mode == "temporary" and (not isinstance(duration, int) or duration <= 0)
        ):
            return _error(400, 1009, "a temporary reduction needs a positive duration_s")
        zone.reduction_type = kind
        zone.reduction_value = value
        zone.valid_mode = mode
        zone.duration_s = duration if mode == "temporary" else None
        zone.set_at = self.clock.now()
        self.share_zones()
        return web.json_response(self._reduction(zone))

    async def _pms(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        return web.json_response(
            [
                {
                    "id": meter.id,
                    "desc": {
                        "name": meter.name,
                        "type": "tcp",
                        "model": PM_MODEL_ID,
                        "tcp_address": meter.address,
                        "tcp_port": 502,
                    },
                }
                for meter in self.pms.values()
            ]
        )

    def pm_values(self, meter: SimPowerMeter) -> dict[str, Any]:
        """The building's grid meter: a base load plus every station."""
        self.share_zones()
        now = self.clock.now()
        base_w = 4000.0 + (meter.id % 7) * 100.0
        power_w = base_w
        energy_wh = 2_500_000.0 + base_w * now / 3600.0
        for station in self.stations.values():
            for evse in station.evses:
                reading = evse.cycle.reading(evse.effective_now(now))
                energy_wh += reading.meter_wh
                if station.online and evse.frozen_at is None and not evse.faulted:
                    power_w += reading.power_w
        per_phase_a = power_w / 3 / VOLTAGE
        values = [
            ("voltage_l1", round(VOLTAGE + 0.8, 1), "V"),
            ("voltage_l2", round(VOLTAGE + 1.5, 1), "V"),
            ("voltage_l3", round(VOLTAGE - 0.4, 1), "V"),
            ("current_l1", round(per_phase_a * 1.01, 2), "A"),
            ("current_l2", round(per_phase_a, 2), "A"),
            ("current_l3", round(per_phase_a * 0.99, 2), "A"),
            ("power_active", round(power_w / 1000.0, 3), "kW"),
            ("energy_active_import", round(energy_wh / 1000.0, 3), "kWh"),
            ("frequency", 50.01, "Hz"),
        ]
        units = self.variant["pm_units"]
        if units == "base":
            base = {"kW": ("W", 1000.0), "kWh": ("Wh", 1000.0)}
            values = [
                (name, round(value * base[unit][1], 1), base[unit][0])
                if unit in base
                else (name, value, unit)
                for name, value, unit in values
            ]
        stamp = datetime.datetime.fromtimestamp(self.unix_time(now), datetime.UTC)
        items: list[dict[str, Any]] = []
        for name, value, unit in values:
            item: dict[str, Any] = {"name": name, "value": value}
            if units != "none":
                item["unit"] = unit
            items.append(item)
        return {"timestamp": stamp.isoformat(), "values": items}

    async def _pm_model(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        if int(request.match_info["mid"]) != PM_MODEL_ID:
            return _error(404, 1011, "unknown power meter model")
        return web.json_response(
            {
                "id": PM_MODEL_ID,
                "desc": {"name": PM_MODEL_NAME, "manufacturer": "Schneider Electric"},
            }
        )

    async def _pm_values(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 1002, "invalid token")
        meter = self.pms.get(int(request.match_info["pid"]))
        if meter is None:
            return _error(404, 1010, "unknown power meter")
        return web.json_response(self.pm_values(meter))

    # --- control -------------------------------------------------------------------------

    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Vendor knobs: configuration changes, station faults, command outcomes, reboots."""
        if action == "add_station":
            return {"id": self.add_station(evses=int(params.get("evses", 1))).id}
        if action == "remove_station":
            self.stations.pop(int(params["id"]))
            return {}
        if action == "add_zone":
            return {"id": self.add_zone().id}
        if action == "remove_zone":
            self.zones.pop(int(params["id"]))
            return {}
        if action == "add_pm":
            return {"id": self.add_power_meter().id}
        if action == "remove_pm":
            self.pms.pop(int(params["id"]))
            return {}
        if action == "station_online":
            self.stations[int(params["id"])].online = bool(params.get("online", True))
            return {}
        if action == "connector_fault":
            station = self.stations[int(params["id"])]
            for evse in station.evses:
                if evse.id == int(params.get("connector", 1)):
                    evse.faulted = bool(params.get("faulted", True))
            return {}
        if action == "commands":
            mode = str(params.get("mode", self.command_mode))
            if mode not in COMMAND_MODES:
                raise ValueError(f"command mode must be one of {COMMAND_MODES}")
            self.command_mode = mode
            self.command_delay = float(params.get("delay", self.command_delay))
            return {"mode": self.command_mode, "delay": self.command_delay}
        if action == "reboot":
            self.reboot()
            return {}
        if action == "config_import":
            return self.config_import()
        if action == "rename_station":
            self.stations[int(params["id"])].name = str(params["name"])
            return {}
        if action == "rename_zone":
            self.zones[int(params["id"])].name = str(params["name"])
            return {}
        if action == "renew_certificate":
            return {"fingerprint": self.renew_certificate()}
        if action == "set_password":
            user = self.users[str(params.get("login", LOGIN))]
            user.password = str(params["password"])
            self.tokens.clear()
            return {}
        raise KeyError(action)

    def describe(self) -> dict[str, Any]:
        """Configuration, live statuses, sessions and command outcomes."""
        self._settle_commands()
        return {
            "kind": self.kind,
            "serial": self.serial,
            "fingerprint": self.certificate.fingerprint,
            "active_tokens": len(self.tokens),
            "variant": self.variant,
            "users": {
                name: {"role": user.role, "logins": user.logins, "logouts": user.logouts}
                for name, user in self.users.items()
            },
            "stations": [self.station_status(item) for item in self.stations.values()],
            "zones": {zone.id: self._reduction(zone) for zone in self.zones.values()},
            "pms": sorted(self.pms),
            "commands": {cmd.id: cmd.status for cmd in self.commands.values()},
            "command_mode": self.command_mode,
        }
