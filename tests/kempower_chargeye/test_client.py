"""The ChargEye client against the simulated cloud over HTTP: every endpoint and error branch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.evse_bridge.api import (
    EvseAuthenticationError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseResponseError,
)
from custom_components.evse_bridge.api.http import HttpAnswer
from custom_components.evse_bridge.api.kempower_chargeye import (
    DEFAULT_TOKEN_LIFETIME_S,
    TOKEN_RENEW_MARGIN_S,
    ChargEyeClient,
    ConnectorStatus,
    ConnectorType,
    LimitUnit,
    OnlineStatus,
    ResetType,
    StationStatus,
    TransactionStatus,
    _check_status,
    _raise_for_status,
    jwt_claims,
    parse_stations,
)
from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.kempower_chargeye import ChargEyeDevice

from ..conftest import SimServer, StartSimulator
from .conftest import EPOCH, utc_of

TOKEN_PATH = "GET /api/auth/refreshAccessToken"
STATIONS_PATH = "GET /api/stations"
MakeClient = Callable[..., ChargEyeClient]


async def control(sim: SimServer, action: str, **params: Any) -> None:
    """Use a simulator knob directly (no request is counted)."""
    sim.device.control(action, params)


def charging_connector(device: ChargEyeDevice) -> tuple[str, str, str]:
    """Station id, connector id and transaction id of a connector that charges now."""
    for station in device.stations.values():
        rendered = device.render_station(station)
        for connector in rendered["connectors"]:
            if connector["status"] == "Charging":
                return (
                    station.station_id,
                    connector["connectorId"],
                    connector["latestTransaction"]["txId"],
                )
    raise AssertionError("nothing charges")


# -- reading the account -------------------------------------------------------


async def test_stations_parsed(sim: SimServer, make_client: MakeClient, clock: SimClock) -> None:
    clock.advance(600)
    client = make_client()
    stations = await client.get_stations()
    assert [s.station_id for s in stations] == ["KEMDC-0001", "KEMDC-0002", "KEMAC-0001"]
    dc, dc2, ac = stations
    assert dc.name == "Depot charger 1"
    assert dc.model == "Kempower Satellite S-Series"
    assert dc.serial_number == "KP2300017"
    assert dc.status is StationStatus.OPERATIVE
    assert dc.online_status is OnlineStatus.ONLINE
    assert dc.max_power_kw == 300.0
    assert dc.location is not None
    assert dc.location.uid == "loc-depot"
    assert dc.location.name == "Bus depot"
    assert not dc.is_ac
    assert dc.limit_unit is LimitUnit.DC_KILOWATT
    assert ac.is_ac
    assert ac.limit_unit is LimitUnit.AC_AMPERE
    assert ac.max_power_a == 64.0
    assert [c.connector_type for c in dc2.connectors] == [ConnectorType.CCS, ConnectorType.CHADEMO]
    assert [c.connector_id for c in ac.connectors] == ["1", "2"]
    assert ac.connector("2") is ac.connectors[1]
    assert ac.connector("9") is None
    assert ac.connectors[0].is_ac
    assert not dc.connectors[0].is_ac
    # Station output is the sum of its charging connectors.
    assert dc.current_power_kw == pytest.approx(sum(c.power_kw or 0 for c in dc.connectors))
    assert dc.current_power_a is not None
    charging = [c for s in stations for c in s.connectors if c.status is ConnectorStatus.CHARGING]
    assert charging
    for connector in charging:
        running = connector.running_transaction
        assert running is not None
        assert running.status is TransactionStatus.CHARGING
        assert running.power_kw == connector.power_kw
        assert running.power_kw is not None
        assert running.power_kw > 0
        assert running.energy_kwh is not None
        assert running.start_time is not None
        assert running.start_time < EPOCH + timedelta(seconds=600)
    dc_charging = next(c for c in charging if c.connector_id.startswith("KEMDC"))
    assert dc_charging.running_transaction is not None
    assert dc_charging.running_transaction.soc is not None
    assert "stations" in client.raw_payloads
    # Diagnostics keep the shape of the token answer, never the JWT.
    assert set(client.raw_payloads["token_exchange"]) == {"validUntil"}


async def test_transactions_progress_and_end(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    client = make_client()
    seen: set[TransactionStatus | None] = set()
    energies: dict[str | None, list[float]] = {}
    for _ in range(60):
        station = (await client.get_stations())[0]
        connector = station.connectors[0]
        if connector.latest_transaction is not None:
            seen.add(connector.latest_transaction.status)
        if connector.running_transaction is not None and connector.status in (
            ConnectorStatus.CHARGING,
        ):
            running = connector.running_transaction
            energies.setdefault(running.transaction_id, []).append(running.energy_kwh or 0.0)
        if connector.running_transaction is None:
            assert connector.power_kw == 0.0
        clock.advance(60)
    assert {
        TransactionStatus.INSULATION_TEST,
        TransactionStatus.CHARGING,
        TransactionStatus.PLUGGED_IN_IDLE,
        TransactionStatus.ENDED,
    } <= seen
    assert len(energies) >= 2  # a session lasts about half an hour
    for session_energies in energies.values():
        assert session_energies == sorted(session_energies)
        assert session_energies[-1] > session_energies[0]


async def test_location_filter(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    stations = await client.get_stations("loc-office")
    assert [s.station_id for s in stations] == ["KEMAC-0001"]
    assert await client.get_stations("loc-nowhere") == []


async def test_stations_appear_and_disappear(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    assert len(await client.get_stations()) == 3
    await control(sim, "add_station", kind="ac")
    await control(sim, "remove_station", station_id="KEMDC-0001")
    ids = [s.station_id for s in await client.get_stations()]
    assert ids == ["KEMDC-0002", "KEMAC-0001", "KEMAC-0002"]


# -- tokens -----------------------------------------------------------------------


async def test_one_token_exchange_per_eight_hours_of_polling(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    assert isinstance(sim.device, ChargEyeDevice)
    # One station keeps 1440 polls quick; the token logic does not depend on the account's size.
    for station_id in ("KEMDC-0002", "KEMAC-0001"):
        sim.device.stations.pop(station_id)
    client = make_client()
    for _ in range(24 * 60):
        await client.get_stations()
        clock.advance(60)
    # Renewed 5 min before each 8 h expiry: at 0:00, 7:55, 15:50 and 23:45.
    assert sim.requests(TOKEN_PATH) == 4
    assert client.token_exchanges == 4
    assert sim.requests(STATIONS_PATH) == 24 * 60
    assert sim.requests() == 24 * 60 + 4


async def test_concurrent_calls_share_one_exchange(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    await asyncio.gather(client.get_stations(), client.get_stations(), client.get_stations())
    assert sim.requests(TOKEN_PATH) == 1


async def test_revoked_token_renewed_once_and_retried(
    sim: SimServer, make_client: MakeClient
) -> None:
    client = make_client()
    await client.get_stations()
    await control(sim, "revoke_tokens")
    assert len(await client.get_stations()) == 3
    assert sim.requests(TOKEN_PATH) == 2
    assert sim.requests(STATIONS_PATH) == 3  # one refused, one retried


async def test_rejected_refresh_token_is_authentication_error(
    sim: SimServer, make_client: MakeClient
) -> None:
    client = make_client("not-the-token")
    with pytest.raises(EvseAuthenticationError) as info:
        await client.get_stations()
    assert "not-the-token" not in str(info.value)
    assert sim.requests(STATIONS_PATH) == 0
    # A refresh token revoked later: the 401 renewal fails -> reauthentication.
    client = make_client()
    await client.get_stations()
    await control(sim, "set_refresh_token", token="rotated")
    await control(sim, "revoke_tokens")
    with pytest.raises(EvseAuthenticationError):
        await client.get_stations()


class _NoPermissionDevice(ChargEyeDevice):
    """Issues JWTs that the API never accepts (user without permission)."""

    def token_valid(self, token: str) -> bool:
        return False


async def test_fresh_token_refused_is_authentication_error(
    start_simulator: StartSimulator, session: aiohttp.ClientSession, clock: SimClock
) -> None:
    sim = await start_simulator(_NoPermissionDevice(clock, epoch=EPOCH))
    client = ChargEyeClient(
        session,
        "chargeye-sim-refresh-token",
        base_url=f"{sim.url}/api",
        monotonic=clock.now,
        utcnow=utc_of(clock),
    )
    with pytest.raises(EvseAuthenticationError):
        await client.get_stations()
    assert sim.requests(TOKEN_PATH) == 2
    assert sim.requests(STATIONS_PATH) == 2


async def test_account_id_from_jwt(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    assert await client.account_id() == "org-5e0c7d21"
    assert sim.requests(STATIONS_PATH) == 0


# -- rate limits and back-off ---------------------------------------------------------


async def test_retry_after_respected(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    client = make_client()
    await client.get_stations()
    await control(sim, "rate_limit", seconds=120)
    with pytest.raises(EvseRateLimitedError) as info:
        await client.get_stations()
    assert info.value.retry_after == 120
    assert sim.requests(STATIONS_PATH) == 2
    clock.advance(60)
    with pytest.raises(EvseRateLimitedError) as info:
        await client.get_stations()
    assert info.value.retry_after == pytest.approx(60)
    with pytest.raises(EvseRateLimitedError):
        await client.restart_station("KEMDC-0001", ResetType.IMMEDIATE)
    assert client.rate_limited_for == pytest.approx(60)
    # Nothing was sent while the Retry-After ran.
    assert sim.requests(STATIONS_PATH) == 2
    assert sim.requests() == 3
    clock.advance(60)
    assert len(await client.get_stations()) == 3
    assert sim.requests(STATIONS_PATH) == 3


async def test_retry_after_on_token_exchange(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    await control(sim, "rate_limit", seconds=30)
    client = make_client()
    with pytest.raises(EvseRateLimitedError):
        await client.get_stations()
    with pytest.raises(EvseRateLimitedError):
        await client.account_id()
    assert sim.requests() == 1
    clock.advance(30)
    assert await client.account_id() == "org-5e0c7d21"


async def test_poll_backs_off_after_failures(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    client = make_client()
    await client.get_stations()
    sim.device.faults.update({"mode": "http_500"})
    with pytest.raises(EvseConnectionError):
        await client.get_stations()
    assert sim.requests(STATIONS_PATH) == 2
    with pytest.raises(EvseConnectionError, match="backing off"):
        await client.get_stations()
    assert sim.requests(STATIONS_PATH) == 2
    assert client.poll_backoff_for == 30
    clock.advance(30)
    with pytest.raises(EvseConnectionError):
        await client.get_stations()
    assert sim.requests(STATIONS_PATH) == 3
    assert client.poll_backoff_for == 60
    clock.advance(59)
    with pytest.raises(EvseConnectionError, match="backing off"):
        await client.get_stations()
    # Commands are the user's, sent once each: they are not held back by the poll's back-off.
    with pytest.raises(EvseConnectionError):
        await client.restart_station("KEMDC-0001", ResetType.ON_IDLE)
    sim.device.faults.update({"mode": "none"})
    clock.advance(1)
    assert len(await client.get_stations()) == 3
    assert client.poll_backoff_for == 0
    # The back-off is capped.
    sim.device.faults.update({"mode": "garbage"})
    for _ in range(8):
        with pytest.raises(EvseResponseError):
            await client.get_stations()
        clock.advance(client.poll_backoff_for)
    sim.device.faults.update({"mode": "garbage"})
    with pytest.raises(EvseResponseError):
        await client.get_stations()
    assert client.poll_backoff_for == 600


@pytest.mark.parametrize("mode", ["truncated", "drop"])
async def test_transport_failures(
    sim: SimServer, make_client: MakeClient, clock: SimClock, mode: str
) -> None:
    client = make_client()
    await client.get_stations()
    sim.device.faults.update({"mode": mode})
    with pytest.raises(EvseConnectionError):
        await client.get_stations()


async def test_token_exchange_server_error(sim: SimServer, make_client: MakeClient) -> None:
    sim.device.faults.update({"mode": "http_500"})
    with pytest.raises(EvseConnectionError):
        await make_client().account_id()


# -- commands ------------------------------------------------------------------------


async def test_power_limits(sim: SimServer, make_client: MakeClient, clock: SimClock) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    await client.set_station_power_limit("KEMDC-0001", 150, LimitUnit.DC_KILOWATT)
    await client.set_connector_power_limit(
        "KEMDC-0001", "KEMDC-0001_connector1", 50, LimitUnit.DC_KILOWATT
    )
    await client.set_station_power_limit("KEMAC-0001", 32, LimitUnit.AC_AMPERE)
    await client.set_connector_power_limit("KEMAC-0001", "2", 7.4, LimitUnit.AC_KILOWATT)
    assert [(c["method"], c["path"], c["body"]) for c in device.commands] == [
        ("PUT", "/chargingStations/KEMDC-0001/powerLimit", {"limit": {"dcMaxPowerKw": 150}}),
        (
            "PUT",
            "/chargingStations/KEMDC-0001/evses/KEMDC-0001_connector1/powerLimit",
            {"limit": {"dcMaxPowerKw": 50}},
        ),
        ("PUT", "/chargingStations/KEMAC-0001/powerLimit", {"limit": {"acMaxPowerA": 32}}),
        (
            "PUT",
            "/chargingStations/KEMAC-0001/evses/2/powerLimit",
            {"limit": {"acMaxPowerKw": 7.4}},
        ),
    ]
    station = (await client.get_stations())[0]
    assert station.connectors[0].max_power_kw_actual == 50
    assert station.connectors[0].max_power_kw == 200
    await client.clear_connector_power_limit("KEMDC-0001", "KEMDC-0001_connector1")
    await client.clear_station_power_limit("KEMDC-0001")
    # Clearing what is not set answers Unknown: nothing left to clear is success.
    await client.clear_station_power_limit("KEMDC-0001")
    assert [(c["method"], c["path"]) for c in device.commands[-3:]] == [
        ("DELETE", "/chargingStations/KEMDC-0001/evses/KEMDC-0001_connector1/powerLimit"),
        ("DELETE", "/chargingStations/KEMDC-0001/powerLimit"),
        ("DELETE", "/chargingStations/KEMDC-0001/powerLimit"),
    ]
    station = (await client.get_stations())[0]
    assert station.connectors[0].max_power_kw_actual == 200
    assert client.raw_payloads["station_power_limit_clear"] == {"response": "Unknown"}


async def test_power_limit_rejected(sim: SimServer, make_client: MakeClient) -> None:
    await control(sim, "reject", operations=["power_limit", "clear_power_limit"])
    client = make_client()
    with pytest.raises(EvseCommandRejectedError, match="Rejected \\(SimulatedRejection\\)"):
        await client.set_station_power_limit("KEMDC-0001", 100, LimitUnit.DC_KILOWATT)
    with pytest.raises(EvseCommandRejectedError):
        await client.set_connector_power_limit("KEMAC-0001", "1", 16, LimitUnit.AC_AMPERE)
    with pytest.raises(EvseCommandRejectedError):
        await client.clear_connector_power_limit("KEMAC-0001", "1")
    with pytest.raises(EvseCommandRejectedError):
        await client.clear_station_power_limit("KEMAC-0001")
    assert isinstance(sim.device, ChargEyeDevice)
    assert sim.device.stations["KEMDC-0001"].limit_kw is None


async def test_unknown_station_or_connector(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(EvseNotSupportedError):
        await client.set_station_power_limit("NOPE", 100, LimitUnit.DC_KILOWATT)
    with pytest.raises(EvseNotSupportedError):
        await client.set_connector_availability("KEMAC-0001", "7", operative=False)


async def test_availability(sim: SimServer, make_client: MakeClient) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    client = make_client()
    await client.set_connector_availability("KEMAC-0001", "1", operative=False, reason="Service")
    assert device.commands[-1]["body"] == {"type": "Inoperative", "disableTextReason": "Service"}
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/evses/1/availability"
    station = (await client.get_stations("loc-office"))[0]
    assert station.connectors[0].status is ConnectorStatus.UNAVAILABLE
    assert station.connectors[0].running_transaction is None
    # An inoperative connector refuses a session.
    with pytest.raises(EvseCommandRejectedError):
        await client.start_transaction("KEMAC-0001", "1", "TAG-1")
    await client.set_connector_availability("KEMAC-0001", "1", operative=True, reason="ignored")
    assert device.commands[-1]["body"] == {"type": "Operative"}
    station = (await client.get_stations("loc-office"))[0]
    assert station.connectors[0].status is not ConnectorStatus.UNAVAILABLE
    await control(sim, "reject", operations=["availability"])
    with pytest.raises(EvseCommandRejectedError):
        await client.set_connector_availability("KEMAC-0001", "1", operative=False)


async def test_restart(sim: SimServer, make_client: MakeClient, clock: SimClock) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    station_id, _, _ = charging_connector(device)
    # Busy: OnIdle is scheduled (success), the station stays online.
    await client.restart_station(station_id, ResetType.ON_IDLE)
    assert device.commands[-1]["body"] == {"type": "OnIdle"}
    assert client.raw_payloads["reset"] == {"responseFromStation": "Scheduled"}
    station = next(s for s in await client.get_stations() if s.station_id == station_id)
    assert station.online_status is OnlineStatus.ONLINE
    await client.restart_station(station_id, ResetType.IMMEDIATE)
    assert device.commands[-1] == {
        "operation": "reset",
        "method": "POST",
        "path": f"/chargingStations/{station_id}/reset",
        "body": {"type": "Immediate"},
    }
    station = next(s for s in await client.get_stations() if s.station_id == station_id)
    assert station.online_status is OnlineStatus.OFFLINE
    assert {c.status for c in station.connectors} == {ConnectorStatus.UNKNOWN}
    clock.advance(31)
    station = next(s for s in await client.get_stations() if s.station_id == station_id)
    assert station.online_status is OnlineStatus.ONLINE
    await control(sim, "reject", operations=["reset"])
    with pytest.raises(EvseCommandRejectedError):
        await client.restart_station(station_id, ResetType.IMMEDIATE)


async def test_start_and_stop_transaction(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    await client.start_transaction("KEMAC-0001", "2", "APP-USER-42")
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/evses/2/transactions"
    assert device.commands[-1]["body"] == {"idToken": "APP-USER-42", "idTokenType": "APP_USER"}
    station_id, connector_id, tx_id = charging_connector(device)
    await client.stop_transaction(tx_id)
    assert device.commands[-1]["path"] == f"/transactions/{tx_id}/stop"
    station = next(s for s in await client.get_stations() if s.station_id == station_id)
    connector = station.connector(connector_id)
    assert connector is not None
    assert connector.latest_transaction is not None
    assert connector.latest_transaction.status is TransactionStatus.ENDED
    assert connector.status is ConnectorStatus.OCCUPIED
    assert connector.power_kw == 0.0
    # Stopping it again: the station rejects; an unknown transaction is not found.
    with pytest.raises(EvseCommandRejectedError):
        await client.stop_transaction(tx_id)
    with pytest.raises(EvseNotSupportedError):
        await client.stop_transaction("no-such-tx")
    await control(sim, "reject", operations="all")
    with pytest.raises(EvseCommandRejectedError):
        await client.start_transaction("KEMAC-0001", "2", "APP-USER-42")
    _, _, other_tx = charging_connector(device)
    with pytest.raises(EvseCommandRejectedError):
        await client.stop_transaction(other_tx)


async def test_start_without_token_refused(sim: SimServer, make_client: MakeClient) -> None:
    with pytest.raises(EvseCommandRejectedError, match="400"):
        await make_client().start_transaction("KEMAC-0001", "1", "")


# -- odd answers a real service might give ------------------------------------------


class _ScriptedDevice(SimDevice):
    """Answers each path with the next response queued by the test."""

    kind = "scripted"

    def __init__(self, clock: SimClock) -> None:
        super().__init__(clock)
        self.answers: dict[str, list[web.Response]] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{tail:.*}", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        return self.answers[f"{request.method} {request.path}"].pop(0)


def _jwt(claims: dict[str, Any]) -> str:
    import base64
    import json

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none'})}.{b64(claims)}.sig"


@pytest.fixture
async def scripted(
    start_simulator: StartSimulator, session: aiohttp.ClientSession, clock: SimClock
) -> tuple[_ScriptedDevice, ChargEyeClient]:
    device = _ScriptedDevice(clock)
    server = await start_simulator(device)
    client = ChargEyeClient(
        session, "secret", base_url=f"{server.url}/api", monotonic=clock.now, utcnow=utc_of(clock)
    )
    return device, client


def _token_answer(**payload: Any) -> web.Response:
    return web.json_response(payload)


async def test_account_id_fallbacks(
    scripted: tuple[_ScriptedDevice, ChargEyeClient], clock: SimClock
) -> None:
    device, client = scripted
    device.answers[TOKEN_PATH] = [_token_answer(token=_jwt({"iat": 1}))]
    device.answers[STATIONS_PATH] = [
        web.json_response({"stations": [{"stationId": "B"}, {"stationId": "A"}]}),
        web.json_response({"stations": []}),
    ]
    assert await client.account_id() == "station:A"
    with pytest.raises(EvseResponseError):
        await client.account_id()
    # Lifetime from the JWT's exp when validUntil is missing.
    exp = (EPOCH + timedelta(hours=2)).timestamp()
    device.answers[TOKEN_PATH] = [_token_answer(token=_jwt({"sub": "user-9", "exp": exp}))]
    clock.advance(10 * 3600)  # the first token (8 h assumed) expired
    device.answers[TOKEN_PATH] = [
        _token_answer(
            token=_jwt({"sub": "user-9", "exp": (EPOCH + timedelta(hours=12)).timestamp()})
        )
    ]
    assert await client.account_id() == "user-9"
    assert client._token_renew_at == pytest.approx(clock.now() + 2 * 3600 - TOKEN_RENEW_MARGIN_S)


async def test_token_lifetime_rules(
    scripted: tuple[_ScriptedDevice, ChargEyeClient], clock: SimClock
) -> None:
    _, client = scripted
    now = EPOCH
    assert client._lifetime({"validUntil": (now + timedelta(hours=1)).isoformat()}, "x") == (
        3600 - TOKEN_RENEW_MARGIN_S
    )
    # A validUntil in our past means skewed clocks: assume the documented 8 h.
    assert client._lifetime({"validUntil": "2020-01-01T00:00:00Z"}, "x") == (
        DEFAULT_TOKEN_LIFETIME_S - TOKEN_RENEW_MARGIN_S
    )
    assert client._lifetime({"validUntil": "soon"}, "not.a.jwt") == (
        DEFAULT_TOKEN_LIFETIME_S - TOKEN_RENEW_MARGIN_S
    )
    # Naive timestamps are UTC; a lifetime shorter than the margin is used for at least 60 s.
    short = (now + timedelta(seconds=120)).replace(tzinfo=None).isoformat()
    assert client._lifetime({"validUntil": short}, "x") == 60


async def test_odd_token_answers(scripted: tuple[_ScriptedDevice, ChargEyeClient]) -> None:
    device, client = scripted
    device.answers[TOKEN_PATH] = [
        web.json_response({"validUntil": "2026-03-02T14:00:00Z"}),
        web.json_response(["token"]),
        web.Response(text="<html>", content_type="text/html"),
        web.Response(status=403),
        web.Response(status=404),
        web.Response(status=418),
    ]
    for error in (
        EvseResponseError,
        EvseResponseError,
        EvseResponseError,
        EvseAuthenticationError,
        EvseNotSupportedError,
        EvseResponseError,
    ):
        with pytest.raises(error):
            await client.account_id()


async def test_odd_station_answers(scripted: tuple[_ScriptedDevice, ChargEyeClient]) -> None:
    device, client = scripted
    device.answers[TOKEN_PATH] = [_token_answer(accessToken=_jwt({"orgId": 77}), expiresIn=3600)]
    device.answers[STATIONS_PATH] = [
        web.json_response([{"stationId": "bare-list"}]),
        web.json_response({"unexpected": True}),
        web.Response(status=403),
    ]
    assert [s.station_id for s in await client.get_stations()] == ["bare-list"]
    with pytest.raises(EvseResponseError):
        await client.get_stations()
    client._poll_blocked_until = 0
    # On a read, 403 is an odd answer, not a command rejection.
    with pytest.raises(EvseResponseError):
        await client.get_stations()
    assert await client.account_id() == "77"
    assert client.raw_payloads["token_exchange"] == {"expiresIn": 3600}


async def test_odd_command_answers(scripted: tuple[_ScriptedDevice, ChargEyeClient]) -> None:
    device, client = scripted
    device.answers[TOKEN_PATH] = [_token_answer(token=_jwt({"orgId": 77}))]
    path = "POST /api/chargingStations/S/reset"
    device.answers[path] = [
        web.Response(status=204),
        web.json_response({"responseFromStation": "Accepted"}, status=201),
        web.Response(status=503),
        web.Response(status=403),
    ]
    with pytest.raises(EvseResponseError, match="no status"):
        await client.restart_station("S", ResetType.IMMEDIATE)
    await client.restart_station("S", ResetType.IMMEDIATE)
    with pytest.raises(EvseConnectionError):
        await client.restart_station("S", ResetType.IMMEDIATE)
    with pytest.raises(EvseCommandRejectedError, match="403"):
        await client.restart_station("S", ResetType.IMMEDIATE)


def test_check_status_shapes() -> None:
    _check_status(
        {"transactionStartResponse": {"status": "accepted"}}, ("transactionStartResponse",)
    )
    with pytest.raises(EvseResponseError):
        _check_status(["Accepted"], ("response",))
    with pytest.raises(EvseCommandRejectedError, match="NotSupported \\(no profile\\)"):
        _check_status(
            {"response": "NotSupported", "statusInfo": {"additionalInfo": "no profile"}},
            ("response",),
        )
    with pytest.raises(EvseCommandRejectedError):
        _check_status({"response": "Unknown"}, ("response",))
    _check_status({"response": "Unknown"}, ("response",), clearing=True)


def test_raise_for_status_table() -> None:
    def answer(status: int) -> HttpAnswer:
        return HttpAnswer(status=status, body=b"", content_type="application/json")

    _raise_for_status(answer(200))
    with pytest.raises(EvseCommandRejectedError):
        _raise_for_status(answer(422), command=True)
    with pytest.raises(EvseResponseError):
        _raise_for_status(answer(422))
    with pytest.raises(EvseConnectionError):
        _raise_for_status(answer(502))


def test_tolerant_parsing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    stations = parse_stations(
        {
            "Stations": [
                "not a station",
                {"name": "no id"},
                {
                    "StationID": 17,
                    "status": "OPERATIVE",
                    "onlineStatus": "Sleeping",
                    "maxPowerA": "32",
                    "maxPowerKw": 0,
                    "currentPowerKw": "+7.5",
                    "location": {
                        "id": "L1",
                        "address": {"street": "Main St 1", "city": "Espoo"},
                    },
                    "connectors": [
                        {"name": "no id"},
                        7,
                        {
                            "connectorId": "17_connector1",
                            "status": "Charging",
                            "currentPowerKw": "7.4",
                            "latestTransaction": {
                                "txId": 99,
                                "status": "AuthorizedNotPluggedIn",
                                "startTime": "yesterday",
                                "soc": "55.0",
                            },
                        },
                        {
                            "connectorId": "2",
                            "latestTransaction": {"status": "AUTHORIZED_NOT_PLUGGED_IN"},
                        },
                        {"connectorId": "3", "latestTransaction": "none"},
                    ],
                },
                {"stationId": "amps-only", "maxPowerA": 16, "location": "somewhere"},
                {"stationId": "nothing-known", "connectors": "none"},
            ]
        }
    )
    assert [s.station_id for s in stations] == ["17", "amps-only", "nothing-known"]
    station = stations[0]
    assert station.status is StationStatus.OPERATIVE
    assert station.online_status is None
    assert "Sleeping" in caplog.text
    assert station.current_power_kw == 7.5
    assert station.location is not None
    assert station.location.address == "Main St 1, Espoo"
    # No plug types known: decided by what the station rates itself in.
    assert station.is_ac
    assert stations[1].is_ac
    assert stations[1].location is None
    assert not stations[2].is_ac
    assert stations[2].connectors == ()
    first, second, third = station.connectors
    assert first.power_kw == 7.4  # the connector's own reading wins
    assert first.latest_transaction is not None
    assert first.latest_transaction.transaction_id == "99"
    assert first.latest_transaction.status is TransactionStatus.AUTHORIZED_NOT_PLUGGED_IN
    assert first.latest_transaction.start_time is None
    assert first.latest_transaction.soc == 55
    assert second.running_transaction is not None
    assert second.running_transaction.status is TransactionStatus.AUTHORIZED_NOT_PLUGGED_IN
    assert second.power_kw is None  # running, but no power reported
    assert third.latest_transaction is None
    assert third.running_transaction is None
    with pytest.raises(EvseResponseError):
        parse_stations("nope")


def test_jwt_claims() -> None:
    assert jwt_claims("a.b") == {}
    assert jwt_claims("a.!!!.c") == {}
    assert jwt_claims(_jwt({"sub": "x"})) == {"sub": "x"}
    assert jwt_claims("a.WzFd.c") == {}  # a list, not claims


def test_start_time_timezone() -> None:
    station = parse_stations(
        [
            {
                "stationId": "S",
                "connectors": [
                    {
                        "connectorId": "1",
                        "latestTransaction": {"startTime": "2026-03-02T05:00:00.000Z"},
                    }
                ],
            }
        ]
    )[0]
    transaction = station.connectors[0].latest_transaction
    assert transaction is not None
    assert transaction.start_time == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


async def test_default_clocks_and_server(session: aiohttp.ClientSession) -> None:
    client = ChargEyeClient(session, "secret")
    assert client.base_url == "https://kempower.io/api"
    assert client._utcnow().tzinfo is UTC
    assert client._monotonic() > 0
    assert client.rate_limited_for == 0
