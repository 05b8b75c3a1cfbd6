"""The ChargEye client against the simulated cloud over HTTP: every endpoint and error branch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
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
    ChargEyeConnectorRefusedError,
    ChargEyePermissionError,
    Connector,
    ConnectorStatus,
    ConnectorType,
    EvseIdForm,
    LimitOptions,
    LimitUnit,
    OnlineStatus,
    ResetType,
    Station,
    StationStatus,
    TransactionStatus,
    _check_status,
    _raise_for_status,
    charging_profile_problems,
    jwt_claims,
    parse_stations,
    without_id_tokens,
)
from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.kempower_chargeye import (
    DEFAULT_REFRESH_TOKEN,
    TAG_READINGS,
    VARIANTS,
    ChargEyeDevice,
)

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
    """Issues JWTs that the API never accepts (a user without permission for anything)."""

    def token_valid(self, token: str) -> bool:
        return False


async def test_fresh_token_refused_is_no_permission(
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
    # The refresh token was accepted: a 401 on a JWT fresh from it is about permission,
    # never a reason to ask for a new refresh token, nor to exchange it again.
    with pytest.raises(ChargEyePermissionError):
        await client.get_stations()
    assert sim.requests(TOKEN_PATH) == 1
    assert sim.requests(STATIONS_PATH) == 1


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
        await client.restart_station(fake_station("KEMDC-0001"), ResetType.IMMEDIATE)
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
        await client.restart_station(fake_station("KEMDC-0001"), ResetType.ON_IDLE)
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


async def station_of(client: ChargEyeClient, station_id: str) -> Station:
    """The station as the account lists it now."""
    return next(s for s in await client.get_stations() if s.station_id == station_id)


def plug(station: Station, number: int) -> Connector:
    """A station's connector by its number."""
    return next(c for c in station.connectors if station.connector_number(c) == number)


def fake_station(station_id: str, *connector_ids: str) -> Station:
    """A station the account does not list (for unknown ids)."""
    return parse_stations(
        [{"stationId": station_id, "connectors": [{"connectorId": c} for c in connector_ids]}]
    )[0]


async def test_power_limits(sim: SimServer, make_client: MakeClient, clock: SimClock) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    dc = await station_of(client, "KEMDC-0001")
    ac = await station_of(client, "KEMAC-0001")
    await client.set_station_power_limit(dc, 150, LimitUnit.DC_KILOWATT)
    await client.set_connector_power_limit(dc, plug(dc, 1), 50, LimitUnit.DC_KILOWATT)
    await client.set_station_power_limit(
        ac, 32, LimitUnit.AC_AMPERE, LimitOptions(comment="peak", stack_level=2)
    )
    await client.set_connector_power_limit(
        ac,
        plug(ac, 2),
        7.4,
        LimitUnit.AC_KILOWATT,
        LimitOptions(
            charging_profile_id=3001, condition="night", relative_delay_s=60, stack_level=0
        ),
    )
    assert [(c["method"], c["path"], c["query"], c["body"]) for c in device.commands] == [
        ("PUT", "/chargingStations/KEMDC-0001/powerLimit", {}, {"limit": {"dcMaxPowerKw": 150}}),
        (
            "PUT",
            "/chargingStations/KEMDC-0001/evses/KEMDC-0001_connector1/powerLimit",
            {},
            {"limit": {"dcMaxPowerKw": 50}},
        ),
        (
            "PUT",
            "/chargingStations/KEMAC-0001/powerLimit",
            {"comment": "peak", "stackLevel": "2"},
            {"limit": {"acMaxPowerA": 32}},
        ),
        (
            "PUT",
            "/chargingStations/KEMAC-0001/evses/2/powerLimit",
            {
                "chargingProfileId": "3001",
                "condition": "night",
                "relativeDelay": "60",
                "stackLevel": "0",
            },
            {"limit": {"acMaxPowerKw": 7.4}},
        ),
    ]
    station = (await client.get_stations())[0]
    assert station.connectors[0].max_power_kw_actual == 50
    assert station.connectors[0].max_power_kw == 200
    await client.clear_connector_power_limit(dc, plug(dc, 1))
    await client.clear_station_power_limit(dc)
    # Clearing what is not set answers Unknown: nothing left to clear is success.
    await client.clear_station_power_limit(dc)
    assert [(c["method"], c["path"]) for c in device.commands[-3:]] == [
        ("DELETE", "/chargingStations/KEMDC-0001/evses/KEMDC-0001_connector1/powerLimit"),
        ("DELETE", "/chargingStations/KEMDC-0001/powerLimit"),
        ("DELETE", "/chargingStations/KEMDC-0001/powerLimit"),
    ]
    station = (await client.get_stations())[0]
    assert station.connectors[0].max_power_kw_actual == 200
    assert client.raw_payloads["station_power_limit_clear"] == {"response": "Unknown"}


