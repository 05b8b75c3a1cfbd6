"""Broken or hostile answers, for every client: a typed error or an unknown value, never a crash.

Each answer class of issue 9 ("Every client") is played by a tiny aiohttp app in the
test's own loop, so a test states exactly what the device sends; one Home Assistant
test runs a poll with such values through the simulator.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_bytes
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import (
    EvseCommandRejectedError,
    EvseRateLimitedError,
    EvseRedirectError,
    EvseResponseError,
)
from custom_components.evse_bridge.api.bender_common import (
    parse_body,
)
from custom_components.evse_bridge.api.bender_legacy import (
    BenderLegacyClient,
)
from custom_components.evse_bridge.api.bender_v1 import (
    BenderV1Client,
    WhitelistEntry,
)
from custom_components.evse_bridge.api.errors import scrub, secrets_scrubbed
from custom_components.evse_bridge.api.http import (
    MAX_BODY,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    MAX_RETRY_AFTER_S,
    decode_json,
    http_request,
    parse_retry_after,
)
from custom_components.evse_bridge.api.kempower_chargeye import (
    DEFAULT_TOKEN_LIFETIME_S,
    ChargEyeClient,
    LimitUnit,
    ResetType,
    jwt_claims,
    parse_stations,
)
from custom_components.evse_bridge.api.parsing import (
    bounded_seconds,
    error_object_text,
    error_text,
    header_token,
    to_float,
    to_float_list,
    to_int,
    to_timestamp,
)
from custom_components.evse_bridge.api.schneider_evce import (
    EvceClient,
    EvceReductionType,
    EvceSslMode,
)
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_legacy import (
    SERIAL as LEGACY_SERIAL,
    LegacyDevice,
)
from simulator.bender_v1 import (
    DEFAULT_PASSWORD as V1_PASSWORD,
    DEFAULT_USERNAME as V1_USERNAME,
    SERIAL as V1_SERIAL,
    BenderV1Device,
)
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION as CHARGEYE_ORGANIZATION,
    DEFAULT_REFRESH_TOKEN as CHARGEYE_REFRESH_TOKEN,
    ChargEyeDevice,
)
from simulator.schneider_evce import (
    LOGIN as EVCE_USER,
    PASSWORD as EVCE_PASSWORD,
    SERIAL as EVCE_SERIAL,
    EvceDevice,
)

from .common import entity_state, find_entity_id, get_device

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: What a JSON encoder may emit for numbers no float holds, and integers too large for one.
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 400, "1e300")
#: Values a header must never carry: they would split or forge headers, or are no token.
UNSAFE_TOKENS = (
    "abc\r\nX-Injected: 1",
    "abc\ndef",
    "abc\rdef",
    "nul\x00byte",
    "bell\x07",
    "del\x7f",
    "with space",
    "tab\there",
    "umlaut-ä",
    "x" * 9000,
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
#: Nested beyond MAX_JSON_DEPTH and Python's recursion limit, within MAX_JSON_CONTAINERS.
DEEP_JSON = "[" * 50_000 + "]" * 50_000


# -- the tiny device ---------------------------------------------------------


@dataclass
class Tiny:
    """A tiny device app: its address and the requests it saw."""

    server: TestServer
    seen: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"{self.server.host}:{self.server.port}"

    @property
    def url(self) -> str:
        """Base URL with scheme."""
        return str(self.server.make_url("")).rstrip("/")

    def paths(self) -> list[str]:
        """``METHOD path`` of every request seen, in order."""
        return [f"{method} {path}" for method, path, _headers, _body in self.seen]


Serve = Callable[..., Awaitable[Tiny]]


def answer(
    body: str | bytes = "",
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Handler:
    """A handler answering ``body`` verbatim (JSON text may hold NaN, Infinity, 1e999)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        data = body.encode() if isinstance(body, str) else body
        return web.Response(status=status, body=data, headers=headers, content_type=content_type)

    return handler


