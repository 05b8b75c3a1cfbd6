"""Kempower ChargEye cloud: refresh-token exchange, ``/stations`` and charger operations.

Served under ``/api`` like the real service (``https://kempower.io/api``), over
plain HTTP so Home Assistant can reach it without a trusted certificate. JWTs
expire with the simulated clock; simulated time maps to UTC from ``epoch``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import hmac
import json
import math
from typing import Any

from aiohttp import web

from .charging import ChargingCycle, CycleTimes, Phase, Reading
from .clock import SimClock
from .device import SimDevice

PREFIX = "/api"
DEFAULT_REFRESH_TOKEN = "chargeye-sim-refresh-token"
DEFAULT_ORGANIZATION = "org-5e0c7d21"
TOKEN_LIFETIME_S = 8 * 3600.0
OPERATIONS = (
    "power_limit",
    "clear_power_limit",
    "availability",
    "reset",
    "start",
    "stop",
    "charging_profile",
    "clear_charging_profile",
    "power_group",
)
#: How the account lists connector ids and which ``evseId`` the command paths take (the
#: document leaves both open): ``listed`` (default) lists DC ids with the station prefix and
#: AC ids without, paths take the id as listed; ``prefixed`` and ``bare`` list every id
#: with / without the prefix, paths take it as listed; ``number`` lists like ``listed``
#: but paths take only the connector's number (``evses/2``).
VARIANTS = ("listed", "prefixed", "bare", "number")
#: How ``latestTransaction`` names the id token that authorized it (the document is silent;
#: ``tag_reading=``): ``authorization_token`` (default) as ``authorizationToken`` text
#: (Kempower's own ``GET /stations`` example), ``none`` not at all, ``string`` as ``idToken``
#: text (with ``idTokenType``), ``object`` as an OCPP 2.0.1 IdTokenType
#: ``{"idToken": .., "type": ..}``, ``id_tag`` as ``idTag`` text (OCPP 1.6).
TAG_READINGS = ("authorization_token", "none", "string", "object", "id_tag")
DEFAULT_TAG_READING = TAG_READINGS[0]
#: How a transaction names its id and writes its start (``transaction_reading``):
#: ``standard`` (default) ``txId`` and a UTC time with ``Z``; ``reference`` (a public
#: app's object) ``transactionId`` and a start time without any offset (UTC).
TRANSACTION_READINGS = ("standard", "reference")
#: How ``GET /loadBalancing/powerGroups`` writes its groups (``group_shape=``): only the
#: ``tree`` object keyed by id is Kempower's, how it lists stations and subgroups is not
#: public. ``tree`` (default): ``{"tree": {id: group}}``, stations as ``chargers`` ids,
#: subgroups as ``subGroups`` by id; ``tree_list``: the tree as a list, stations as
#: ``stations`` objects (``stationId``), subgroups as a ``children`` list; ``list``: a bare
#: list, ``stationIds``, subgroups as a ``groups`` list, no ``limitationType`` (the limit's
#: field tells); ``keyed``: ``{"powerGroups": [...]}``, ``chargingStations`` keyed by id.
GROUP_SHAPES = ("tree", "tree_list", "list", "keyed")
#: What the groups endpoint answers besides its list (``groups_answer`` control): ``none``
#: (the account has no Load Balancing API: 404), ``forbidden`` (403), ``garbage``.
GROUP_ANSWERS = ("normal", "none", "forbidden", "garbage")
#: RFID cards of the simulated drivers: each session played on its own carries one.
SIM_CARDS = ("04A1B2C3D4E5F6", "04C0FFEE123456", "049988776655AA")
RESTART_S = 30.0
AC_VOLTAGE = 230.0
INPUT_VOLTAGE = 400.0

_LOCATIONS = {
    "dc": {"locationUid": "loc-depot", "name": "Bus depot", "address": "Depot Street 1, Lahti"},
    "ac": {
        "locationUid": "loc-office",
        "name": "Office car park",
        "address": "Office Road 5, Lahti",
    },
}

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sim_card(session_number: int, connector_number: int) -> str:
    """The RFID card of a session the simulator plays on its own."""
    return SIM_CARDS[(session_number + connector_number) % len(SIM_CARDS)]


def _listed_tx_id(transaction: dict[str, Any]) -> str | None:
    """A listed transaction's id, in either reading."""
    return transaction.get("txId", transaction.get("transactionId"))


def _checked_tag_reading(reading: str) -> str:
    if reading not in TAG_READINGS:
        raise ValueError(f"tag_reading must be one of {TAG_READINGS}, not {reading!r}")
    return reading


def _tx_name(station: SimStation, connector: SimConnector, session_number: int) -> str:
    """The id of a connector's transaction number ``session_number``."""
    return f"TX-{station.station_id}-{connector.name}-{session_number}"


@dataclass
class SimConnector:
    """One connector: its plug, its charging cycle and what operators did to it."""

    local_id: str
    number: int
    name: str
    plug: str
    max_power_kw: float
    cycle: ChargingCycle
    operative: bool = True
    limit_kw: float | None = None