async def test_transaction_power_limit(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    station_id, connector_id, tx_id = charging_connector(device)
    await client.set_transaction_power_limit(
        tx_id, 20, LimitUnit.DC_KILOWATT, LimitOptions(comment="fleet")
    )
    assert device.commands[-1]["path"] == f"/transactions/{tx_id}/powerLimit"
    assert device.commands[-1]["query"] == {"comment": "fleet"}
    assert device.commands[-1]["body"] == {"limit": {"dcMaxPowerKw": 20}}
    connector = (await station_of(client, station_id)).connector(connector_id)
    assert connector is not None
    assert connector.power_kw is not None
    assert connector.power_kw <= 20.0
    await client.clear_transaction_power_limit(tx_id)
    assert device.commands[-1]["method"] == "DELETE"
    assert device.tx_limits_kw == {}
    # Nothing left to clear: success; an ended or unknown transaction: not found.
    await client.clear_transaction_power_limit(tx_id)
    with pytest.raises(EvseNotSupportedError):
        await client.set_transaction_power_limit("TX-none", 5, LimitUnit.DC_KILOWATT)


async def test_charging_profiles(sim: SimServer, make_client: MakeClient) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    client = make_client()
    ac = await station_of(client, "KEMAC-0001")
    answer = await client.set_charging_profile(ac, None, PROFILE)
    assert answer == {"response": "Accepted", "statusInfo": {"reasonCode": "NoError"}}
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/chargingProfile"
    assert device.commands[-1]["body"] == {"chargingProfile": PROFILE}
    await client.set_charging_profile(ac, plug(ac, 2), PROFILE)
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/evses/2/chargingProfile"
    assert set(device.profiles) == {"KEMAC-0001", "KEMAC-0001/2"}
    await control(sim, "reject", operations=["charging_profile"])
    with pytest.raises(EvseCommandRejectedError, match="Rejected \\(InvalidSchedule\\)"):
        await client.set_charging_profile(ac, None, PROFILE)


#: A valid OCPP 2.0.1 ChargingProfile: 16 A for an hour, then 10 A.
PROFILE: dict[str, Any] = {
    "id": 7,
    "stackLevel": 1,
    "chargingProfilePurpose": "ChargingStationMaxProfile",
    "chargingProfileKind": "Absolute",
    "validFrom": "2026-03-02T06:00:00Z",
    "chargingSchedule": [
        {
            "id": 1,
            "chargingRateUnit": "A",
            "startSchedule": "2026-03-02T06:00:00Z",
            "duration": 7200,
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16, "numberPhases": 3},
                {"startPeriod": 3600, "limit": 10.5},
            ],
        }
    ],
}