def redirect(status: int, location: str) -> Handler:
    """A handler answering a redirect to ``location``."""
    return answer(status=status, headers={"Location": location})


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncGenerator[Serve]:
    """Start tiny device apps on 127.0.0.1 (HTTPS with ``tls=True``); closed after the test."""
    servers: list[TestServer] = []

    async def _serve(routes: dict[str, Handler], *, tls: bool = False) -> Tiny:
        app = web.Application()
        tiny: Tiny | None = None

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            assert tiny is not None
            tiny.seen.append(
                (request.method, request.path, dict(request.headers), await request.read())
            )
            return await handler(request)

        app.middlewares.append(record)
        for key, handler in routes.items():
            method, path = key.split(" ", 1)
            app.router.add_route(method, path, handler)
        server = TestServer(app, host="127.0.0.1")
        tiny = Tiny(server)
        ssl_context = EvceDevice(SimClock()).ssl_context() if tls else None
        if ssl_context is not None:
            server.scheme = "https"
        await server.start_server(ssl=ssl_context)
        servers.append(server)
        return tiny

    yield _serve
    for server in servers:
        await server.close()


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """The clients' aiohttp session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


# -- per-vendor logins and clients -------------------------------------------

V1_LOGIN: dict[str, Handler] = {
    "GET /v1/login": answer('{"token": "one-time"}'),
    "POST /v1/login": answer('{"logged_in": true, "session": {"id": "s3ss10n"}}'),
}
EVCE_LOGIN: dict[str, Handler] = {"POST /api/v2/login/login": answer('{"token": "hub.jwt.token"}')}
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def make_jwt(claims: dict[str, Any] | str) -> str:
    """An unsigned JWT with ``claims`` (or a raw payload text)."""

    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    payload = claims if isinstance(claims, str) else json.dumps(claims)
    return f"{part('{"alg":"none"}')}.{part(payload)}.sig"


def chargeye_token(valid_until: str | None = None, claims: dict[str, Any] | None = None) -> Handler:
    """The token exchange answering a JWT (``validUntil`` given as JSON text, or left out)."""
    token = make_jwt(claims or {"organizationId": "org-1"})
    body = f'{{"token": "{token}"' + (
        f', "validUntil": {valid_until}}}' if valid_until is not None else "}"
    )
    return answer(body)


CHARGEYE_TOKEN: dict[str, Handler] = {
    "GET /auth/refreshAccessToken": chargeye_token('"2026-03-02T14:00:00Z"')
}


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def legacy(session: aiohttp.ClientSession, tiny: Tiny, **kwargs: Any) -> BenderLegacyClient:
    return BenderLegacyClient(session, tiny.host, **kwargs)


def bender_v1(session: aiohttp.ClientSession, tiny: Tiny) -> BenderV1Client:
    return BenderV1Client(session, tiny.host, "operator", "secret")


def evce(session: aiohttp.ClientSession, tiny: Tiny) -> EvceClient:
    return EvceClient(session, tiny.host, "admin", "secret", ssl_mode=EvceSslMode.INSECURE)


def chargeye(
    session: aiohttp.ClientSession, tiny: Tiny, clock: Clock | None = None
) -> ChargEyeClient:
    return ChargEyeClient(
        session,
        "refresh-secret",
        base_url=tiny.url,
        monotonic=clock or Clock(),
        utcnow=lambda: NOW,
    )


# -- non-finite numbers and integers too large for a float -------------------


@pytest.mark.parametrize("text", NON_FINITE)
def test_parsers_make_non_finite_and_huge_numbers_unknown(text: str) -> None:
    assert to_float(text) is None
    assert to_int(text) is None
    decoded = decode_json(f"[{text}]")[0]
    assert to_float(decoded) is None
    assert to_int(decoded) is None
    assert to_float_list(f"1.5,{text}") == [1.5, None]


def test_parsers_keep_sane_numbers() -> None:
    assert to_float(10**400) is None
    assert to_int(10**400) is None
    assert to_int(2**63) is None
    assert to_int(" 9007199254740993 ") == 9007199254740993  # exact, not through a float
    assert to_int(-42) == -42
    assert to_int("12.7") == 12
    assert to_float(" +25.30 ") == 25.3
    assert to_float(True) is None
    assert to_int(False) is None
    assert to_float(None) is None
    assert to_int([1]) is None
    assert to_float_list("  ") is None
    assert to_float_list(5) is None
    # A JSON integer of thousands of digits is an unknown value, not a failed answer.
    assert to_float(decode_json(f'{{"meter": {"7" * 5000}}}')["meter"]) is None


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999", "9" * 400, "1e300", "-1"])
def test_timestamps_out_of_range_are_unknown(value: str) -> None:
    parsed = to_timestamp(decode_json(f"[{value}]")[0])
    assert parsed is None or parsed.year < 1971
    assert to_timestamp(1e14) is None  # finite, but past the year 9999
    assert to_timestamp(1_772_431_200) == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.parametrize("bad", NON_FINITE)
async def test_legacy_non_finite_values_are_unknown(
    serve: Serve, session: aiohttp.ClientSession, form: str, bad: str
) -> None:
    values = {
        "power_w": bad,
        "meter_wh": bad,
        "transaction_wh": bad,
        "time_since_charging_start": bad,
        "ambient_temp": bad,
        "max_current": bad,
        "con_cycles_type2": bad,
    }
    if form == "text":
        body = "cc_serial_n:S1\n" + "".join(f"{key}:{value}\n" for key, value in values.items())
        body += f"current_a:{bad},1.5,{bad}\n"
        content_type = "text/plain"
    else:
        body = '{"cc_serial_n": "S1", ' + ", ".join(f'"{k}": {v}' for k, v in values.items())
        body += f', "current_a": [{bad}, 1.5, {bad}]}}'
        content_type = "application/json"
    tiny = await serve({"GET /rest/full_state": answer(body, content_type=content_type)})
    state = await legacy(session, tiny).full_state()
    assert state.power_w is None
    assert state.meter_wh is None
    assert state.transaction_wh is None
    assert state.charging_duration_s is None
    assert state.ambient_temperature_c is None
    assert state.max_current_a is None
    assert state.connection_cycles_type2 is None
    assert state.currents_a == (None, 1.5, None)
    # The keys were sent: their entities exist and show unknown.
    assert {"power_w", "meter_wh", "current_a"} <= state.present


@pytest.mark.parametrize("bad", NON_FINITE)
async def test_bender_v1_non_finite_values_are_unknown(
    serve: Serve, session: aiohttp.ClientSession, bad: str
) -> None:
    body = (
        f'{{"systemState": "charging", "ambientTemp": {bad}, "transaction": '
        f'{{"id": "t1", "duration": {bad}, "energy": {bad}, "power": {bad}}}}}'
    )
    summary = f'{{"transactionCount": {bad}, "totalDuration": {bad}, "totalConsumption": {bad}}}'
    tiny = await serve(
        V1_LOGIN
        | {
            "GET /v1/system_state": answer(body),
            "GET /v1/transactions/summary": answer(summary),
        }
    )
    client = bender_v1(session, tiny)
    state = await client.system_state()
    assert state.ambient_temperature_c is None
    assert state.transaction is not None
    assert (state.transaction.duration_s, state.transaction.energy_wh) == (None, None)
    assert state.transaction.power_w is None
    totals = await client.transaction_summary()
    assert (totals.count, totals.total_duration, totals.total_consumption) == (None, None, None)


@pytest.mark.parametrize("bad", NON_FINITE)
async def test_evce_non_finite_values_are_unknown(
    serve: Serve, session: aiohttp.ClientSession, bad: str
) -> None:
    statuses = (
        f'[{{"station_id": 101, "evses": [{{"id": 1, "status": "charging", "power_w": {bad}, '
        f'"energy_wh": {bad}, "session_energy_wh": {bad}, "transaction_id": {bad}}}]}}]'
    )
    zone = f'{{"current_a": [{bad}, 1.0, {bad}], "power_w": {bad}, "setpoint_a": {bad}}}'
    values = (
        f'{{"values": [{{"name": "voltage_l1", "value": {bad}, "unit": "V"}}, '
        f'{{"name": "power_active", "value": {bad}, "unit": "kW"}}]}}'
    )
    tiny = await serve(
        EVCE_LOGIN
        | {
            "GET /api/v2/stations/statuses": answer(statuses),
            "GET /api/v2/em/zones/7/status": answer(zone),
            "GET /api/v2/pms/1/values": answer(values),
        },
        tls=True,
    )
    client = evce(session, tiny)
    connector = (await client.station_statuses())[101].connectors[1]
    assert (connector.power_w, connector.energy_wh, connector.session_energy_wh) == (None,) * 3
    assert connector.transaction_id is None
    zone_status = await client.zone_status(7)
    assert zone_status.currents_a == (None, 1.0, None)
    assert (zone_status.power_w, zone_status.setpoint_a) == (None, None)
    meter = await client.power_meter_values(1)
    assert meter.voltages_v[0] is None
    assert meter.power_kw is None


@pytest.mark.parametrize("bad", NON_FINITE)
async def test_chargeye_non_finite_values_are_unknown(
    serve: Serve, session: aiohttp.ClientSession, bad: str
) -> None:
    stations = (
        f'{{"stations": [{{"stationId": "c1", "currentPowerKw": {bad}, "maxPowerKw": {bad}, '
        f'"maxPowerA": {bad}, "acDcPowerRatio": {bad}, "connectors": [{{"connectorId": "c1_1", '
        f'"type": "CCS", "maxPowerKw": {bad}, "currentPowerKw": {bad}, "latestTransaction": '
        f'{{"txId": "t", "status": "Charging", "chargedEnergyKwh": {bad}, "powerKw": {bad}, '
        f'"soc": {bad}}}}}]}}]}}'
    )
    tiny = await serve(CHARGEYE_TOKEN | {"GET /stations": answer(stations)})
    (station,) = await chargeye(session, tiny).get_stations()
    assert (station.current_power_kw, station.max_power_kw, station.max_power_a) == (None,) * 3
    assert station.ac_dc_power_ratio is None
    (connector,) = station.connectors
    assert (connector.max_power_kw, connector.reported_power_kw) == (None, None)
    transaction = connector.latest_transaction
    assert transaction is not None
    assert (transaction.energy_kwh, transaction.power_kw, transaction.soc) == (None,) * 3


# -- deeply nested or huge JSON ----------------------------------------------


def test_deep_json_is_refused_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(EvseResponseError, match="nested"):
        decode_json(DEEP_JSON)
    # A string full of brackets is text, not nesting.
    assert decode_json('{"a": "' + "[" * 10_000 + '"}') == {"a": "[" * 10_000}
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert decode_json(nested) is not None
    with pytest.raises(EvseResponseError):
        decode_json("[" + nested + "]")
    with pytest.raises(EvseResponseError, match="more than"):
        decode_json("[" + "[]," * MAX_JSON_CONTAINERS + "1]")
    with pytest.raises(EvseResponseError):
        decode_json("[1, 2")
    with pytest.raises(EvseResponseError):
        decode_json(b"\xff\xfe{}")
    assert time.perf_counter() - started < 5.0


async def test_legacy_deep_and_huge_answers_are_typed_errors(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        # No Content-Length: the cap must stop the reading, not the declared size.
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"cc_serial_n:S1\n")
        for _ in range(MAX_BODY // 65536 + 2):
            await response.write(b"x" * 65536)
        return response

    tiny = await serve(
        {
            "GET /rest/full_state": answer('{"cc_serial_n": "S1", "x": ' + DEEP_JSON + "}"),
            "GET /big/rest/full_state": answer(b"a:" + b"1" * (MAX_BODY + 1)),
            "GET /chunked/rest/full_state": chunked,
        }
    )
    with pytest.raises(EvseResponseError, match="nested"):
        await legacy(session, tiny).full_state()
    with pytest.raises(EvseResponseError, match="exceeds"):
        await BenderLegacyClient(session, f"{tiny.url}/big").full_state()
    with pytest.raises(EvseResponseError, match="exceeds"):
        await BenderLegacyClient(session, f"{tiny.url}/chunked").full_state()
    with pytest.raises(EvseResponseError):
        parse_body("{" + DEEP_JSON)


async def test_bender_v1_deep_answer_is_a_typed_error(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    tiny = await serve(
        V1_LOGIN | {"GET /v1/system_state": answer('{"transaction": ' + DEEP_JSON + "}")}
    )
    with pytest.raises(EvseResponseError):
        await bender_v1(session, tiny).system_state()


async def test_evce_body_caps_per_endpoint(serve: Serve, session: aiohttp.ClientSession) -> None:
    """A list of a big hub may be larger than one object may be."""
    # 300 stations whose statuses take more than the default cap.
    padding = "p" * 4000
    big_list = json.dumps(
        [
            {"station_id": index, "note": padding, "evses": [{"id": 1, "status": "available"}]}
            for index in range(300)
        ]
    )
    assert len(big_list) > MAX_BODY
    tiny = await serve(
        EVCE_LOGIN
        | {
            "GET /api/v2/stations/statuses": answer(big_list),
            "GET /api/v2/em/zones/7/status": answer('{"pad": "' + "p" * MAX_BODY + '"}'),
            "GET /api/v2/em/zones/8/status": answer("[" + DEEP_JSON + "]"),
        },
        tls=True,
    )
    client = evce(session, tiny)
    started = time.perf_counter()
    assert len(await client.station_statuses()) == 300
    with pytest.raises(EvseResponseError, match="exceeds"):
        await client.zone_status(7)
    with pytest.raises(EvseResponseError, match="nested"):
        await client.zone_status(8)
    assert time.perf_counter() - started < 10.0


async def test_chargeye_deep_answers_are_typed_errors(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    tiny = await serve(
        CHARGEYE_TOKEN | {"GET /stations": answer('{"stations": ' + DEEP_JSON + "}")}
    )
    with pytest.raises(EvseResponseError):
        await chargeye(session, tiny).get_stations()
    # A token whose claims nest deeply names no account; nothing crashes.
    assert jwt_claims(make_jwt(DEEP_JSON)) == {}
    assert jwt_claims("a.!!!.c") == {}


# -- tokens and session ids that are not header-safe text --------------------


@pytest.mark.parametrize("unsafe", UNSAFE_TOKENS)
def test_header_token_refuses_unsafe_text(unsafe: str) -> None:
    with pytest.raises(EvseResponseError) as caught:
        header_token(unsafe, "token")
    assert unsafe not in str(caught.value)
    assert header_token("eyJ.abc-_~+/=.sig", "token") == "eyJ.abc-_~+/=.sig"
    with pytest.raises(EvseResponseError):
        header_token(None, "token")


@pytest.mark.parametrize("unsafe", UNSAFE_TOKENS)
async def test_bender_v1_unsafe_session_id_never_reaches_a_header(
    serve: Serve, session: aiohttp.ClientSession, unsafe: str
) -> None:
    login = json.dumps({"logged_in": True, "session": {"id": unsafe}})
    tiny = await serve(
        {"GET /v1/login": answer('{"token": "t"}'), "POST /v1/login": answer(login)}
        | {"GET /v1/system_state": answer("{}")}
    )
    with pytest.raises(EvseResponseError, match="header-safe"):
        await bender_v1(session, tiny).system_state()
    assert "GET /v1/system_state" not in tiny.paths()


@pytest.mark.parametrize("unsafe", UNSAFE_TOKENS)
async def test_evce_unsafe_token_never_reaches_a_header(
    serve: Serve, session: aiohttp.ClientSession, unsafe: str
) -> None:
    tiny = await serve(
        {
            "POST /api/v2/login/login": answer(json.dumps({"token": unsafe})),
            "GET /api/v2/stations/statuses": answer("[]"),
        },
        tls=True,
    )
    client = evce(session, tiny)
    with pytest.raises(EvseResponseError, match="header-safe"):
        await client.station_statuses()
    assert client.token is None
    assert tiny.paths() == ["POST /api/v2/login/login"]


@pytest.mark.parametrize("unsafe", UNSAFE_TOKENS)
async def test_chargeye_unsafe_token_never_reaches_a_header(
    serve: Serve, session: aiohttp.ClientSession, unsafe: str
) -> None:
    tiny = await serve(
        {
            "GET /auth/refreshAccessToken": answer(json.dumps({"token": unsafe})),
            "GET /stations": answer('{"stations": []}'),
        }
    )
    with pytest.raises(EvseResponseError, match="header-safe"):
        await chargeye(session, tiny).get_stations()
    assert tiny.paths() == ["GET /auth/refreshAccessToken"]


@pytest.mark.parametrize("unsafe", ["pass\r\nword", "pass\nX: 1", "nul\x00"])
async def test_configured_secrets_with_control_characters_are_not_sent(
    serve: Serve, session: aiohttp.ClientSession, unsafe: str
) -> None:
    tiny = await serve({"GET /rest/full_state": answer("cc_serial_n:S1")})
    with pytest.raises(EvseResponseError, match="Password header"):
        await legacy(session, tiny, password=unsafe).full_state()
    with pytest.raises(EvseResponseError, match="Authorization header"):
        await ChargEyeClient(session, unsafe, base_url=tiny.url).get_stations()
    assert tiny.seen == []


# -- absurd Retry-After and token expiry -------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 30 ", 30.0),
        ("0", 0.0),
        ("-5", 60.0),
        ("NaN", 60.0),
        ("soon", 60.0),
        ("", 60.0),
        ("Infinity", MAX_RETRY_AFTER_S),
        ("1e999", MAX_RETRY_AFTER_S),
        ("99999999999", MAX_RETRY_AFTER_S),
        ("Mon, 02 Mar 2026 06:02:00 GMT", 120.0),
        ("Mon, 02 Mar 2026 06:02:00 -0000", 120.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_S),
        ("Sun, 01 Mar 2026 06:00:00 GMT", 0.0),
        ("Mon, 99 Foo 2026 99:99:99 GMT", 60.0),
    ],
)
def test_retry_after_is_bounded(header: str, seconds: float) -> None:
    assert parse_retry_after(header, now=NOW) == seconds
    assert parse_retry_after(None) == 60.0
    assert bounded_seconds(float("nan"), 10.0, 5.0) == 5.0
    assert bounded_seconds(None, 10.0, 5.0) == 5.0
    assert bounded_seconds(-3.0, 10.0, 5.0) == 0.0


@pytest.mark.parametrize("header", ["99999999999", "1e999", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_chargeye_far_retry_after_waits_at_most_an_hour(
    serve: Serve, session: aiohttp.ClientSession, header: str
) -> None:
    tiny = await serve(
        {"GET /auth/refreshAccessToken": answer(status=429, headers={"Retry-After": header})}
    )
    clock = Clock()
    client = chargeye(session, tiny, clock)
    with pytest.raises(EvseRateLimitedError) as caught:
        await client.get_stations()
    assert caught.value.retry_after == MAX_RETRY_AFTER_S
    assert client.rate_limited_for == MAX_RETRY_AFTER_S
    clock.now += MAX_RETRY_AFTER_S
    assert client.rate_limited_for == 0.0


@pytest.mark.parametrize(
    ("valid_until", "claims"),
    [
        ('"9999-12-31T23:59:59Z"', None),
        ('"2126-03-02T06:00:00Z"', None),
        ('"1970-01-01T00:00:00Z"', None),
        ('"not a date"', None),
        ("-1", None),
        ("NaN", None),
        (None, {"organizationId": "org-1", "exp": 1e300}),
        (None, {"organizationId": "org-1", "exp": 10**400}),
        (None, {"organizationId": "org-1", "exp": 1e14}),
        (None, {"organizationId": "org-1", "exp": -1e9}),
        (None, {"organizationId": "org-1", "exp": "NaN"}),
    ],
)
async def test_chargeye_token_lifetime_is_at_most_the_documented_8_h(
    serve: Serve,
    session: aiohttp.ClientSession,
    valid_until: str | None,
    claims: dict[str, Any] | None,
) -> None:
    tiny = await serve(
        {
            "GET /auth/refreshAccessToken": chargeye_token(valid_until, claims),
            "GET /stations": answer('{"stations": []}'),
        }
    )
    clock = Clock()
    client = chargeye(session, tiny, clock)
    await client.get_stations()
    assert client.token_exchanges == 1
    clock.now += DEFAULT_TOKEN_LIFETIME_S
    await client.get_stations()
    assert client.token_exchanges == 2


async def test_evce_absurd_token_expiry_changes_nothing(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    """The EVCE client reads no expiry: it renews on 401, so no claim can stretch a token."""
    token = make_jwt({"exp": 1e300, "iat": "NaN"})
    tiny = await serve(
        {
            "POST /api/v2/login/login": answer(json.dumps({"token": token})),
            "GET /api/v2/stations/statuses": answer("[]"),
        },
        tls=True,
    )
    client = evce(session, tiny)
    assert await client.station_statuses() == {}
    assert client.token == token
    assert client.login_count == 1


# -- a 200 answer with an error object is no success --------------------------


ERROR_OBJECTS = (
    '{"code": 3, "message": "zone is locked"}',
    '{"error": "busy"}',
    '{"error": {"message": "busy"}}',
    '{"errors": [{"id": 1}]}',
)


@pytest.mark.parametrize("error", ERROR_OBJECTS)
async def test_evce_zone_reduction_error_object_is_not_success(
    serve: Serve, session: aiohttp.ClientSession, error: str
) -> None:
    tiny = await serve(EVCE_LOGIN | {"PUT /api/v2/em/zones/7/reduction": answer(error)}, tls=True)
    with pytest.raises(EvseCommandRejectedError, match="refused the reduction"):
        await evce(session, tiny).set_zone_reduction(7, 20.0, EvceReductionType.CURRENT)


async def test_evce_zone_reduction_answers_that_are_success(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    tiny = await serve(
        EVCE_LOGIN
        | {
            "PUT /api/v2/em/zones/7/reduction": answer(
                '{"type": "current", "value": 20, "valid_mode": "permanent"}'
            ),
            "PUT /api/v2/em/zones/8/reduction": answer("{}"),
            "PUT /api/v2/em/zones/9/reduction": answer('{"valid_mode": "permanent"}'),
        },
        tls=True,
    )
    client = evce(session, tiny)
    applied = await client.set_zone_reduction(7, 20.0, EvceReductionType.CURRENT)
    assert (applied.type, applied.value) == (EvceReductionType.CURRENT, 20.0)
    # An empty object says nothing against the request, like an empty body.
    assert (await client.set_zone_reduction(8, 20.0, EvceReductionType.CURRENT)).value is None
    with pytest.raises(EvseResponseError, match="without a reduction"):
        await client.set_zone_reduction(9, 20.0, EvceReductionType.CURRENT)


@pytest.mark.parametrize("error", ERROR_OBJECTS)
async def test_evce_command_error_objects_are_not_success(
    serve: Serve, session: aiohttp.ClientSession, error: str
) -> None:
    tiny = await serve(
        EVCE_LOGIN
        | {
            "POST /api/v2/stations/101/cmds/reset": answer(error),
            "POST /api/v2/stations/102/cmds/reset": answer('{"cmd_id": 55}'),
            "GET /api/v2/stations/102/cmds/status/55": answer(error),
            "POST /api/v2/stations/103/cmds/reset": answer('{"note": "queued"}'),
        },
        tls=True,
    )
    client = evce(session, tiny)
    client.sleep = _no_sleep
    with pytest.raises(EvseCommandRejectedError, match="refused reset"):
        await client.reset(101)
    with pytest.raises(EvseResponseError, match="command status answered an error"):
        await client.reset(102)
    with pytest.raises(EvseResponseError, match="no command id"):
        await client.reset(103)


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


#: ChargEye stations c1 and c2, each with connector e1, as the account would list them.
C1, C2 = parse_stations(
    [{"stationId": station, "connectors": [{"connectorId": "e1"}]} for station in ("c1", "c2")]
)
E1 = C1.connectors[0]

CHARGEYE_COMMANDS: dict[str, tuple[str, Callable[[ChargEyeClient], Awaitable[None]]]] = {
    "station limit": (
        "PUT /chargingStations/c1/powerLimit",
        lambda client: client.set_station_power_limit(C1, 10.0, LimitUnit.AC_AMPERE),
    ),
    "clear station limit": (
        "DELETE /chargingStations/c1/powerLimit",
        lambda client: client.clear_station_power_limit(C1),
    ),
    "connector limit": (
        "PUT /chargingStations/c1/evses/e1/powerLimit",
        lambda client: client.set_connector_power_limit(C1, E1, 10.0, LimitUnit.DC_KILOWATT),
    ),
    "clear connector limit": (
        "DELETE /chargingStations/c1/evses/e1/powerLimit",
        lambda client: client.clear_connector_power_limit(C1, E1),
    ),
    "availability": (
        "PUT /chargingStations/c1/evses/e1/availability",
        lambda client: client.set_connector_availability(C1, E1, False),
    ),
    "reset": (
        "POST /chargingStations/c1/reset",
        lambda client: client.restart_station(C1, ResetType.ON_IDLE),
    ),
    "start": (
        "POST /chargingStations/c1/evses/e1/transactions",
        lambda client: client.start_transaction(C1, E1, "TAG"),
    ),
    "stop": ("POST /transactions/t1/stop", lambda client: client.stop_transaction("t1")),
}


@pytest.mark.parametrize("command", sorted(CHARGEYE_COMMANDS))
@pytest.mark.parametrize("error", ERROR_OBJECTS)
async def test_chargeye_command_error_objects_are_not_success(
    serve: Serve, session: aiohttp.ClientSession, command: str, error: str
) -> None:
    route, call = CHARGEYE_COMMANDS[command]
    tiny = await serve(CHARGEYE_TOKEN | {route: answer(error)})
    with pytest.raises(EvseCommandRejectedError, match="refused the command"):
        await call(chargeye(session, tiny))


@pytest.mark.parametrize("command", sorted(CHARGEYE_COMMANDS))
async def test_chargeye_command_answers_without_status_are_not_success(
    serve: Serve, session: aiohttp.ClientSession, command: str
) -> None:
    route, call = CHARGEYE_COMMANDS[command]
    tiny = await serve(CHARGEYE_TOKEN | {route: answer("")})
    with pytest.raises(EvseResponseError, match="no status"):
        await call(chargeye(session, tiny))


@pytest.mark.parametrize("error", ERROR_OBJECTS)
async def test_bender_v1_pairing_error_object_is_not_success(
    serve: Serve, session: aiohttp.ClientSession, error: str
) -> None:
    tiny = await serve(
        V1_LOGIN
        | {
            "POST /v1/whitelist/pairing": answer(error),
        }
    )
    with pytest.raises(EvseCommandRejectedError, match="refused pairing mode"):
        await bender_v1(session, tiny).start_pairing()


V1_WHITELIST_WRITES: dict[str, Callable[[BenderV1Client], Awaitable[None]]] = {
    "add": lambda client: client.whitelist_add([WhitelistEntry(id="04A1b2C3")]),
    "edit": lambda client: client.whitelist_edit([WhitelistEntry(id="04A1b2C3", name="Van")]),
    "delete": lambda client: client.whitelist_delete(["04A1b2C3"]),
    "clear": lambda client: client.whitelist_clear(),
}


@pytest.mark.parametrize("command", sorted(V1_WHITELIST_WRITES))
async def test_bender_v1_whitelist_error_object_is_not_success(
    serve: Serve, session: aiohttp.ClientSession, command: str
) -> None:
    error = answer('{"error": "tag 04a1b2c3 is locked"}')
    tiny = await serve(V1_LOGIN | {"POST /v1/whitelist": error, "DELETE /v1/whitelist": error})
    with pytest.raises(EvseCommandRejectedError) as caught:
        await V1_WHITELIST_WRITES[command](bender_v1(session, tiny))
    if command != "clear":  # clearing sends no tag to hide
        assert "04a1b2c3" not in str(caught.value).lower()


def test_error_object_text() -> None:
    assert error_object_text({"error": "busy"}) == "busy"
    spring = {"timestamp": "t", "status": 500, "error": "Internal", "message": "m", "path": "/"}
    assert error_object_text(spring) == "Internal"
    assert error_object_text({"message": "ok", "params": []}) is None
    assert error_object_text({"code": 0}) is None
    assert error_object_text({1: "x"}) is None
    assert error_object_text(["error"]) is None


async def test_bender_v1_success_with_a_message_is_success(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    tiny = await serve(
        V1_LOGIN | {"POST /v1/whitelist/pairing": answer('{"message": "ok", "mode": "pairing"}')}
    )
    await bender_v1(session, tiny).start_pairing()


def test_error_text() -> None:
    assert error_text({"code": 3, "message": "zone is locked"}) == "zone is locked"
    assert error_text({"error": {"text": "busy"}}) == "busy"
    assert error_text({"errors": [1]}) == "errors"
    assert error_text({"error": None, "errors": []}) is None
    assert error_text({"type": "current", "value": 20}) is None
    assert error_text([{"message": "x"}]) is None
    assert error_text({"message": "m" * 500}) == "m" * 200


# -- redirects are never followed --------------------------------------------


@dataclass
class Origins:
    """The device and the place it redirects to, which must never be reached."""

    device: Tiny
    elsewhere: Tiny


async def redirecting(
    serve: Serve, routes: list[str], status: int, *, tls: bool = False, login: bool = False
) -> Origins:
    """A device whose ``routes`` redirect to another origin (plain HTTP) that records all."""

    async def catch_all(request: web.Request) -> web.StreamResponse:
        return web.Response(text='{"token": "t", "logged_in": true, "session": {"id": "s"}}')

    elsewhere = await serve({"*" + " /{tail:.*}": catch_all})
    target = f"http://user:pw@{elsewhere.host}/steal?tag=ABC#frag"
    base: dict[str, Handler] = (EVCE_LOGIN if tls else V1_LOGIN) if login else {}
    device = await serve(base | dict.fromkeys(routes, redirect(status, target)), tls=tls)
    return Origins(device, elsewhere)


def assert_named_elsewhere(err: EvseRedirectError, origins: Origins, status: int) -> None:
    assert err.status == status
    assert err.location == f"http://{origins.elsewhere.host}/steal"
    assert origins.elsewhere.host in str(err)
    assert "pw" not in str(err)
    assert "ABC" not in str(err)
    assert origins.elsewhere.seen == []


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_legacy_password_never_follows_a_redirect(
    serve: Serve, session: aiohttp.ClientSession, status: int
) -> None:
    origins = await redirecting(serve, ["GET /rest/full_state"], status)
    with pytest.raises(EvseRedirectError) as caught:
        await legacy(session, origins.device, password="geheim").full_state()
    assert_named_elsewhere(caught.value, origins, status)


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_bender_v1_login_never_follows_a_redirect(
    serve: Serve, session: aiohttp.ClientSession, status: int
) -> None:
    origins = await redirecting(serve, ["GET /v1/login", "POST /v1/login"], status)
    with pytest.raises(EvseRedirectError) as caught:
        await bender_v1(session, origins.device).login()
    assert_named_elsewhere(caught.value, origins, status)
    # The session id never follows one either.
    origins = await redirecting(serve, ["GET /v1/system_state"], status, login=True)
    with pytest.raises(EvseRedirectError) as caught:
        await bender_v1(session, origins.device).system_state()
    assert_named_elsewhere(caught.value, origins, status)


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_evce_credentials_never_follow_a_redirect_to_http(
    serve: Serve, session: aiohttp.ClientSession, status: int
) -> None:
    origins = await redirecting(serve, ["POST /api/v2/login/login"], status, tls=True)
    with pytest.raises(EvseRedirectError) as caught:
        await evce(session, origins.device).login()
    assert_named_elsewhere(caught.value, origins, status)
    origins = await redirecting(
        serve, ["POST /api/v2/stations/101/cmds/remote_start"], status, tls=True, login=True
    )
    with pytest.raises(EvseRedirectError) as caught:
        await evce(session, origins.device).remote_start(101, 1, "TAG-1")
    assert_named_elsewhere(caught.value, origins, status)


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_chargeye_tokens_never_follow_a_redirect(
    serve: Serve, session: aiohttp.ClientSession, status: int
) -> None:
    origins = await redirecting(serve, ["GET /auth/refreshAccessToken"], status)
    with pytest.raises(EvseRedirectError) as caught:
        await chargeye(session, origins.device).get_stations()
    assert_named_elsewhere(caught.value, origins, status)
    device = await serve(
        CHARGEYE_TOKEN
        | {
            "POST /chargingStations/c1/evses/e1/transactions": redirect(
                status, f"http://{origins.elsewhere.host}/steal"
            )
        }
    )
    with pytest.raises(EvseRedirectError):
        await chargeye(session, device).start_transaction(C1, E1, "TAG-1")
    assert origins.elsewhere.seen == []


@pytest.mark.parametrize(
    ("location", "named"),
    [
        ("/other/path?x=1", "{device}/other/path"),
        (None, "nowhere (no Location header)"),
        ("http://[::1", "an invalid location"),
    ],
)
async def test_redirect_error_names_where_it_pointed(
    serve: Serve, session: aiohttp.ClientSession, location: str | None, named: str
) -> None:
    headers = {"Location": location} if location is not None else None
    tiny = await serve({"GET /x": answer(status=302, headers=headers)})
    with pytest.raises(EvseRedirectError) as caught:
        await http_request(session, "GET", f"{tiny.url}/x")
    assert caught.value.location == named.format(device=tiny.url)
    assert named.format(device=tiny.url) in str(caught.value)


# -- id tags never appear in an action's error text ---------------------------


def test_scrub_ignores_letter_case() -> None:
    assert scrub("unknown tag 04a1B2c3 (04A1B2C3)", ("04A1b2C3",)) == "unknown tag *** (***)"
    assert scrub("a.b", ("a.",)) == "***b"  # the tag is text, not a pattern
    assert scrub("nothing", (None, "")) == "nothing"
    with pytest.raises(EvseResponseError) as caught, secrets_scrubbed("TaG"):
        raise EvseResponseError("device said tag", 3)
    assert caught.value.args == ("device said ***", 3)


@pytest.mark.parametrize("echoed", ["04a1b2c3", "04A1B2C3", "04A1b2C3"])
async def test_evce_remote_start_error_never_holds_the_id_tag(
    serve: Serve, session: aiohttp.ClientSession, echoed: str
) -> None:
    tiny = await serve(
        EVCE_LOGIN
        | {
            "POST /api/v2/stations/101/cmds/remote_start": answer(
                json.dumps({"code": 7, "message": f"id tag {echoed} is not known"}), status=400
            ),
            "POST /api/v2/stations/102/cmds/remote_start": answer(
                json.dumps({"message": f"refused {echoed}"})
            ),
        },
        tls=True,
    )
    client = evce(session, tiny)
    for station in (101, 102):
        with pytest.raises(EvseCommandRejectedError) as caught:
            await client.remote_start(station, 1, "04a1B2C3")
        assert "04a1b2c3" not in str(caught.value).lower()
        assert "***" in str(caught.value)


@pytest.mark.parametrize("echoed", ["04a1b2c3", "04A1B2C3"])
async def test_chargeye_start_error_never_holds_the_id_token(
    serve: Serve, session: aiohttp.ClientSession, echoed: str
) -> None:
    refusal = {
        "transactionStartResponse": {"status": "Rejected"},
        "statusInfo": {"reasonCode": f"token {echoed} is blocked"},
    }
    tiny = await serve(
        CHARGEYE_TOKEN
        | {
            "POST /chargingStations/c1/evses/e1/transactions": answer(json.dumps(refusal)),
            "POST /chargingStations/c2/evses/e1/transactions": answer(
                json.dumps({"error": f"unknown idToken {echoed}"})
            ),
        }
    )
    client = chargeye(session, tiny)
    for station in (C1, C2):
        with pytest.raises(EvseCommandRejectedError) as caught:
            await client.start_transaction(station, station.connectors[0], "04A1b2c3")
        assert "04a1b2c3" not in str(caught.value).lower()


# -- Home Assistant: a poll with NaN and huge values --------------------------


class HostileLegacyDevice(LegacyDevice):
    """A controller whose JSON full state carries chosen raw values (NaN, 1e999, huge ints)."""

    def __init__(self, clock: SimClock) -> None:
        super().__init__(clock)
        self.overrides: dict[str, Any] = {}

    def full_state(self) -> dict[str, Any]:  # type: ignore[override]
        return super().full_state() | self.overrides


HOSTILE_VALUES: dict[str, Any] = {
    "power_w": float("nan"),
    "meter_wh": float("inf"),
    "transaction_wh": 10**400,
    "ambient_temp": float("-inf"),
    "max_current": 1e300,
    "sig_current": "1e999",
    "current_a": [float("nan"), 1e999, 10**30],
    "con_cycles_type2": 10**25,
}
NUMERIC_KEYS = ("power_w", "meter_wh", "transaction_wh", "ambient_temp", "max_current")


async def test_poll_with_nan_and_huge_values_keeps_entities_unknown(
    hass: HomeAssistant, start_simulator: Any
) -> None:
    device = HostileLegacyDevice(SimClock(scale=0, start=200.0))
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="CC613",
        unique_id=LEGACY_SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    unique = {key: f"{LEGACY_SERIAL}_controller_{key}" for key in NUMERIC_KEYS}
    before = {key: entity_state(hass, "sensor", uid).state for key, uid in unique.items()}
    assert STATE_UNKNOWN not in before.values()

    device.overrides = dict(HOSTILE_VALUES)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert entry.runtime_data.coordinator.last_update_success
    for uid in unique.values():
        assert entity_state(hass, "sensor", uid).state == STATE_UNKNOWN
    # Every entity of the entry is still there, and none holds an oversized state.
    for state in hass.states.async_all():
        assert len(state.state) <= 255
    assert find_entity_id(hass, "sensor", f"{LEGACY_SERIAL}_controller_sig_current") is not None


# -- Home Assistant: every JSON vendor polled with poisoned numbers ------------


#: Keys whose numbers identify something (ids, serials, versions): kept, so devices stay.
def _identifying(key: str) -> bool:
    lowered = key.lower()
    return lowered.endswith("id") or "serial" in lowered or "version" in lowered


def poison(payload: Any, bad: Any, key: str = "") -> Any:
    """``payload`` with every number that is no identifier replaced by ``bad``."""
    if isinstance(payload, dict):
        return {name: poison(value, bad, str(name)) for name, value in payload.items()}
    if isinstance(payload, list):
        return [poison(item, bad, key) for item in payload]
    if isinstance(payload, bool) or not isinstance(payload, int | float) or _identifying(key):
        return payload
    return bad


def poisoning(device: Any) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware rewriting the device's JSON answers while ``device.bad`` is set."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        bad = device.bad
        if (
            bad is None
            or not isinstance(response, web.Response)
            or response.content_type != "application/json"
            or not isinstance(response.body, bytes)
        ):
            return response
        text = json.dumps(poison(json.loads(response.body), bad))
        return web.Response(status=response.status, text=text, content_type="application/json")

    return middleware


class PoisonedV1(BenderV1Device):
    """A Bender v1 controller whose numbers turn hostile on demand."""

    bad: Any = None

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.middlewares.append(poisoning(self))


class PoisonedEvce(EvceDevice):
    """An EVCE hub whose numbers turn hostile on demand."""

    bad: Any = None

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.middlewares.append(poisoning(self))


class PoisonedChargEye(ChargEyeDevice):
    """A ChargEye account whose numbers turn hostile on demand."""

    bad: Any = None

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.middlewares.append(poisoning(self))


def _v1_entry(sim: Any, device: Any) -> tuple[str, dict[str, Any]]:
    return V1_SERIAL, {
        CONF_VENDOR: "bender_v1",
        "host": sim.host,
        "username": V1_USERNAME,
        "password": V1_PASSWORD,
    }


def _evce_entry(sim: Any, device: Any) -> tuple[str, dict[str, Any]]:
    return EVCE_SERIAL, {
        CONF_VENDOR: "schneider_evce",
        "host": sim.host,
        "username": EVCE_USER,
        "password": EVCE_PASSWORD,
        "certificate": "pinned",
        "fingerprint": device.certificate.fingerprint,
    }


def _chargeye_entry(sim: Any, device: Any) -> tuple[str, dict[str, Any]]:
    return CHARGEYE_ORGANIZATION, {
        CONF_VENDOR: "kempower_chargeye",
        "refresh_token": CHARGEYE_REFRESH_TOKEN,
        "server_url": f"{sim.url}/api",
    }


POISONED: dict[str, tuple[Callable[[SimClock], Any], Callable[..., tuple[str, dict[str, Any]]]]] = {
    "bender_v1": (lambda clock: PoisonedV1(clock), _v1_entry),
    "schneider_evce": (lambda clock: PoisonedEvce(clock), _evce_entry),
    "kempower_chargeye": (lambda clock: PoisonedChargEye(clock), _chargeye_entry),
}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 10**400, 1e300])
@pytest.mark.parametrize("vendor", sorted(POISONED))
async def test_poll_with_poisoned_numbers_keeps_every_entity(
    hass: HomeAssistant,
    start_simulator: Any,
    caplog: pytest.LogCaptureFixture,
    vendor: str,
    bad: Any,
) -> None:
    make_device, make_entry = POISONED[vendor]
    device = make_device(SimClock(scale=0, start=600.0))
    sim = await start_simulator(device)
    unique_id, data = make_entry(sim, device)
    entry = MockConfigEntry(domain=DOMAIN, title=vendor, unique_id=unique_id, data=data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    shown = [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.disabled_by is None
    ]
    unknown_before = sum(hass.states.get(item).state == STATE_UNKNOWN for item in shown)
    # A control for a running session is unavailable while none runs, poisoned or not.
    unavailable_before = {
        item for item in shown if hass.states.get(item).state == STATE_UNAVAILABLE
    }

    device.bad = bad
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert entry.runtime_data.coordinator.last_update_success
    after = [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.disabled_by is None
    ]
    assert sorted(after) == sorted(shown)
    states = [hass.states.get(item) for item in shown]
    assert all(
        state is not None and state.state != STATE_UNAVAILABLE
        for item, state in zip(shown, states, strict=True)
        if item not in unavailable_before
    )
    texts = [state.state.lower() for state in states if state is not None]
    assert not {"nan", "inf", "-inf"} & set(texts)
    assert all(len(text) <= 255 for text in texts)
    assert texts.count(STATE_UNKNOWN) > unknown_before
    # Diagnostics serialise what the device sent.
    assert json_bytes(await async_get_config_entry_diagnostics(hass, entry))
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("vendor", "path", "form"),
    [
        ("bender_legacy", "GET /rest/full_state", lambda tiny: {"host": tiny.host}),
        (
            "kempower_chargeye",
            "GET /auth/refreshAccessToken",
            lambda tiny: {"refresh_token": "secret", "advanced": {"server_url": tiny.url}},
        ),
    ],
)
async def test_config_flow_says_the_device_redirects(
    hass: HomeAssistant,
    serve: Serve,
    vendor: str,
    path: str,
    form: Callable[[Tiny], dict[str, Any]],
) -> None:
    tiny = await serve({path: redirect(301, "https://elsewhere.example/")})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": vendor}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form(tiny))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "redirected"}


# -- Home Assistant: an action's error never shows the id tag -----------------


def echoing(command: str, status: int, answer_for: Callable[[str], Any]) -> Any:
    """A middleware answering ``command`` requests with an echo of the id tag they carried."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or not request.path.endswith(command):
            return await handler(request)
        body = await request.json()
        tag = str(body.get("id_tag") or body.get("idToken"))
        return web.json_response(answer_for(tag.lower()), status=status)

    return middleware