@dataclass
class SimStation:
    """One charging station of the account."""

    station_id: str
    name: str
    kind: str
    model: str
    serial: str
    max_power_kw: float
    max_power_a: float
    connectors: list[SimConnector]
    status: str = "Operative"
    offline_until: float = -1.0
    restart_on_idle: bool = False
    limit_kw: float | None = None
    stopped: set[str] = field(default_factory=set)
    #: Commands on this station answer 401 whatever the token (no permission).
    forbidden: bool = False

    @property
    def location(self) -> dict[str, str]:
        """Where the station stands: depot for DC, office for AC."""
        return dict(_LOCATIONS[self.kind])


@dataclass
class SimPowerGroup:
    """A power group: one limit shared by its stations' connectors by their demand."""

    group_id: str
    name: str
    #: ``InputCurrent`` (``limit`` in A of AC input) or ``OutputPower`` (kW of DC output).
    limitation: str
    limit: float
    station_ids: list[str]
    parent_id: str | None = None

    @property
    def limit_kw(self) -> float:
        """The limit as power: input current at three phases of 230 V (as station limits)."""
        if self.limitation == "InputCurrent":
            return self.limit * AC_VOLTAGE * 3 / 1000
        return self.limit


class ChargEyeDevice(SimDevice):
    """One ChargEye organisation with DC and AC stations.

    Options: ``refresh_token``, ``org`` (organisation id in the JWT), ``dc`` and
    ``ac`` (how many stations of each kind, default 2 and 1), ``lifetime``
    (JWT lifetime in s), ``variant`` (see VARIANTS), ``tag_reading`` (see TAG_READINGS),
    ``group_shape`` (see GROUP_SHAPES).
    Control actions: ``reject`` (operations answered Rejected), ``rate_limit`` (429 for
    ``seconds``), ``revoke_tokens``, ``set_refresh_token``, ``add_station``,
    ``remove_station``, ``set_station`` (``status``; ``forbidden``: commands answer 401),
    ``tag_reading`` (``reading``: one of TAG_READINGS), ``add_power_group`` (``group_id``,
    ``station_ids``, ``limitation``, ``limit``, ``parent_id``), ``groups_answer``
    (``answer``: one of GROUP_ANSWERS).

    Power groups: each charging connector of a group's stations (and its subgroups')
    draws its share of the group's limit by its demand; ``PATCH`` requests are recorded
    in ``commands`` (operation ``power_group``).

    Id tokens: a session the simulator plays on its own (a car plugs in) carries one of
    SIM_CARDS (type RFID); an accepted start transaction gives its ``idToken`` (and
    ``idTokenType``; null for none) to the session waiting to charge, else to the next one.
    """

    kind = "kempower_chargeye"

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        refresh_token: str = DEFAULT_REFRESH_TOKEN,
        organization_id: str = DEFAULT_ORGANIZATION,
        dc_stations: int = 2,
        ac_stations: int = 1,
        token_lifetime_s: float = TOKEN_LIFETIME_S,
        epoch: datetime | None = None,
        variant: str = "listed",
        tag_reading: str = DEFAULT_TAG_READING,
        transaction_reading: str = "standard",
        group_shape: str = "tree",
    ) -> None:
        """Create the account and its stations."""
        super().__init__(clock)
        if group_shape not in GROUP_SHAPES:
            raise ValueError(f"group_shape must be one of {GROUP_SHAPES}, not {group_shape!r}")
        self.group_shape = group_shape
        #: Power groups by id (none until a test or the control API adds one).
        self.power_groups: dict[str, SimPowerGroup] = {}
        self.groups_answer = "normal"
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        self.variant = variant
        self.tag_reading = _checked_tag_reading(tag_reading)
        if transaction_reading not in TRANSACTION_READINGS:
            raise ValueError(f"transaction_reading must be one of {TRANSACTION_READINGS}")
        self.transaction_reading = transaction_reading
        #: Id token and its type given by start transaction, by the transaction id it went to.
        self.tx_tokens: dict[str, tuple[str | None, str | None]] = {}
        #: Limits of transactions, by transaction id (kW).
        self.tx_limits_kw: dict[str, float] = {}
        #: Charging profiles received, by target ("KEMDC-0001" or "KEMDC-0001/2").
        self.profiles: dict[str, dict[str, Any]] = {}
        self.refresh_token = refresh_token
        self.organization_id = organization_id
        self.token_lifetime_s = token_lifetime_s
        # Simulated time may resume where a previous run stopped (python -m simulator
        # --state): zero is that long ago, so timestamps stay at today's UTC time.
        self.epoch = epoch or (datetime.now(UTC) - timedelta(seconds=self.clock.now())).replace(
            microsecond=0
        )
        self._secret = hashlib.sha256(organization_id.encode()).digest()
        self.tokens_issued = 0
        self.revoked_up_to = 0
        self.rejected: set[str] = set()
        self.rate_limited_until = -1.0
        self.commands: list[dict[str, Any]] = []
        self.stations: dict[str, SimStation] = {}
        self._made = {"dc": 0, "ac": 0}
        for _ in range(dc_stations):
            self.add_station("dc")
        for _ in range(ac_stations):
            self.add_station("ac")

    @classmethod
    def from_options(cls, clock: SimClock, options: dict[str, str]) -> ChargEyeDevice:
        """Build from ``refresh_token=...,org=...,dc=2,ac=1,lifetime=28800``."""
        options = dict(options)
        device = cls(
            clock,
            refresh_token=options.pop("refresh_token", DEFAULT_REFRESH_TOKEN),
            organization_id=options.pop("org", DEFAULT_ORGANIZATION),
            dc_stations=int(options.pop("dc", "2")),
            ac_stations=int(options.pop("ac", "1")),
            token_lifetime_s=float(options.pop("lifetime", str(TOKEN_LIFETIME_S))),
            variant=options.pop("variant", "listed"),
            tag_reading=options.pop("tag_reading", DEFAULT_TAG_READING),
            transaction_reading=options.pop("transaction_reading", "standard"),
            group_shape=options.pop("group_shape", "tree"),
        )
        if options:
            raise ValueError(f"unknown kempower_chargeye options {sorted(options)}")
        return device

    # -- account --------------------------------------------------------------

    def add_station(self, kind: str) -> SimStation:
        """Commission a new DC or AC station with two connectors."""
        if kind not in _LOCATIONS:
            raise ValueError(f"station kind must be dc or ac, not {kind!r}")
        self._made[kind] += 1
        number = self._made[kind]
        index = sum(self._made.values())
        if kind == "dc":
            station_id = f"KEMDC-{number:04d}"
            plugs = (("CCS", 200.0), ("CHAdeMO" if number % 2 == 0 else "CCS", 100.0))
            connectors = [
                SimConnector(
                    local_id=f"connector{slot}",
                    number=slot,
                    name=str(slot),
                    plug=plug,
                    max_power_kw=max_kw,
                    cycle=ChargingCycle(
                        max_power_w=max_kw * 1000 * 0.75,
                        offset_s=index * 310.0 + slot * 530.0,
                        times=CycleTimes(idle=120, connected=30, charging=1500, finished=60),
                        voltage_v=AC_VOLTAGE,
                    ),
                )
                for slot, (plug, max_kw) in enumerate(plugs, start=1)
            ]
            station = SimStation(
                station_id=station_id,
                name=f"Depot charger {number}",
                kind=kind,
                model="Kempower Satellite S-Series",
                serial=f"KP{2300000 + number * 17}",
                max_power_kw=300.0,
                max_power_a=round(300_000 / (math.sqrt(3) * INPUT_VOLTAGE), 1),
                connectors=connectors,
            )
        else:
            station_id = f"KEMAC-{number:04d}"
            connectors = [
                SimConnector(
                    local_id=str(slot),
                    number=slot,
                    name=str(slot),
                    plug="Type2",
                    max_power_kw=22.0,
                    cycle=ChargingCycle(
                        max_power_w=11000.0,
                        offset_s=index * 310.0 + slot * 530.0,
                        voltage_v=AC_VOLTAGE,
                    ),
                )
                for slot in (1, 2)
            ]
            station = SimStation(
                station_id=station_id,
                name=f"Office charger {number}",
                kind=kind,
                model="Kempower AC Wallbox",
                serial=f"KA{5100000 + number * 23}",
                max_power_kw=44.0,
                max_power_a=64.0,
                connectors=connectors,
            )
        self.stations[station_id] = station
        return station

    def listed_id(self, station: SimStation, connector: SimConnector) -> str:
        """The ``connectorId`` as ``GET /stations`` lists it in this variant."""
        prefixed = f"{station.station_id}_{connector.local_id}"
        if self.variant == "prefixed":
            return prefixed
        if self.variant == "bare":
            return connector.local_id
        # DC ids carry the station prefix, AC ids do not: the API does both.
        return prefixed if station.kind == "dc" else connector.local_id

    def _now_utc(self, seconds: float = 0.0) -> datetime:
        return self.epoch + timedelta(seconds=self.clock.now() + seconds)

    # -- tokens -----------------------------------------------------------------

    def issue_token(self) -> tuple[str, datetime]:
        """A signed JWT for the organisation, valid ``token_lifetime_s`` of sim time."""
        self.tokens_issued += 1
        now = self._now_utc()
        valid_until = now + timedelta(seconds=self.token_lifetime_s)
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "sub": "api-user-1",
            "organizationId": self.organization_id,
            "iat": int(now.timestamp()),
            "exp": int(valid_until.timestamp()),
            "jti": self.tokens_issued,
        }
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), "sha256").digest())
        return f"{header}.{payload}.{signature}", valid_until

    def token_valid(self, token: str) -> bool:
        """Whether a JWT is ours, unexpired and not revoked."""
        parts = token.split(".")
        if len(parts) != 3:
            return False
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), "sha256").digest()
        try:
            if not hmac.compare_digest(_unb64(parts[2]), expected):
                return False
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return False
        return bool(
            claims.get("jti", 0) > self.revoked_up_to
            and claims.get("exp", 0) > self._now_utc().timestamp()
        )

    # -- rendering -------------------------------------------------------------

    def _connector_cap_w(self, station: SimStation, connector: SimConnector) -> float | None:
        caps = [
            limit * 1000
            for limit in (
                connector.limit_kw,
                None
                if station.limit_kw is None
                else station.limit_kw / max(1, len(station.connectors)),
            )
            if limit is not None
        ]
        if (share := self._group_share_w(station, connector)) is not None:
            caps.append(share)
        return min(caps) if caps else None

    def _own_cap_w(self, station: SimStation, connector: SimConnector) -> float:
        """What a connector may draw by its own and its station's limits (W)."""
        caps = [connector.max_power_kw * 1000, connector.cycle.max_power_w]
        if connector.limit_kw is not None:
            caps.append(connector.limit_kw * 1000)
        if station.limit_kw is not None:
            caps.append(station.limit_kw * 1000 / max(1, len(station.connectors)))
        return min(caps)

    def _group_stations(self, group: SimPowerGroup) -> list[SimStation]:
        """The stations a group's limit binds: its own and its subgroups'."""
        found = [self.stations[sid] for sid in group.station_ids if sid in self.stations]
        for child in self.power_groups.values():
            if child.parent_id == group.group_id:
                found += self._group_stations(child)
        return found

    def _group_share_w(self, station: SimStation, connector: SimConnector) -> float | None:
        """The connector's share of every group its station is in, by demand (W).

        Only charging connectors demand power; each gets the group's limit in proportion
        to what it would draw, the tightest group counting.
        """
        now = self.clock.now()
        shares: list[float] = []
        for group in self.power_groups.values():
            members = self._group_stations(group)
            if station not in members:
                continue
            demand = {
                (member.station_id, other.local_id): self._own_cap_w(member, other)
                for member in members
                for other in member.connectors
                if other.operative and other.cycle.reading(now).phase is Phase.CHARGING
            }
            total = sum(demand.values())
            mine = demand.get((station.station_id, connector.local_id))
            if mine is not None and total > group.limit_kw * 1000:
                shares.append(group.limit_kw * 1000 * mine / total)
        return min(shares) if shares else None

    def _previous_session(self, connector: SimConnector, now: float) -> Reading | None:
        """The reading at the end of the connector's previous session, if there was one."""
        cycle = connector.cycle
        t = max(0.0, now + cycle.offset_s)
        into = t % cycle.times.period
        if t < cycle.times.period:
            return None
        return cycle.reading(now - into - 0.001)

    @staticmethod
    def _tx_id(station: SimStation, connector: SimConnector, reading: Reading) -> str:
        return _tx_name(station, connector, reading.session_number)

    def _id_token_fields(
        self, tx_id: str, connector: SimConnector, reading: Reading
    ) -> dict[str, Any]:
        """The transaction's id token, written the way ``tag_reading`` says."""
        if self.tag_reading == "none":
            return {}
        card = sim_card(reading.session_number, connector.number)
        token, token_type = self.tx_tokens.get(tx_id, (card, "RFID"))
        if self.tag_reading == "string":
            return {"idToken": token, "idTokenType": token_type}
        if self.tag_reading == "object":
            return {"idToken": None if token is None else {"idToken": token, "type": token_type}}
        if self.tag_reading == "authorization_token":
            return {"authorizationToken": token}
        return {"idTag": token}

    def _transaction(
        self, station: SimStation, connector: SimConnector, reading: Reading, status: str
    ) -> dict[str, Any]:
        tx_id = self._tx_id(station, connector, reading)
        if tx_id in station.stopped:
            status = "Ended"
        charging = status == "Charging"
        start = self._now_utc(-reading.session_s).replace(microsecond=0)
        started = start.isoformat().replace("+00:00", "Z")
        if self.transaction_reading == "reference":
            started = start.replace(tzinfo=None).isoformat()
        return {
            "transactionId" if self.transaction_reading == "reference" else "txId": tx_id,
            "status": status,
            "chargedEnergyKwh": round(reading.session_wh / 1000, 3),
            "powerKw": round(reading.power_w / 1000, 2) if charging else 0.0,
            "soc": reading.soc if station.kind == "dc" else None,
            "startTime": started,
            **self._id_token_fields(tx_id, connector, reading),
        }

    def _render_connector(self, station: SimStation, connector: SimConnector) -> dict[str, Any]:
        now = self.clock.now()
        cap = self._connector_cap_w(station, connector)
        running = connector.cycle.reading(now)
        tx_limit = self.tx_limits_kw.get(self._tx_id(station, connector, running))
        if tx_limit is not None:
            cap = tx_limit * 1000 if cap is None else min(cap, tx_limit * 1000)
        # A limit acts from now on: the energy a running transaction has charged stands.
        connector.cycle.set_cap(cap, now)
        reading = connector.cycle.reading(now)
        offline = now < station.offline_until
        latest: dict[str, Any] | None = None
        if reading.phase is Phase.IDLE or offline or not connector.operative:
            previous = self._previous_session(connector, now)
            if previous is not None:
                latest = self._transaction(station, connector, previous, "Ended")
            if offline:
                status = "Unknown"
            elif not connector.operative:
                status = "Unavailable"
            else:
                status = "Available"
        else:
            waiting = "InsulationTest" if station.kind == "dc" else "PluggedInIdle"
            tx_status = {
                Phase.CONNECTED: waiting,
                Phase.CHARGING: "Charging",
                Phase.FINISHED: "PluggedInIdle",
            }[reading.phase]
            latest = self._transaction(station, connector, reading, tx_status)
            status = "Charging" if latest["status"] == "Charging" else "Occupied"
        actual = connector.max_power_kw
        cap = connector.cycle.cap_w
        if cap is not None:
            actual = min(actual, round(cap / 1000, 2))
        return {
            "connectorId": self.listed_id(station, connector),
            "name": connector.name,
            "status": status,
            "type": connector.plug,
            "maxPowerKw": connector.max_power_kw,
            "maxPowerKwActual": actual,
            "latestTransaction": latest,
        }

    def render_station(self, station: SimStation) -> dict[str, Any]:
        """One StationInfo object as ``GET /stations`` lists it."""
        now = self.clock.now()
        if station.restart_on_idle and not self._busy(station):
            station.restart_on_idle = False
            station.offline_until = now + RESTART_S
        connectors = [self._render_connector(station, c) for c in station.connectors]
        power_kw = round(
            sum(
                (c["latestTransaction"] or {}).get("powerKw") or 0.0
                for c in connectors
                if c["status"] == "Charging"
            ),
            2,
        )
        if station.kind == "ac":
            current_a = round(power_kw * 1000 / AC_VOLTAGE / 3, 1)
        else:
            current_a = round(power_kw * 1000 / (math.sqrt(3) * INPUT_VOLTAGE * 0.95), 1)
        return {
            "stationId": station.station_id,
            "name": station.name,
            "model": station.model,
            "serialNumber": station.serial,
            "status": station.status,
            "onlineStatus": "Offline" if now < station.offline_until else "Online",
            "maxPowerKw": station.max_power_kw,
            "currentPowerKw": power_kw,
            "currentPowerA": current_a,
            "maxPowerA": station.max_power_a,
            "acDcPowerRatio": 0.95 if station.kind == "dc" else 1.0,
            "location": station.location,
            "connectors": connectors,
        }

    def _busy(self, station: SimStation) -> bool:
        now = self.clock.now()
        return any(
            c.operative and c.cycle.reading(now).phase is Phase.CHARGING for c in station.connectors
        )

    # -- HTTP ----------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """The token exchange, the station list and every charger operation."""
        evse = PREFIX + "/chargingStations/{station}/evses/{evse}"
        station = PREFIX + "/chargingStations/{station}"
        app.router.add_get(PREFIX + "/auth/refreshAccessToken", self._guard(self._token, False))
        app.router.add_get(PREFIX + "/stations", self._guard(self._stations))
        app.router.add_put(station + "/powerLimit", self._guard(self._station_limit))
        app.router.add_delete(station + "/powerLimit", self._guard(self._station_limit))
        app.router.add_put(evse + "/powerLimit", self._guard(self._connector_limit))
        app.router.add_delete(evse + "/powerLimit", self._guard(self._connector_limit))
        app.router.add_put(evse + "/availability", self._guard(self._availability))
        app.router.add_post(station + "/reset", self._guard(self._reset))
        app.router.add_post(evse + "/transactions", self._guard(self._start))
        app.router.add_post(PREFIX + "/transactions/{tx}/stop", self._guard(self._stop))
        app.router.add_put(PREFIX + "/transactions/{tx}/powerLimit", self._guard(self._tx_limit))
        app.router.add_delete(PREFIX + "/transactions/{tx}/powerLimit", self._guard(self._tx_limit))
        app.router.add_put(station + "/chargingProfile", self._guard(self._station_profile))
        app.router.add_delete(
            station + "/chargingProfile", self._guard(self._clear_station_profiles)
        )
        app.router.add_put(evse + "/chargingProfile", self._guard(self._connector_profile))
        app.router.add_get(PREFIX + "/loadBalancing/powerGroups", self._guard(self._power_groups))
        app.router.add_patch(
            PREFIX + "/loadBalancing/powerGroup/{group}", self._guard(self._patch_power_group)
        )

    def _guard(self, handler: Handler, needs_jwt: bool = True) -> Handler:
        """Answer 429 while rate limited and 401 without a valid JWT before ``handler``."""

        async def guarded(request: web.Request) -> web.Response:
            remaining = self.rate_limited_until - self.clock.now()
            if remaining > 0:
                return web.json_response(
                    {"message": "Too Many Requests"},
                    status=429,
                    headers={"Retry-After": str(math.ceil(remaining))},
                )
            if needs_jwt:
                scheme, _, token = request.headers.get("Authorization", "").partition(" ")
                if scheme != "Bearer" or not self.token_valid(token):
                    return web.json_response({"message": "Unauthorized"}, status=401)
                station = self.stations.get(request.match_info.get("station", ""))
                if station is not None and station.forbidden:
                    # The document's 401 also means "user has no permission".
                    return web.json_response({"message": "Unauthorized"}, status=401)
            return await handler(request)

        return guarded

    async def _token(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.refresh_token}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        token, valid_until = self.issue_token()
        return web.json_response(
            {
                "token": token,
                "validUntil": valid_until.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
        )

    async def _stations(self, request: web.Request) -> web.Response:
        location = request.query.get("locationUid")
        wanted = request.query.get("stationIds")
        only = None if wanted is None else set(wanted.split(","))
        stations = [
            self.render_station(station)
            for station in self.stations.values()
            if (location is None or station.location["locationUid"] == location)
            and (only is None or station.station_id in only)
        ]
        return web.json_response({"stations": stations})

    def render_group(self, group: SimPowerGroup) -> dict[str, Any]:
        """One group with its subgroups, written the way ``group_shape`` says."""
        shape = self.group_shape
        rendered: dict[str, Any] = {"groupId": group.group_id, "name": group.name}
        limit_field = "maxCurrentA" if group.limitation == "InputCurrent" else "maxPowerKw"
        if shape != "list":
            rendered["limitationType"] = group.limitation
        rendered.update(
            {
                limit_field: group.limit,
                "timeThresholdToIncreasePowerSeconds": 30,
                "reservationMarginForActiveChargersKw": 2,
                "actualSiteFuseSize": 630,
                "allocateFullCapacity": False,
                "defaultMinPowerReservationKw": 5,
                "defaultOfflinePowerKw": 10,
            }
        )
        ids = list(group.station_ids)
        children = [
            child for child in self.power_groups.values() if child.parent_id == group.group_id
        ]
        if shape == "tree":
            rendered["chargers"] = ids
            rendered["subGroups"] = {c.group_id: self.render_group(c) for c in children}
        elif shape == "tree_list":
            rendered["stations"] = [{"stationId": sid, "name": sid} for sid in ids]
            rendered["children"] = [self.render_group(c) for c in children]
        elif shape == "list":
            rendered["stationIds"] = ids
            rendered["groups"] = [self.render_group(c) for c in children]
        else:
            rendered["chargingStations"] = {sid: {"online": True} for sid in ids}
            rendered["subgroups"] = [self.render_group(c) for c in children]
        return rendered

    async def _power_groups(self, request: web.Request) -> web.Response:
        """The top-level groups (each with its subgroups)."""
        if self.groups_answer == "none":
            return web.json_response({"message": "Not Found"}, status=404)
        if self.groups_answer == "forbidden":
            return web.json_response({"message": "Forbidden"}, status=403)
        if self.groups_answer == "garbage":
            return web.Response(text="<html>maintenance</html>", content_type="text/html")
        top = [group for group in self.power_groups.values() if group.parent_id is None]
        if self.group_shape == "tree":
            return web.json_response({"tree": {g.group_id: self.render_group(g) for g in top}})
        listed = [self.render_group(group) for group in top]
        if self.group_shape == "tree_list":
            return web.json_response({"tree": listed})
        if self.group_shape == "keyed":
            return web.json_response({"powerGroups": listed})
        return web.json_response(listed)

    async def _patch_power_group(self, request: web.Request) -> web.Response:
        """A partial update: ``{"group": {"maxCurrentA": 480}}`` answers ``{"success": true}``."""
        group = self.power_groups.get(request.match_info["group"])
        entry = await self._record(request, "power_group")
        if group is None:
            return web.json_response({"message": "Power group not found"}, status=404)
        if "power_group" in self.rejected:
            return web.json_response({"success": False, "message": "simulated refusal"})
        body = entry["body"]
        fields = body.get("group") if isinstance(body, dict) else None
        limit_field = "maxCurrentA" if group.limitation == "InputCurrent" else "maxPowerKw"
        value = fields.get(limit_field) if isinstance(fields, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            return web.json_response(
                {"success": False, "message": f"{limit_field} must be a number"}, status=400
            )
        group.limit = float(value)
        return web.json_response({"success": True})

    def add_power_group(
        self,
        group_id: str,
        station_ids: list[str],
        *,
        limitation: str = "InputCurrent",
        limit: float = 400.0,
        name: str | None = None,
        parent_id: str | None = None,
    ) -> SimPowerGroup:
        """A power group of these stations (a subgroup of ``parent_id``)."""
        if limitation not in ("InputCurrent", "OutputPower"):
            raise ValueError("limitation must be InputCurrent or OutputPower")
        group = SimPowerGroup(
            group_id, name or f"Group {group_id}", limitation, limit, station_ids, parent_id
        )
        self.power_groups[group_id] = group
        return group

    def _station_or_404(self, request: web.Request) -> SimStation:
        station = self.stations.get(request.match_info["station"])
        if station is None:
            raise web.HTTPNotFound(
                text=json.dumps({"message": "Charging station not found"}),
                content_type="application/json",
            )
        return station

    def _connector_or_404(self, request: web.Request) -> tuple[SimStation, SimConnector]:
        """The connector the path's ``evseId`` names, read the way this variant reads it."""
        station = self._station_or_404(request)
        evse = request.match_info["evse"]
        if self.variant == "number" and not evse.isdigit():
            raise web.HTTPBadRequest(
                text=json.dumps({"message": "evseId must be a number"}),
                content_type="application/json",
            )
        for connector in station.connectors:
            wanted = (
                str(connector.number)
                if self.variant == "number"
                else self.listed_id(station, connector)
            )
            if evse == wanted:
                return station, connector
        raise web.HTTPNotFound(
            text=json.dumps({"message": "Connector not found"}), content_type="application/json"
        )

    async def _record(self, request: web.Request, operation: str) -> dict[str, Any]:
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except json.JSONDecodeError as err:
                raise web.HTTPBadRequest(text='{"message":"invalid JSON"}') from err
        entry = {
            "operation": operation,
            "method": request.method,
            "path": request.path.removeprefix(PREFIX),
            "query": dict(request.query),
            "body": body,
        }
        self.commands.append(entry)
        return entry

    @staticmethod
    def _limit_kw(body: Any) -> float:
        """A limit body in kW; amperes convert at three phases of 230 V."""
        limit = body.get("limit") if isinstance(body, dict) else None
        if not isinstance(limit, dict) or len(limit) != 1:
            raise web.HTTPBadRequest(
                text='{"message":"limit needs exactly one value"}', content_type="application/json"
            )
        ((name, value),) = limit.items()
        if not isinstance(value, int | float) or value < 0:
            raise web.HTTPBadRequest(
                text='{"message":"limit must be a positive number"}',
                content_type="application/json",
            )
        if name == "acMaxPowerA":
            return float(value) * AC_VOLTAGE * 3 / 1000
        if name in ("acMaxPowerKw", "dcMaxPowerKw"):
            return float(value)
        raise web.HTTPBadRequest(
            text='{"message":"unknown limit"}', content_type="application/json"
        )

    def _profile_answer(self, operation: str) -> web.Response:
        if operation in self.rejected:
            return web.json_response(
                {"response": "Rejected", "statusInfo": {"reasonCode": "SimulatedRejection"}}
            )
        return web.json_response({"response": "Accepted"})

    async def _station_limit(self, request: web.Request) -> web.Response:
        return await self._set_limit(request, self._station_or_404(request))

    async def _connector_limit(self, request: web.Request) -> web.Response:
        _, connector = self._connector_or_404(request)
        return await self._set_limit(request, connector)

    async def _set_limit(self, request: web.Request, target: Any) -> web.Response:
        """PUT sets, DELETE clears the ``limit_kw`` of a station or a connector."""
        clearing = request.method == "DELETE"
        operation = "clear_power_limit" if clearing else "power_limit"
        entry = await self._record(request, operation)
        if operation in self.rejected:
            return self._profile_answer(operation)
        if clearing:
            if target.limit_kw is None:
                return web.json_response({"response": "Unknown"})
            target.limit_kw = None
        else:
            target.limit_kw = self._limit_kw(entry["body"])
        return self._profile_answer(operation)

    async def _availability(self, request: web.Request) -> web.Response:
        station, connector = self._connector_or_404(request)
        entry = await self._record(request, "availability")
        wanted = (entry["body"] or {}).get("type") if isinstance(entry["body"], dict) else None
        reason = entry["body"].get("disableTextReason") if isinstance(entry["body"], dict) else None
        if wanted not in ("Operative", "Inoperative") or not isinstance(reason, str | None):
            raise web.HTTPBadRequest(
                text='{"message":"type must be Operative or Inoperative"}',
                content_type="application/json",
            )
        if "availability" in self.rejected or self.clock.now() < station.offline_until:
            return web.json_response({"responseFromStation": "Rejected"})
        connector.operative = wanted == "Operative"
        return web.json_response({"responseFromStation": "Accepted"})

    async def _reset(self, request: web.Request) -> web.Response:
        station = self._station_or_404(request)
        entry = await self._record(request, "reset")
        wanted = (entry["body"] or {}).get("type") if isinstance(entry["body"], dict) else None
        if wanted not in ("Immediate", "OnIdle"):
            raise web.HTTPBadRequest(
                text='{"message":"type must be Immediate or OnIdle"}',
                content_type="application/json",
            )
        if "reset" in self.rejected:
            return web.json_response({"responseFromStation": "Rejected"})
        if wanted == "OnIdle" and self._busy(station):
            station.restart_on_idle = True
            return web.json_response({"responseFromStation": "Scheduled"})
        station.offline_until = self.clock.now() + RESTART_S
        return web.json_response({"responseFromStation": "Accepted"})

    async def _start(self, request: web.Request) -> web.Response:
        station, connector = self._connector_or_404(request)
        entry = await self._record(request, "start")
        body = entry["body"]
        # The document allows idToken null (a start without a token); a non-text one is bad.
        if not isinstance(body, dict) or not isinstance(body.get("idToken", ""), str | None):
            raise web.HTTPBadRequest(
                text='{"message":"idToken must be a string or null"}',
                content_type="application/json",
            )
        accepted = (
            "start" not in self.rejected
            and connector.operative
            and self.clock.now() >= station.offline_until
        )
        if accepted:
            # The token goes to the session waiting to charge, else to the next one.
            reading = connector.cycle.reading(self.clock.now())
            number = reading.session_number + (0 if reading.phase is Phase.CONNECTED else 1)
            token = body.get("idToken")
            token_type = body.get("idTokenType", "APP_USER") if token is not None else None
            self.tx_tokens[_tx_name(station, connector, number)] = (token, token_type)
        status = "Accepted" if accepted else "Rejected"
        return web.json_response({"transactionStartResponse": {"status": status}})

    async def _stop(self, request: web.Request) -> web.Response:
        tx_id = request.match_info["tx"]
        await self._record(request, "stop")
        for station in self.stations.values():
            for connector in station.connectors:
                latest = self._render_connector(station, connector)["latestTransaction"]
                if latest is None or _listed_tx_id(latest) != tx_id:
                    continue
                if "stop" in self.rejected or latest["status"] == "Ended":
                    return web.json_response({"transactionStopResponse": {"status": "Rejected"}})
                station.stopped.add(tx_id)
                return web.json_response({"transactionStopResponse": {"status": "Accepted"}})
        return web.json_response({"message": "Transaction not found"}, status=404)

    def _running_tx(self, tx_id: str) -> tuple[SimStation, dict[str, Any]] | None:
        """The station and the listed transaction ``tx_id`` while it has not ended."""
        for station in self.stations.values():
            for connector in station.connectors:
                latest = self._render_connector(station, connector)["latestTransaction"]
                if latest is not None and _listed_tx_id(latest) == tx_id:
                    return (station, latest) if latest["status"] != "Ended" else None
        return None

    async def _tx_limit(self, request: web.Request) -> web.Response:
        """PUT sets, DELETE clears the limit of a running transaction."""
        tx_id = request.match_info["tx"]
        clearing = request.method == "DELETE"
        operation = "clear_power_limit" if clearing else "power_limit"
        entry = await self._record(request, operation)
        if self._running_tx(tx_id) is None:
            return web.json_response({"message": "Transaction not found"}, status=404)
        if operation in self.rejected:
            return self._profile_answer(operation)
        if clearing:
            if self.tx_limits_kw.pop(tx_id, None) is None:
                return web.json_response({"response": "Unknown"})
        else:
            self.tx_limits_kw[tx_id] = self._limit_kw(entry["body"])
        return self._profile_answer(operation)

    async def _station_profile(self, request: web.Request) -> web.Response:
        station = self._station_or_404(request)
        return await self._set_profile(request, station.station_id)

    async def _clear_station_profiles(self, request: web.Request) -> web.Response:
        """Remove the station's profiles (one by id, or all); Unknown when none matched."""
        station = self._station_or_404(request)
        await self._record(request, "clear_charging_profile")
        if "clear_charging_profile" in self.rejected:
            raise web.HTTPForbidden(
                text='{"message":"not permitted for this station"}',
                content_type="application/json",
            )
        prefix = station.station_id
        matched = [key for key in self.profiles if key == prefix or key.startswith(prefix + "/")]
        for key in matched:
            del self.profiles[key]
        return web.json_response({"response": "Accepted" if matched else "Unknown"})

    async def _connector_profile(self, request: web.Request) -> web.Response:
        station, connector = self._connector_or_404(request)
        return await self._set_profile(request, f"{station.station_id}/{connector.number}")

    async def _set_profile(self, request: web.Request, target: str) -> web.Response:
        """Keep a ChargingProfile that has the OCPP 2.0.1 essentials; answer like the document."""
        entry = await self._record(request, "charging_profile")
        body = entry["body"]
        profile = body.get("chargingProfile") if isinstance(body, dict) else None
        if not isinstance(profile, dict) or not isinstance(profile.get("chargingSchedule"), list):
            raise web.HTTPBadRequest(
                text='{"message":"chargingProfile with chargingSchedule required"}',
                content_type="application/json",
            )
        if "charging_profile" in self.rejected:
            return web.json_response(
                {
                    "response": "Rejected",
                    "statusInfo": {"reasonCode": "InvalidSchedule", "additionalInfo": "simulated"},
                }
            )
        self.profiles[target] = profile
        return web.json_response({"response": "Accepted", "statusInfo": {"reasonCode": "NoError"}})

    # -- control -------------------------------------------------------------------

    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Knobs for tests and developers (see the class docstring)."""
        if action == "reject":
            operations = params.get("operations", [])
            if operations == "all":
                operations = list(OPERATIONS)
            unknown = set(operations) - set(OPERATIONS)
            if unknown:
                raise ValueError(f"unknown operations {sorted(unknown)}")
            self.rejected = set(operations)
        elif action == "rate_limit":
            self.rate_limited_until = self.clock.now() + float(params.get("seconds", 60))
        elif action == "revoke_tokens":
            self.revoked_up_to = self.tokens_issued
        elif action == "set_refresh_token":
            self.refresh_token = str(params["token"])
        elif action == "add_station":
            return {"station_id": self.add_station(str(params.get("kind", "dc"))).station_id}
        elif action == "remove_station":
            if self.stations.pop(str(params.get("station_id")), None) is None:
                raise ValueError("no such station")
        elif action == "add_power_group":
            self.add_power_group(
                str(params["group_id"]),
                [str(station_id) for station_id in params.get("station_ids", [])],
                limitation=str(params.get("limitation", "InputCurrent")),
                limit=float(params.get("limit", 400.0)),
                parent_id=params.get("parent_id"),
            )
        elif action == "groups_answer":
            answer = str(params.get("answer"))
            if answer not in GROUP_ANSWERS:
                raise ValueError(f"answer must be one of {GROUP_ANSWERS}")
            self.groups_answer = answer
        elif action == "tag_reading":
            self.tag_reading = _checked_tag_reading(str(params.get("reading")))
        elif action == "set_station":
            station = self.stations.get(str(params.get("station_id")))
            if station is None:
                raise ValueError("no such station")
            station.status = str(params.get("status", station.status))
            station.forbidden = bool(params.get("forbidden", station.forbidden))
        else:
            raise KeyError(action)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        """Stations as listed, operator limits and the commands received."""
        return {
            "kind": self.kind,
            "now": self.clock.now(),
            "organization_id": self.organization_id,
            "tokens_issued": self.tokens_issued,
            "rejected": sorted(self.rejected),
            "stations": [self.render_station(station) for station in self.stations.values()],
            "variant": self.variant,
            "tag_reading": self.tag_reading,
            "transaction_limits_kw": dict(self.tx_limits_kw),
            "profiles": self.profiles,
            "power_groups": {
                group_id: {"limit": group.limit, "limitation": group.limitation}
                for group_id, group in self.power_groups.items()
            },
            "limits_kw": {
                station.station_id: {
                    "station": station.limit_kw,
                    **{self.listed_id(station, c): c.limit_kw for c in station.connectors},
                }
                for station in self.stations.values()
            },
            "commands": self.commands,
        }