def test_charging_profile_validation() -> None:
    assert charging_profile_problems(PROFILE) == []
    assert charging_profile_problems([]) == ["the profile must be an object"]
    assert charging_profile_problems({}) == [
        "id must be an integer",
        "stackLevel must be an integer >= 0",
        "chargingProfilePurpose must be one of ChargingStationExternalConstraints, "
        "ChargingStationMaxProfile, TxDefaultProfile, TxProfile",
        "chargingProfileKind must be one of Absolute, Recurring, Relative",
        "chargingSchedule needs one to three schedules",
    ]
    bad = {
        **PROFILE,
        "id": True,
        "stackLevel": -1,
        "chargingProfileKind": "Recurring",
        "validTo": "tomorrow",
        "transactionId": "TX-1",
        "chargingSchedule": [
            "x",
            {"chargingSchedulePeriod": []},
            {
                "id": 2,
                "chargingRateUnit": "kW",
                "duration": "long",
                "startSchedule": 5,
                "chargingSchedulePeriod": [
                    {"startPeriod": 10, "limit": -1},
                    7,
                    {"startPeriod": 5, "limit": float("nan"), "phaseToUse": 4},
                    {"startPeriod": -5, "limit": 1},
                ],
            },
        ],
    }
    assert charging_profile_problems(bad) == [
        "id must be an integer",
        "stackLevel must be an integer >= 0",
        "a Recurring profile needs recurrencyKind Daily or Weekly",
        "validTo must be an ISO 8601 date and time",
        "only a TxProfile names a transactionId",
        "chargingSchedule[0] must be an object",
        "chargingSchedule[1].id must be an integer",
        "chargingSchedule[1].chargingRateUnit must be A or W",
        "chargingSchedule[1].chargingSchedulePeriod needs at least one period",
        "chargingSchedule[2].chargingRateUnit must be A or W",
        "chargingSchedule[2].duration must be a number",
        "chargingSchedule[2].startSchedule must be an ISO 8601 date and time",
        "chargingSchedule[2].chargingSchedulePeriod[0].startPeriod must start at 0 and increase",
        "chargingSchedule[2].chargingSchedulePeriod[0].limit must be a number >= 0",
        "chargingSchedule[2].chargingSchedulePeriod[1] must be an object",
        "chargingSchedule[2].chargingSchedulePeriod[2].startPeriod must start at 0 and increase",
        "chargingSchedule[2].chargingSchedulePeriod[2].limit must be a number >= 0",
        "chargingSchedule[2].chargingSchedulePeriod[2].phaseToUse must be 1, 2 or 3",
        "chargingSchedule[2].chargingSchedulePeriod[3].startPeriod must be an integer of "
        "seconds >= 0",
    ]
    assert charging_profile_problems(
        {**PROFILE, "chargingProfileKind": "Absolute", "recurrencyKind": "Hourly"}
    ) == ["recurrencyKind must be Daily or Weekly"]


async def test_power_limit_rejected(sim: SimServer, make_client: MakeClient) -> None:
    await control(sim, "reject", operations=["power_limit", "clear_power_limit"])
    client = make_client()
    dc = await station_of(client, "KEMDC-0001")
    ac = await station_of(client, "KEMAC-0001")
    with pytest.raises(EvseCommandRejectedError, match="Rejected \\(SimulatedRejection\\)"):
        await client.set_station_power_limit(dc, 100, LimitUnit.DC_KILOWATT)
    with pytest.raises(EvseCommandRejectedError):
        await client.set_connector_power_limit(ac, plug(ac, 1), 16, LimitUnit.AC_AMPERE)
    with pytest.raises(EvseCommandRejectedError):
        await client.clear_connector_power_limit(ac, plug(ac, 1))
    with pytest.raises(EvseCommandRejectedError):
        await client.clear_station_power_limit(ac)
    assert isinstance(sim.device, ChargEyeDevice)
    assert sim.device.stations["KEMDC-0001"].limit_kw is None