class EchoingEvce(EvceDevice):
    """An EVCE hub refusing remote starts with a message that quotes the id tag."""

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.middlewares.append(
            echoing(
                "/cmds/remote_start", 400, lambda tag: {"code": 1, "message": f"tag {tag} unknown"}
            )
        )


class EchoingChargEye(ChargEyeDevice):
    """A ChargEye account rejecting starts with a reason that quotes the id token."""

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.middlewares.append(
            echoing(
                "/transactions",
                200,
                lambda tag: {
                    "transactionStartResponse": {"status": "Rejected"},
                    "statusInfo": {"reasonCode": f"token {tag} blocked"},
                },
            )
        )


@pytest.mark.parametrize(
    ("vendor", "make_device", "device_key", "action", "data"),
    [
        (
            "schneider_evce",
            EchoingEvce,
            "station_101",
            "remote_start",
            {"connector": 1, "id_tag": "04A1b2C3"},
        ),
        (
            "kempower_chargeye",
            EchoingChargEye,
            "connector_KEMDC-0001_connector1",
            "start_transaction",
            {"id_token": "04A1b2C3"},
        ),
    ],
)
async def test_action_error_never_shows_the_id_tag(
    hass: HomeAssistant,
    start_simulator: Any,
    vendor: str,
    make_device: Callable[[SimClock], Any],
    device_key: str,
    action: str,
    data: dict[str, Any],
) -> None:
    device = make_device(SimClock(scale=0, start=600.0))
    sim = await start_simulator(device)
    unique_id, entry_data = POISONED[vendor][1](sim, device)
    entry = MockConfigEntry(domain=DOMAIN, title=vendor, unique_id=unique_id, data=entry_data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    target = get_device(hass, f"{unique_id}_{device_key}").id
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(DOMAIN, action, {"device_id": target, **data}, blocking=True)
    shown = " ".join(
        [str(caught.value), *map(str, (caught.value.translation_placeholders or {}).values())]
    )
    assert "blocked" in shown or "unknown" in shown
    assert "04a1b2c3" not in shown.lower()
