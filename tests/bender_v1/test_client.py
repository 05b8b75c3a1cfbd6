"""The REST API v1 client against the simulated controller over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
import hashlib
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
    EvseResponseError,
)
from custom_components.evse_bridge.api.bender_common import (
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
    base_url,
)
from custom_components.evse_bridge.api.bender_v1 import (
    BenderV1Client,
    ChargePointInfo,
    MessageLevel,
    PairingTag,
    SystemState,
    TagType,
    parse_charge_point_info,
    parse_log,
    parse_pairing_tag,
    parse_system_state,
    parse_transaction_summary,
    password_hash,
)
from simulator.bender_v1 import (
    DEFAULT_PASSWORD,
    DEFAULT_TAG_ID,
    SERIAL,
    BenderV1Device,
)
from simulator.clock import SimClock
from simulator.device import SimDevice

from ..conftest import StartSimulator
from .conftest import V1Setup, make_client

LOGIN = "POST /v1/login"
TOKEN = "GET /v1/login"
STATE = "GET /v1/system_state"
# Phases of the simulated cycle: idle 0-120 s, car waits 120-140 s, charges 140-1040 s.
CHARGING_AT = 140 + 300


async def set_fault(v1: V1Setup, mode: str) -> None:
    async with v1.http.post(f"{v1.sim.url}/_sim/faults", json={"mode": mode}) as response:
        assert response.status == 200


async def control(v1: V1Setup, action: str, **params: Any) -> dict[str, Any]:
    async with v1.http.post(f"{v1.sim.url}/_sim/action/{action}", json=params) as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


# Sessions


async def test_login_is_token_then_hashed_password(v1: V1Setup) -> None:
    await v1.client.login()
    assert v1.client.logged_in
    assert v1.client.api_prefix == "/v1"
    assert v1.client.host_url == v1.sim.url
    assert v1.device.tokens_issued == 1
    assert v1.device.logins == 1
    assert v1.sim.requests(TOKEN) == 1
    assert v1.sim.requests(LOGIN) == 1


def test_password_hash_is_sha256_hex_of_password_and_token() -> None:
    assert password_hash("secret", "abc") == hashlib.sha256(b"secretabc").hexdigest()
    assert len(password_hash("pw", ">2BGLs|@|TIYOi3@5kTvQRZg$xL<rh3V")) == 64


async def test_healthy_hour_of_polling_logs_in_once(v1: V1Setup) -> None:
    """15 s state, 60 s logging, 5 min summary for an hour: one login, no 401."""
    client = v1.client
    for tick in range(240):
        await client.system_state()
        if tick % 4 == 0:
            await client.logging()
        if tick % 20 == 0:
            await client.transaction_summary()
        v1.clock.advance(15)
    assert v1.sim.requests(LOGIN) == 1
    assert v1.sim.requests(TOKEN) == 1
    assert v1.sim.requests(STATE) == 240
    assert v1.sim.requests("GET /v1/logging") == 60
    assert v1.sim.requests("GET /v1/transactions/summary") == 12
    assert v1.device.logins == 1
    assert client.login_count == 1


async def test_expired_session_costs_one_relogin(v1: V1Setup) -> None:
    await v1.client.system_state()
    v1.clock.advance(61)
    await v1.client.system_state()
    await v1.client.system_state()
    assert v1.device.logins == 2
    assert v1.sim.requests(LOGIN) == 2
    # The refused call is retried once after the new login.
    assert v1.sim.requests(STATE) == 4


async def test_web_ui_login_costs_one_relogin(v1: V1Setup) -> None:
    await v1.client.system_state()
    await control(v1, "web_login")
    for _ in range(10):
        await v1.client.system_state()
        v1.clock.advance(15)
    assert v1.device.logins == 2
    assert v1.device.refused_logins == 0


async def test_concurrent_calls_share_one_relogin(v1: V1Setup) -> None:
    await v1.client.system_state()
    await control(v1, "web_login")
    await asyncio.gather(
        v1.client.system_state(),
        v1.client.logging(),
        v1.client.transaction_summary(),
        v1.client.pairing_result(),
    )
    assert v1.device.logins == 2


async def test_concurrent_first_calls_log_in_once(v1: V1Setup) -> None:
    await asyncio.gather(v1.client.system_state(), v1.client.logging())
    assert v1.device.logins == 1


async def test_changed_password_raises_authentication_error(v1: V1Setup) -> None:
    await v1.client.system_state()
    await control(v1, "configure", password="changed")
    v1.clock.advance(61)
    with pytest.raises(EvseAuthenticationError):
        await v1.client.system_state()
    # Two whole units (token + login), each with its own token.
    assert v1.sim.requests(TOKEN) == 3
    assert v1.sim.requests(LOGIN) == 3
    assert v1.device.refused_logins == 2
    assert not v1.client.logged_in


async def test_wrong_password_on_first_login(v1: V1Setup) -> None:
    client = v1.make_client(password="wrong")
    with pytest.raises(EvseAuthenticationError):
        await client.login()
    assert v1.device.refused_logins == 2


async def test_token_taken_by_another_client_retries_the_unit(v1: V1Setup) -> None:
    """A token requested in between kills ours: the unit is repeated, not reauth."""
    await control(v1, "token_race")
    await v1.client.system_state()
    assert v1.device.refused_logins == 1
    assert v1.device.logins == 1
    assert v1.sim.requests(TOKEN) == 2
    assert v1.sim.requests(LOGIN) == 2


async def test_unprefixed_firmware_detected_once(
    start_simulator: StartSimulator, clock: SimClock, http: aiohttp.ClientSession
) -> None:
    device = BenderV1Device(clock, prefixed=False)
    sim = await start_simulator(device)
    client = make_client(http, sim, clock)
    await client.system_state()
    assert client.api_prefix == ""
    clock.advance(61)
    await client.system_state()
    info = await client.charge_point_info()
    assert info.firmware == "5.32.1-19870"
    assert sim.requests("GET /v1/login") == 1
    assert sim.requests("GET /login") == 2
    assert sim.requests("POST /login") == 2
    assert sim.requests("GET /system_state") == 3


async def test_rest_interface_disabled(
    start_simulator: StartSimulator, clock: SimClock, http: aiohttp.ClientSession
) -> None:
    device = BenderV1Device(clock, rest_enabled=False)
    sim = await start_simulator(device)
    client = make_client(http, sim, clock)
    with pytest.raises(EvseNotSupportedError):
        await client.system_state()
    assert client.api_prefix is None


async def test_logout_ends_the_session(v1: V1Setup) -> None:
    await v1.client.system_state()
    await v1.client.logout()
    assert not v1.client.logged_in
    assert not v1.device.session_active
    assert v1.sim.requests("POST /v1/logout") == 1
    # Nothing to end: no request.
    await v1.client.logout()
    assert v1.sim.requests("POST /v1/logout") == 1


async def test_logout_of_expired_session_is_quiet(v1: V1Setup) -> None:
    await v1.client.system_state()
    v1.clock.advance(61)
    await v1.client.logout()
    assert not v1.client.logged_in


async def test_logout_when_unreachable_is_quiet(v1: V1Setup) -> None:
    await v1.client.system_state()
    await set_fault(v1, "drop")
    await v1.client.logout()
    assert not v1.client.logged_in


async def test_logout_before_login_sends_nothing(v1: V1Setup) -> None:
    await v1.client.logout()
    assert v1.sim.requests() == 0


# Endpoints and values


async def test_system_state_idle(v1: V1Setup) -> None:
    state = await v1.client.system_state()
    assert state == SystemState(
        system="idle",
        connection=ConnectionState.NO_VEHICLE_CONNECTED,
        authorization=AuthorizationState.NOT_AUTHORIZED_FOR_CHARGING,
        ocpp=OcppState.AVAILABLE,
        type2=Type2State.A,
        ambient_temperature_c=23.5,
        transaction=None,
    )
    assert state.charging is False
    assert state.idle is True
    assert v1.client.raw_payloads["system_state"]["systemState"] == "idle"


async def test_system_state_while_charging(v1: V1Setup) -> None:
    v1.clock.advance(CHARGING_AT)
    state = await v1.client.system_state()
    assert state.system == "charging"
    assert state.connection is ConnectionState.VEHICLE_CHARGING_TYPE2
    assert state.authorization is AuthorizationState.AUTHORIZED_FOR_CHARGING
    assert state.ocpp is OcppState.CHARGING
    assert state.type2 is Type2State.C
    assert state.ambient_temperature_c == 27.5
    assert state.charging is True
    assert state.idle is False
    transaction = state.transaction
    assert transaction is not None
    assert transaction.id == "1"
    assert datetime.fromisoformat(transaction.started or "") == v1.device.device_time(140)
    assert transaction.duration_s == 300
    assert transaction.power_w == 11000.0
    assert transaction.energy_wh == pytest.approx(11000 * 300 / 3600, abs=1)


async def test_system_state_car_waiting(v1: V1Setup) -> None:
    v1.clock.advance(125)
    state = await v1.client.system_state()
    assert state.system == "connected"
    assert state.authorization is AuthorizationState.WAIT_FOR_AUTH
    assert state.transaction is None
    assert state.charging is False
    assert state.idle is False


async def test_logging_errors_and_warnings(v1: V1Setup) -> None:
    assert (await v1.client.logging()).messages == ()
    await control(
        v1,
        "messages",
        messages=[
            {"type": "error", "message": "rcd_triggered"},
            {"type": "warning", "message": "backend_not_connected"},
        ],
    )
    log = await v1.client.logging()
    assert [item.text for item in log.errors] == ["rcd_triggered"]
    assert [item.text for item in log.warnings] == ["backend_not_connected"]
    assert log.errors[0].level is MessageLevel.ERROR
    assert datetime.fromisoformat(log.errors[0].timestamp or "") == v1.device.device_time(0)
    assert v1.client.raw_payloads["logging"]["messages"][0]["message"] == "rcd_triggered"
    state = await v1.client.system_state()
    assert state.system == "error"
    assert state.idle is False


async def test_transaction_summary_grows_with_completed_sessions(v1: V1Setup) -> None:
    summary = await v1.client.transaction_summary()
    assert (summary.count, summary.total_duration, summary.total_consumption) == (12, 2375, 148)
    v1.clock.advance(1100 + 10)
    grown = await v1.client.transaction_summary()
    assert grown.count == 13
    # The simulator's default reading: kWh and minutes, rounded to whole units.
    assert grown.total_duration == 2375 + 16
    assert grown.total_consumption == 148 + 2  # 2.5 kWh, rounded
    assert v1.client.raw_payloads["transactions_summary"]["transactionCount"] == 13


async def test_charge_point_info_from_settings(v1: V1Setup) -> None:
    info = await v1.client.charge_point_info()
    assert info == ChargePointInfo(
        vendor="Bender GmbH Co. KG",
        model="CC613_2M3PR",
        serial=SERIAL,
        serial_key="chargePointSerialNumber",
        firmware="5.33.5-20112",
        charge_point_id="+4983900000000042",
        identifier=SERIAL,
        identity_source="ChargePointInfo.chargePointSerialNumber",
    )
    assert info.serial == SERIAL
    # Only the identity is kept: the other settings may hold secrets.
    assert v1.client.raw_payloads["settings"] == {"ChargePointInfo": v1.device.charge_point_info()}
    assert "backend-secret" not in repr(v1.client.raw_payloads)


# Pairing


async def test_pairing_reads_the_tag(v1: V1Setup) -> None:
    tag = await v1.client.pair()
    assert tag == PairingTag(id=DEFAULT_TAG_ID, tag_type=TagType.RFID)
    assert DEFAULT_TAG_ID not in repr(tag)
    assert v1.sim.requests("POST /v1/whitelist/pairing") == 1
    # Tag read 5 s after the start; polled every 2 s.
    assert v1.sim.requests("GET /v1/whitelist/pairing") == 3
    assert "pairing" not in v1.client.raw_payloads


async def test_pairing_times_out_without_a_tag(v1: V1Setup) -> None:
    await control(v1, "configure", tag="none")
    assert await v1.client.pair(timeout_s=60, poll_interval_s=5) is None
    assert v1.sim.requests("GET /v1/whitelist/pairing") == 12
    assert v1.device.logins == 1


async def test_pairing_refused_while_charging(v1: V1Setup) -> None:
    v1.clock.advance(CHARGING_AT)
    with pytest.raises(EvseCommandRejectedError, match="not idle"):
        await v1.client.pair()
    assert v1.sim.requests("GET /v1/whitelist/pairing") == 0


async def test_pairing_result_before_any_tag(v1: V1Setup) -> None:
    assert await v1.client.pairing_result() is None
    await v1.client.start_pairing()
    assert await v1.client.pairing_result() is None
    v1.clock.advance(5)
    tag = await v1.client.pairing_result()
    assert tag is not None
    assert tag.id == DEFAULT_TAG_ID
    # The tag stays readable until pairing is enabled again.
    v1.clock.advance(30)
    assert await v1.client.pairing_result() == tag
    await v1.client.start_pairing()
    assert await v1.client.pairing_result() is None


async def test_secrets_never_logged(v1: V1Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await v1.client.system_state()
    session_id = v1.device._session_id
    await control(v1, "web_login")
    await v1.client.pair()
    await v1.client.logout()
    assert session_id is not None
    assert caplog.text
    for secret in (DEFAULT_PASSWORD, DEFAULT_TAG_ID, session_id):
        assert secret not in caplog.text


# Faults


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("http_500", EvseConnectionError),
        ("garbage", EvseResponseError),
        ("truncated", EvseConnectionError),
        ("drop", EvseConnectionError),
    ],
)
async def test_faults_map_to_library_errors(v1: V1Setup, mode: str, error: type[Exception]) -> None:
    await v1.client.system_state()
    await set_fault(v1, mode)
    with pytest.raises(error):
        await v1.client.system_state()
    await set_fault(v1, "none")
    await v1.client.system_state()
    assert v1.device.logins == 1


async def test_unauthorized_everywhere_is_not_a_credentials_error(v1: V1Setup) -> None:
    """A 401 on the token request says nothing about the password."""
    await set_fault(v1, "http_401")
    with pytest.raises(EvseResponseError):
        await v1.client.system_state()


async def test_faults_on_first_login(v1: V1Setup) -> None:
    await set_fault(v1, "http_500")
    with pytest.raises(EvseConnectionError):
        await v1.client.login()
    await set_fault(v1, "garbage")
    with pytest.raises(EvseResponseError):
        await v1.client.login()
    await set_fault(v1, "none")
    await v1.client.login()
    assert v1.client.api_prefix == "/v1"


# Answers the simulator does not give: a scripted controller


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ScriptedController(SimDevice):
    """A controller whose routes the test writes, for answers real firmware might give."""

    kind = "scripted"

    def __init__(self, routes: dict[tuple[str, str], Handler]) -> None:
        super().__init__(SimClock(scale=0))
        self.routes = routes

    def add_routes(self, app: web.Application) -> None:
        for (method, path), handler in self.routes.items():
            app.router.add_route(method, path, handler)


def reply(body: Any, status: int = 200) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    return handler


def token_route() -> dict[tuple[str, str], Handler]:
    return {("GET", "/v1/login"): reply({"token": "t0k3n"})}


async def scripted_client(
    start_simulator: StartSimulator,
    http: aiohttp.ClientSession,
    routes: dict[tuple[str, str], Handler],
) -> BenderV1Client:
    sim = await start_simulator(ScriptedController(routes))
    return BenderV1Client(http, sim.url + "/", "operator", "pw")


@pytest.mark.parametrize(
    "login_answer",
    [
        {"logged_in": True, "session": {"sessionId": "abc"}},
        {"logged_in": "true", "sessionId": "abc"},
        {"session": "abc"},
        {"logged_in": True, "session": {}, "session_id": "abc"},
    ],
)
async def test_session_id_spellings(
    start_simulator: StartSimulator, http: aiohttp.ClientSession, login_answer: dict[str, Any]
) -> None:
    seen: list[str | None] = []

    async def state(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"systemState": "idle"})

    routes = token_route() | {
        ("POST", "/v1/login"): reply(login_answer),
        ("GET", "/v1/system_state"): state,
    }
    client = await scripted_client(start_simulator, http, routes)
    await client.system_state()
    assert seen == ["abc"]


@pytest.mark.parametrize(
    "login_answer", [{"logged_in": False, "message": "Login failed"}, {"logged_in": "false"}]
)
async def test_login_refused_with_status_200(
    start_simulator: StartSimulator, http: aiohttp.ClientSession, login_answer: dict[str, Any]
) -> None:
    routes = token_route() | {("POST", "/v1/login"): reply(login_answer)}
    client = await scripted_client(start_simulator, http, routes)
    with pytest.raises(EvseAuthenticationError):
        await client.login()


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        ({("GET", "/v1/login"): reply({"token": ""})}, EvseResponseError),
        ({("GET", "/v1/login"): reply(["token"])}, EvseResponseError),
        ({("GET", "/v1/login"): reply({}, status=418)}, EvseResponseError),
        (token_route() | {("POST", "/v1/login"): reply({"logged_in": True})}, EvseResponseError),
        (token_route() | {("POST", "/v1/login"): reply({}, status=404)}, EvseNotSupportedError),
    ],
)
async def test_odd_login_answers(
    start_simulator: StartSimulator,
    http: aiohttp.ClientSession,
    routes: dict[tuple[str, str], Handler],
    error: type[Exception],
) -> None:
    client = await scripted_client(start_simulator, http, routes)
    with pytest.raises(error):
        await client.login()


def logged_in_routes() -> dict[tuple[str, str], Handler]:
    return token_route() | {
        ("POST", "/v1/login"): reply({"logged_in": True, "session": {"id": "s"}})
    }


async def test_session_refused_right_after_login(
    start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    routes = logged_in_routes() | {("GET", "/v1/system_state"): reply({}, status=401)}
    client = await scripted_client(start_simulator, http, routes)
    with pytest.raises(EvseResponseError, match="just granted"):
        await client.system_state()
    assert not client.logged_in


async def test_missing_endpoint_is_not_supported(
    start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    client = await scripted_client(start_simulator, http, logged_in_routes())
    with pytest.raises(EvseNotSupportedError):
        await client.transaction_summary()


async def test_logout_answered_with_error_status(
    start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    routes = logged_in_routes() | {("POST", "/v1/logout"): reply({}, status=500)}
    client = await scripted_client(start_simulator, http, routes)
    await client.login()
    await client.logout()
    assert not client.logged_in


@pytest.mark.parametrize(
    "answer",
    [
        reply({"success": False}, status=409),
        reply({"success": False, "cause": "busy"}),
        reply({}, status=400),
    ],
)
async def test_pairing_refusals(
    start_simulator: StartSimulator, http: aiohttp.ClientSession, answer: Handler
) -> None:
    routes = logged_in_routes() | {("POST", "/v1/whitelist/pairing"): answer}
    client = await scripted_client(start_simulator, http, routes)
    with pytest.raises(EvseCommandRejectedError):
        await client.start_pairing()


async def test_settings_without_charge_point_info(
    start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    routes = logged_in_routes() | {("GET", "/v1/settings"): reply({"name": "settings"})}
    client = await scripted_client(start_simulator, http, routes)
    info = await client.charge_point_info()
    assert info.serial is None
    assert client.raw_payloads["settings"] == {"ChargePointInfo": {}}


# Tolerant parsing


def test_base_url() -> None:
    assert base_url("192.168.1.20") == "http://192.168.1.20"
    assert base_url(" 192.168.1.20:8080/ ") == "http://192.168.1.20:8080"
    assert base_url("https://cc613.local") == "https://cc613.local"


def test_system_state_tolerates_strings_and_unknown_values() -> None:
    state = parse_system_state(
        {
            "SYSTEMSTATE": "Booting",
            "connectionState": "VEHICLE_CHARGING_SCHUKO",
            "ocppState": "SuspendedEV",
            "type2State": "D",
            "ambientTemp": "+25.30",
            "transaction": {"transactionId": 7, "energyWh": "1200", "currentPower": "3600.5"},
        }
    )
    assert state.system == "booting"  # as sent: no value set is assumed
    assert state.connection is ConnectionState.VEHICLE_CHARGING_SCHUKO
    assert state.ocpp is OcppState.SUSPENDEDEV
    assert state.type2 is Type2State.D
    assert state.authorization is None
    assert state.ambient_temperature_c == 25.3
    assert state.transaction is not None
    assert state.transaction.id == "7"
    assert state.transaction.energy_wh == 1200.0
    assert state.transaction.power_w == 3600.5
    assert state.transaction.duration_s is None
    assert state.charging is True


def test_system_state_alternative_energy_and_power_names() -> None:
    state = parse_system_state({"transaction": {"consumption": 5, "powerW": 7, "durationS": "9"}})
    assert state.transaction is not None
    assert (state.transaction.energy_wh, state.transaction.power_w) == (5.0, 7.0)
    assert state.transaction.duration_s == 9
    assert parse_system_state({"transaction": {}}).transaction is None
    assert parse_system_state({"transaction": "none"}).transaction is None


def test_charging_and_idle_from_partial_states() -> None:
    empty = parse_system_state({})
    assert empty.charging is None
    assert empty.idle is False
    assert parse_system_state({"ocppState": "charging"}).charging is True
    # systemState is not the charging state (the document's sample: idle while charging).
    assert parse_system_state({"systemState": "charging"}).charging is None
    assert parse_system_state({"systemState": "Unavailable"}).system == "inoperative"
    assert parse_system_state({"systemState": "UNKNOWN"}).system == "status_unknown"
    assert parse_system_state({"systemState": "x" * 300}).system == "x" * 255
    assert parse_system_state({"systemState": "idle"}).idle is True
    assert parse_system_state({"connectionState": "no_vehicle_connected"}).idle is True


def test_log_skips_entries_that_are_not_objects() -> None:
    log = parse_log({"messages": ["text", {"level": "WARNING", "text": "hot"}, {"type": "x"}]})
    assert len(log.messages) == 2
    assert [item.text for item in log.warnings] == ["hot"]
    assert log.errors == ()
    assert parse_log({"messages": "none"}).messages == ()


def test_summary_and_info_tolerate_strings() -> None:
    summary = parse_transaction_summary(
        {"transactionCount": "3", "totalDuration": 60.0, "totalConsumption": "1.5"}
    )
    assert (summary.count, summary.total_duration, summary.total_consumption) == (3, 60, 1.5)
    info = parse_charge_point_info({"chargeboxserialnumber": "cb-1", "FIRMWAREVERSION": "5.33"})
    assert (info.serial, info.serial_key) == ("cb-1", "chargeboxserialnumber")
    assert info.firmware == "5.33"


@pytest.mark.parametrize(
    ("payload", "serial_key"),
    [
        ({"chargePointSerialNumber": "a", "chargeBoxSerialNumber": "b"}, "chargePointSerialNumber"),
        ({"CHARGEPOINTSERIALNUMBER": "a"}, "CHARGEPOINTSERIALNUMBER"),
        ({"chargePointSerialNumber": "", "chargeBoxSerialNumber": "a"}, "chargeBoxSerialNumber"),
        ({"serialNumber": "a"}, "serialNumber"),
        ({"meterSerialNumber": None, "SerialNo": "a"}, "SerialNo"),
    ],
)
def test_serial_under_any_name(payload: dict[str, Any], serial_key: str) -> None:
    info = parse_charge_point_info(payload)
    assert (info.serial, info.serial_key) == ("a", serial_key)


def test_charge_point_id_from_info_or_settings() -> None:
    assert parse_charge_point_info({"ChargePointId": " Bay 3 "}).charge_point_id == "Bay 3"
    settings = {"ChargeBoxIdentity_ocpp": "CP-7", "OcppServerUrl_ocpp": "wss://x"}
    assert parse_charge_point_info({}, settings).charge_point_id == "CP-7"
    assert parse_charge_point_info({}, {"Other_ocpp": "x"}).charge_point_id is None
    with_meta = {"ChargeBoxIdentity_ocpp": {"value": "CP-8", "type": "string"}}
    assert parse_charge_point_info({}, with_meta).charge_point_id == "CP-8"


def test_pairing_tag_parsing() -> None:
    assert parse_pairing_tag({"success": False}) is None
    tag = parse_pairing_tag({"tagId": "ab", "type": "evccid"})
    assert tag == PairingTag(id="ab", tag_type=TagType.EVCCID)
    # The document's spelling is kept, whatever the controller's letter case.
    assert tag.tag_type == "EVCCID"
    nfc = parse_pairing_tag({"id": "cd", "tagType": "Nfc"})
    assert nfc is not None
    assert nfc.tag_type == "NFC"