async def test_unknown_station_or_connector(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(EvseNotSupportedError):
        await client.set_station_power_limit(fake_station("NOPE"), 100, LimitUnit.DC_KILOWATT)
    # Every reading of the connector's id was tried, each answered 404: all of them named.
    with pytest.raises(ChargEyeConnectorRefusedError) as info:
        await client.set_connector_availability(
            fake_station("KEMAC-0001", "KEMAC-0001_connector7"),
            fake_station("KEMAC-0001", "KEMAC-0001_connector7").connectors[0],
            operative=False,
        )
    assert info.value.sent == (
        ("KEMAC-0001_connector7", 404),
        ("connector7", 404),
        ("7", 404),
    )
    assert "evseId 'connector7' -> HTTP 404" in str(info.value)
    assert client.evse_id_form is None


@pytest.mark.parametrize("variant", VARIANTS)
async def test_evse_id_readings(
    start_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    clock: SimClock,
    variant: str,
) -> None:
    device = ChargEyeDevice(clock, epoch=EPOCH, variant=variant)
    sim = await start_simulator(device)
    client = ChargEyeClient(
        session, DEFAULT_REFRESH_TOKEN, base_url=f"{sim.url}/api", monotonic=clock.now
    )
    dc = await station_of(client, "KEMDC-0001")
    ac = await station_of(client, "KEMAC-0001")
    prefixed = {"listed": (True, False), "prefixed": (True, True), "bare": (False, False)}
    dc_prefixed, ac_prefixed = prefixed.get(variant, (True, False))
    assert dc.connectors[0].connector_id.startswith("KEMDC-0001_") is dc_prefixed
    assert ac.connectors[0].connector_id.startswith("KEMAC-0001_") is ac_prefixed
    for station in (dc, ac):
        await client.set_connector_power_limit(station, plug(station, 2), 10, LimitUnit.AC_AMPERE)
        await client.set_connector_availability(station, plug(station, 2), operative=True)
    taken = [c["path"] for c in device.commands if c["path"].endswith("/availability")]
    expected_form = {"number": EvseIdForm.NUMBER}.get(variant, EvseIdForm.LISTED)
    assert client.evse_id_form is expected_form
    # Once learnt, the reading the service takes is sent first: one request per command
    # (the number variant answered 400 to the two id readings tried before the number).
    assert sim.requests() == 1 + 2 + 4 + (2 if variant == "number" else 0)
    wanted = {
        "listed": ["KEMDC-0001_connector2", "2"],
        "prefixed": ["KEMDC-0001_connector2", "KEMAC-0001_2"],
        "bare": ["connector2", "2"],
        "number": ["2", "2"],
    }[variant]
    assert taken == [
        f"/chargingStations/{station_id}/evses/{evse}/availability"
        for station_id, evse in zip(("KEMDC-0001", "KEMAC-0001"), wanted, strict=True)
    ]
    assert device.stations["KEMDC-0001"].connectors[1].limit_kw == pytest.approx(6.9)
    await client.start_transaction(ac, plug(ac, 1), None)
    assert device.commands[-1]["body"] == {"idToken": None}


async def test_no_permission_for_one_station(sim: SimServer, make_client: MakeClient) -> None:
    client = make_client()
    dc = await station_of(client, "KEMDC-0001")
    await control(sim, "set_station", station_id="KEMDC-0001", forbidden=True)
    with pytest.raises(ChargEyePermissionError, match="no permission for POST"):
        await client.restart_station(dc, ResetType.IMMEDIATE)
    with pytest.raises(ChargEyePermissionError):
        await client.set_connector_availability(dc, plug(dc, 1), operative=False)
    # Each time the cached JWT was renewed once (it might have been revoked), never more:
    # the account stays authenticated, and other stations still take commands.
    assert sim.requests(TOKEN_PATH) == 3
    await client.restart_station(await station_of(client, "KEMAC-0001"), ResetType.ON_IDLE)
    assert sim.requests(TOKEN_PATH) == 3


async def test_handed_over_token(
    sim: SimServer, make_client: MakeClient, session: aiohttp.ClientSession, clock: SimClock
) -> None:
    probe = make_client()
    await probe.account_id()
    assert probe.token is not None
    assert probe.token_valid_until == EPOCH + timedelta(seconds=DEFAULT_TOKEN_LIFETIME_S)
    entry_client = ChargEyeClient(
        session,
        DEFAULT_REFRESH_TOKEN,
        base_url=f"{sim.url}/api",
        monotonic=clock.now,
        utcnow=utc_of(clock),
        token=probe.token,
        token_valid_until=probe.token_valid_until,
    )
    await entry_client.get_stations()
    assert sim.requests(TOKEN_PATH) == 1
    assert entry_client.token_exchanges == 0
    # A handed-over JWT about to expire is not used.
    clock.advance(DEFAULT_TOKEN_LIFETIME_S - 60)
    late = ChargEyeClient(
        session,
        DEFAULT_REFRESH_TOKEN,
        base_url=f"{sim.url}/api",
        monotonic=clock.now,
        utcnow=utc_of(clock),
        token=probe.token,
        token_valid_until=probe.token_valid_until,
    )
    assert late.token is None
    await late.get_stations()
    assert sim.requests(TOKEN_PATH) == 2


async def test_availability(sim: SimServer, make_client: MakeClient) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    client = make_client()
    ac = await station_of(client, "KEMAC-0001")
    await client.set_connector_availability(ac, plug(ac, 1), operative=False, reason="Service")
    assert device.commands[-1]["body"] == {"type": "Inoperative", "disableTextReason": "Service"}
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/evses/1/availability"
    station = (await client.get_stations("loc-office"))[0]
    assert station.connectors[0].status is ConnectorStatus.UNAVAILABLE
    assert station.connectors[0].running_transaction is None
    # An inoperative connector refuses a session.
    with pytest.raises(EvseCommandRejectedError):
        await client.start_transaction(ac, plug(ac, 1), "TAG-1")
    await client.set_connector_availability(ac, plug(ac, 1), operative=True, reason="ignored")
    assert device.commands[-1]["body"] == {"type": "Operative"}
    station = (await client.get_stations("loc-office"))[0]
    assert station.connectors[0].status is not ConnectorStatus.UNAVAILABLE
    await control(sim, "reject", operations=["availability"])
    with pytest.raises(EvseCommandRejectedError):
        await client.set_connector_availability(ac, plug(ac, 1), operative=False)


async def test_restart(sim: SimServer, make_client: MakeClient, clock: SimClock) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    station_id, _, _ = charging_connector(device)
    target = await station_of(client, station_id)
    # Busy: OnIdle is scheduled (success), the station stays online.
    await client.restart_station(target, ResetType.ON_IDLE)
    assert device.commands[-1]["body"] == {"type": "OnIdle"}
    assert client.raw_payloads["reset"] == {"responseFromStation": "Scheduled"}
    station = await station_of(client, station_id)
    assert station.online_status is OnlineStatus.ONLINE
    await client.restart_station(target, ResetType.IMMEDIATE)
    assert device.commands[-1] == {
        "operation": "reset",
        "method": "POST",
        "path": f"/chargingStations/{station_id}/reset",
        "query": {},
        "body": {"type": "Immediate"},
    }
    station = await station_of(client, station_id)
    assert station.online_status is OnlineStatus.OFFLINE
    assert {c.status for c in station.connectors} == {ConnectorStatus.UNKNOWN}
    clock.advance(31)
    station = await station_of(client, station_id)
    assert station.online_status is OnlineStatus.ONLINE
    await control(sim, "reject", operations=["reset"])
    with pytest.raises(EvseCommandRejectedError):
        await client.restart_station(target, ResetType.IMMEDIATE)


async def test_start_and_stop_transaction(
    sim: SimServer, make_client: MakeClient, clock: SimClock
) -> None:
    device = sim.device
    assert isinstance(device, ChargEyeDevice)
    clock.advance(600)
    client = make_client()
    ac = await station_of(client, "KEMAC-0001")
    await client.start_transaction(ac, plug(ac, 2), "APP-USER-42")
    assert device.commands[-1]["path"] == "/chargingStations/KEMAC-0001/evses/2/transactions"
    assert device.commands[-1]["body"] == {"idToken": "APP-USER-42", "idTokenType": "APP_USER"}
    # The document allows no token: idToken null, no type.
    await client.start_transaction(ac, plug(ac, 2), None)
    assert device.commands[-1]["body"] == {"idToken": None}
    station_id, connector_id, tx_id = charging_connector(device)
    await client.stop_transaction(tx_id)
    assert device.commands[-1]["path"] == f"/transactions/{tx_id}/stop"
    station = await station_of(client, station_id)
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
        await client.start_transaction(ac, plug(ac, 2), "APP-USER-42")
    _, _, other_tx = charging_connector(device)
    with pytest.raises(EvseCommandRejectedError):
        await client.stop_transaction(other_tx)


@pytest.mark.parametrize("reading", TAG_READINGS)
async def test_id_tokens_of_transactions(
    sim: SimServer, make_client: MakeClient, clock: SimClock, reading: str
) -> None:
    """The id token of each simulated reading, a started session's own, none in raw payloads."""
    sim.device.control("tag_reading", {"reading": reading})
    client = make_client()
    ac = await station_of(client, "KEMAC-0001")
    tokens = {
        (c.latest_transaction.transaction_id if c.latest_transaction else None): (
            c.latest_transaction.id_token if c.latest_transaction else None
        )
        for c in ac.connectors
    }
    cards = {"TX-KEMAC-0001-1-2": "04A1B2C3D4E5F6", "TX-KEMAC-0001-2-2": "04C0FFEE123456"}
    assert tokens == (dict.fromkeys(cards) if reading == "none" else cards)
    await client.start_transaction(ac, plug(ac, 1), "APP-USER-42")
    clock.advance(900)  # the session after the running one charges: the token's
    ac = await station_of(client, "KEMAC-0001")
    running = plug(ac, 1).running_transaction
    assert running is not None
    assert running.transaction_id == "TX-KEMAC-0001-1-3"
    assert running.id_token == (None if reading == "none" else "APP-USER-42")
    assert "APP-USER-42" not in repr(ac)
    kept = json.dumps(client.raw_payloads)
    for secret in (*cards.values(), "APP-USER-42"):
        assert secret not in kept
    # The field stays, with its value replaced: one per transaction listed.
    listed = sum(
        c.latest_transaction is not None for s in await client.get_stations() for c in s.connectors
    )
    assert listed == 6
    assert json.dumps(client.raw_payloads).count("**REDACTED**") == (
        0 if reading == "none" else listed
    )


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
        await client.restart_station(fake_station("S"), ResetType.IMMEDIATE)
    await client.restart_station(fake_station("S"), ResetType.IMMEDIATE)
    with pytest.raises(EvseConnectionError):
        await client.restart_station(fake_station("S"), ResetType.IMMEDIATE)
    with pytest.raises(EvseCommandRejectedError, match="403"):
        await client.restart_station(fake_station("S"), ResetType.IMMEDIATE)


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
        return HttpAnswer(status=status, body=b"")

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


def test_id_token_readings() -> None:
    """Every reading of the id token the document leaves open; none of it kept for diagnostics."""
    transactions: list[dict[str, Any]] = [
        {"txId": "text", "idToken": "  CARD-1 ", "idTokenType": "RFID"},
        {"txId": "object", "IDTOKEN": {"idToken": "CARD-2", "type": "RFID"}},
        {"txId": "id-tag", "idTag": "CARD-3"},
        {"txId": "object-id", "idToken": {"id": "CARD-4", "type": "Central"}},
        {"txId": "number", "id_token": 12345},
        {"txId": "null", "idToken": None, "idTokenType": "APP_USER"},
        {"txId": "object-null", "idToken": {"idToken": None, "type": "RFID"}},
        {"txId": "bool", "idToken": True},
        {"txId": "list", "idToken": ["CARD-5"]},
        {"txId": "blank", "idTag": "   "},
        {"txId": "absent"},
    ]
    payload = {
        "stations": [
            {
                "stationId": "S",
                "connectors": [
                    {"connectorId": str(number), "latestTransaction": transaction}
                    for number, transaction in enumerate(transactions)
                ],
            }
        ]
    }
    station = parse_stations(payload)[0]
    tokens = {}
    for connector in station.connectors:
        assert connector.latest_transaction is not None
        tokens[connector.latest_transaction.transaction_id] = connector.latest_transaction.id_token
    assert tokens == {
        "text": "CARD-1",
        "object": "CARD-2",
        "id-tag": "CARD-3",
        "object-id": "CARD-4",
        "number": "12345",
        "null": None,
        "object-null": None,
        "bool": None,
        "list": None,
        "blank": None,
        "absent": None,
    }
    # Personal data: out of reprs, and replaced (in any letter case, at any depth) in what
    # diagnostics keep; the other fields and a null token stay as they were.
    assert "CARD-1" not in repr(station)
    kept = without_id_tokens(payload)
    text = json.dumps(kept)
    for secret in ("CARD-1", "CARD-2", "CARD-3", "CARD-4", "CARD-5", "12345"):
        assert secret not in text
    kept_transactions = [c["latestTransaction"] for c in kept["stations"][0]["connectors"]]
    assert kept_transactions[0] == {
        "txId": "text",
        "idToken": "**REDACTED**",
        "idTokenType": "RFID",
    }
    assert kept_transactions[1] == {"txId": "object", "IDTOKEN": "**REDACTED**"}
    assert kept_transactions[5] == {"txId": "null", "idToken": None, "idTokenType": "APP_USER"}
    assert payload["stations"][0]["connectors"][0]["latestTransaction"]["idToken"] == "  CARD-1 "


async def test_default_clocks_and_server(session: aiohttp.ClientSession) -> None:
    client = ChargEyeClient(session, "secret")
    assert client.base_url == "https://kempower.io/api"
    assert client._utcnow().tzinfo is UTC
    assert client._monotonic() > 0
    assert client.rate_limited_for == 0
