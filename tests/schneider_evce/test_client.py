"""The EVCE client against the simulated hub over HTTPS: session, certificates, data, commands."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from custom_components.evse_bridge.api import (
    EvseAuthenticationError,
    EvseCertificateError,
    EvseCertificateMismatchError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from custom_components.evse_bridge.api.schneider_evce import (
    EvceClient,
    EvceCommandStatus,
    EvceConnectorStatus,
    EvceOcppStatus,
    EvcePermissionError,
    EvceReductionType,
    EvceSslMode,
    fetch_certificate_fingerprint,
    format_fingerprint,
    normalize_fingerprint,
    split_host,
)
from simulator.clock import SimClock
from simulator.schneider_evce import LOGIN, PASSWORD, EvceDevice

from ..conftest import SimServer, StartSimulator
from .conftest import LOGIN_PATH, STATUSES_PATH, MakeClient, ScriptedEvceDevice


async def poll(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    """What the coordinator asks on every poll."""
    await client.station_statuses()
    for zone_id in hub.zones:
        await client.zone_status(zone_id)
        await client.zone_reduction(zone_id)
    for meter_id in hub.pms:
        await client.power_meter_values(meter_id)


# --- session --------------------------------------------------------------------------------


async def test_product_info_from_documented_answers_with_the_token(
    client: EvceClient, sim: SimServer
) -> None:
    # Default reading: maintenance endpoints need the token, no product_infos.
    info = await client.product_info()
    assert info.serial == "3N2412345678"
    assert info.model == "HMIBSCEA53D1EDB"
    assert info.firmware == "6.0.2"
    assert info.name is None
    assert sim.requests(LOGIN_PATH) == 1
    assert sim.requests("GET /api/v2/maintenance/product_status") == 1
    assert dict(info.sources) == {
        "serial": "product_status.serial_number",
        "firmware": "product_status.firmware_version",
        "model": "product_caps.commercial_reference",
    }


@pytest.mark.parametrize(
    ("variant", "serial", "name"),
    [
        ("identity=infos+maintenance_auth=open", "3N2412345678", "EcoStruxure EV Charging Expert"),
        ("identity=none", None, None),
    ],
)
async def test_product_info_variants(
    start_simulator: StartSimulator,
    http_session: aiohttp.ClientSession,
    variant: str,
    serial: str | None,
    name: str | None,
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant=variant)
    server = await start_simulator(hub)
    client = EvceClient(
        http_session, server.host, LOGIN, PASSWORD, fingerprint=hub.certificate.fingerprint
    )
    info = await client.product_info()
    assert info.serial == serial
    assert info.name == name


async def test_login_logs_out_a_held_token_first(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    await client.login()
    first = client.token
    await client.login()
    assert client.token != first
    assert sim.requests("POST /api/v2/login/logout") == 1
    assert hub.users[LOGIN].logouts == 1
    assert len(hub.tokens) == 1


async def test_one_login_for_a_healthy_day(
    client: EvceClient, sim: SimServer, hub: ScriptedEvceDevice, clock: SimClock
) -> None:
    # A poll every 10 simulated minutes for almost 12 h: the token is reused throughout.
    for _ in range(71):
        await poll(client, hub)
        clock.advance(600)
    assert sim.requests(LOGIN_PATH) == 1
    assert client.login_count == 1
    assert sim.requests(STATUSES_PATH) == 71
    # Requests per poll: one for all stations, two per zone, one per power meter.
    polls = sim.requests() - 1
    assert polls == 71 * (1 + 2 * len(hub.zones) + len(hub.pms))
    # The token expires after 12 h: one new login, then on it goes.
    clock.advance(600)
    await poll(client, hub)
    await poll(client, hub)
    assert sim.requests(LOGIN_PATH) == 2


async def test_token_reused_by_a_new_client(
    client: EvceClient, make_client: MakeClient, sim: SimServer
) -> None:
    stored: list[str | None] = []
    client.add_token_listener(stored.append)
    await client.stations()
    assert stored == [client.token]
    restarted = make_client(token=client.token)
    await restarted.stations()
    assert sim.requests(LOGIN_PATH) == 1
    assert restarted.login_count == 0


async def test_idle_revocation_and_reboot_log_in_once_again(
    client: EvceClient, sim: SimServer, hub: ScriptedEvceDevice, clock: SimClock
) -> None:
    await client.stations()
    clock.advance(1801)
    await client.stations()
    assert sim.requests(LOGIN_PATH) == 2
    hub.reboot()
    await client.stations()
    assert sim.requests(LOGIN_PATH) == 3
    assert sim.requests("GET /api/v2/stations/") == 5


async def test_a_new_login_elsewhere_costs_one_login(
    client: EvceClient, make_client: MakeClient, sim: SimServer
) -> None:
    await client.stations()
    other = make_client()
    await other.stations()  # one connection per user: this revokes the first token
    await client.stations()
    assert sim.requests(LOGIN_PATH) == 3


async def test_wrong_password_logs_in_once_and_never_loops(
    make_client: MakeClient, sim: SimServer
) -> None:
    client = make_client(password="wrong-password")
    with pytest.raises(EvseAuthenticationError) as err:
        await client.station_statuses()
    assert "wrong-password" not in str(err.value)
    assert sim.requests(LOGIN_PATH) == 1
    assert sim.requests(STATUSES_PATH) == 0
    assert client.token is None


async def test_user_without_api_permission(
    make_client: MakeClient, hub: ScriptedEvceDevice
) -> None:
    # 403 at login: the user lacks the EBMS role (the document's status table).
    hub.users[LOGIN].role = "User"
    with pytest.raises(EvcePermissionError, match="EBMS"):
        await make_client().login()


async def test_password_changed_on_the_hub(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    await client.stations()
    hub.control("set_password", {"password": "New-Passw0rd!!"})
    with pytest.raises(EvseAuthenticationError):
        await client.stations()
    assert sim.requests(LOGIN_PATH) == 2


async def test_logout_releases_the_token(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    await client.logout()  # nothing to release yet
    assert sim.requests("POST /api/v2/login/logout") == 0
    await client.stations()
    assert len(hub.tokens) == 1
    await client.logout()
    assert client.token is None
    assert hub.tokens == {}
    assert sim.requests("POST /api/v2/login/logout") == 1


async def test_logout_survives_an_unreachable_hub(
    client: EvceClient, hub: ScriptedEvceDevice
) -> None:
    await client.stations()
    hub.faults.update({"mode": "drop"})
    await client.logout()
    assert client.token is None


async def test_concurrent_requests_share_one_login(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    await client.stations()
    hub.reboot()
    await client.stations()
    stale = "x.y.z"
    # A request carrying a token other than the current one does not log in again.
    assert await client._ensure_token(stale) == client.token
    assert sim.requests(LOGIN_PATH) == 2


# --- login answers an odd hub gives ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((500, {"message": "busy"}), EvseConnectionError),
        ((400, {"message": "bad"}), EvseResponseError),
        ((200, b"not json"), EvseResponseError),
        ((200, ["token"]), EvseResponseError),
        ((200, {"message": "no token"}), EvseResponseError),
    ],
)
async def test_odd_login_answers(
    client: EvceClient, hub: ScriptedEvceDevice, answer: tuple[int, object], error: type
) -> None:
    hub.scripted[LOGIN_PATH] = answer
    with pytest.raises(error):
        await client.login()


async def test_hub_refusing_a_fresh_token(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.scripted["GET /api/v2/stations/"] = (401, {"code": 1002, "message": "invalid token"})
    with pytest.raises(EvseResponseError, match="freshly issued"):
        await client.stations()


# --- certificates -----------------------------------------------------------------------------


async def test_fetch_fingerprint_on_first_contact(sim: SimServer, hub: ScriptedEvceDevice) -> None:
    fingerprint = await fetch_certificate_fingerprint(sim.host)
    assert fingerprint == hub.certificate.fingerprint
    assert len(format_fingerprint(fingerprint).split(":")) == 32
    assert normalize_fingerprint(format_fingerprint(fingerprint)) == fingerprint


async def test_fetch_fingerprint_from_nothing(socket_enabled: None, unused_tcp_port: int) -> None:
    with pytest.raises(EvseConnectionError):
        await fetch_certificate_fingerprint(f"127.0.0.1:{unused_tcp_port}", timeout_s=2)


async def test_pinned_certificate_accepted_then_a_changed_one_refused(
    client: EvceClient, hub: ScriptedEvceDevice, http_session: aiohttp.ClientSession
) -> None:
    old = hub.certificate.fingerprint
    await client.stations()
    new = hub.renew_certificate()
    # Connections are pooled: a fresh session makes the new handshake happen now.
    await http_session.connector.close()  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        fresh = EvceClient(session, client._base.authority, "ebms_user", PASSWORD, fingerprint=old)
        with pytest.raises(EvseCertificateMismatchError) as err:
            await fresh.stations()
    assert err.value.expected == old
    assert err.value.received == new
    assert isinstance(err.value, EvseConnectionError)


@pytest.mark.usefixtures("tolerate_tls_handshake_failures")
async def test_system_authorities_do_not_trust_the_hub(make_client: MakeClient) -> None:
    client = make_client(ssl_mode=EvceSslMode.SYSTEM, fingerprint=None)
    with pytest.raises(EvseCertificateError):
        await client.product_info()


async def test_no_verification_works(make_client: MakeClient) -> None:
    client = make_client(ssl_mode=EvceSslMode.INSECURE, fingerprint=None)
    assert (await client.product_info()).serial == "3N2412345678"


def test_fingerprint_and_host_helpers() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        normalize_fingerprint("ab:cd")
    assert split_host("evce.local") == ("evce.local", 443)
    assert split_host("https://10.0.0.5:8443/") == ("10.0.0.5", 8443)
    assert split_host("[::1]:9443") == ("::1", 9443)
    with pytest.raises(EvseConnectionError):
        split_host("https://")
    with pytest.raises(EvseConnectionError):
        split_host("bad host:x")


async def test_pinning_needs_a_fingerprint(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="fingerprint"):
        make_client(fingerprint=None)


# --- data -------------------------------------------------------------------------------------


async def test_stations_and_statuses(client: EvceClient, clock: SimClock) -> None:
    stations = await client.stations()
    assert [station.id for station in stations] == [101, 102, 103]
    assert stations[1].name == "Bay 2"
    assert stations[1].model == "EVlink Pro AC"
    assert stations[1].serial == "EVB1A22P4KI00102"
    assert stations[1].connectors == (1, 2)
    clock.advance(100)
    statuses = await client.station_statuses()
    bay2 = statuses[102]
    assert bay2.ocpp_status is EvceOcppStatus.CONNECTED
    assert set(bay2.connectors) == {1, 2}
    # Bay 2 at t=100: EVSE 1 charges at full power, EVSE 2 is tapering off.
    assert bay2.connectors[1].status is EvceConnectorStatus.CHARGING
    assert bay2.connectors[1].power_w == 11000
    assert bay2.status is EvceConnectorStatus.CHARGING
    assert bay2.power_w == pytest.approx(
        11000 + bay2.connectors[2].power_w  # type: ignore[operator]
    )
    assert bay2.connectors[2].session_energy_wh is not None
    assert bay2.connectors[1].in_session
    assert bay2.connectors[1].transaction_id == 1021001
    assert statuses[101].connectors[1].power_w is not None
    assert "stations_statuses" in client.raw_payloads


async def test_tolerant_station_parsing(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.scripted["GET /api/v2/stations/"] = (
        200,
        {
            "stations": [
                {"id": "5", "friendly_name": "Flat", "evses": [{"id": 1}, {"nothing": 1}]},
                {"config": {"friendly_name": "no id"}},
                "noise",
            ]
        },
    )
    hub.scripted[STATUSES_PATH] = (
        200,
        [
            {
                "station_id": 5,
                "ocpp_status": "Connected",
                "evses": [
                    {"id": 1, "connectors": [{"id": 1, "status": "SuspendedEV"}], "power_w": "7.5"},
                    {"id": 2, "status": "Faulted"},
                    {"status": "charging"},
                ],
            },
            {"station_id": 6, "ocpp_status": "sleeping", "evses": []},
            {"ocpp_status": "connected"},
        ],
    )
    stations = await client.stations()
    assert [(item.id, item.name, item.connectors) for item in stations] == [(5, "Flat", (1,))]
    statuses = await client.station_statuses()
    assert set(statuses) == {5, 6}
    assert statuses[5].connectors[1].status is EvceConnectorStatus.SUSPENDEDEV
    assert statuses[5].connectors[1].power_w == 7.5
    assert statuses[5].status is EvceConnectorStatus.FAULTED
    assert statuses[6].ocpp_status is None
    assert statuses[6].status is None
    assert statuses[6].power_w is None


async def test_zones(client: EvceClient, clock: SimClock) -> None:
    zones = await client.zones()
    assert [(zone.id, zone.name) for zone in zones] == [(7, "Parking A"), (8, "Parking B")]
    assert zones[0].max_current_a == 125
    assert zones[0].max_power_kw == pytest.approx(86.2)
    clock.advance(100)
    status = await client.zone_status(7)
    assert len(status.currents_a) == 3
    assert status.power_w is not None
    assert status.setpoint_a == 125
    reduction = await client.zone_reduction(7)
    assert reduction.type is EvceReductionType.CURRENT
    assert reduction.value == 0
    assert reduction.valid_mode == "permanent"
    assert reduction.duration_s is None


async def test_zone_reduction_writes(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    applied = await client.set_zone_reduction(7, 25, EvceReductionType.CURRENT)
    assert applied.value == 25
    assert hub.zones[7].reduction_value == 25
    assert (await client.zone_status(7)).setpoint_a == 100
    assert sim.requests("PUT /api/v2/em/zones/7/reduction") == 1
    applied = await client.set_zone_reduction(8, 10.5, EvceReductionType.POWER)
    assert applied.type is EvceReductionType.POWER
    assert (await client.zone_status(8)).setpoint_a == pytest.approx(109.7)
    with pytest.raises(EvseCommandRejectedError, match="between 0 and 125"):
        await client.set_zone_reduction(7, 500, EvceReductionType.CURRENT)
    with pytest.raises(EvseNotSupportedError):
        await client.set_zone_reduction(99, 5, EvceReductionType.CURRENT)


async def test_zone_reduction_write_answers(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    path = "PUT /api/v2/em/zones/7/reduction"
    hub.scripted[path] = (204, b"")
    applied = await client.set_zone_reduction(7, 3, EvceReductionType.CURRENT)
    assert applied.value == 3
    assert applied.valid_mode == "permanent"
    hub.scripted[path] = (409, {"message": "conflict"})
    with pytest.raises(EvseResponseError):
        await client.set_zone_reduction(7, 3, EvceReductionType.CURRENT)
    hub.scripted[path] = (400, b"<html>")
    with pytest.raises(EvseCommandRejectedError, match="HTTP 400"):
        await client.set_zone_reduction(7, 3, EvceReductionType.CURRENT)
    hub.scripted[path] = (400, ["odd"])
    with pytest.raises(EvseCommandRejectedError, match="HTTP 400"):
        await client.set_zone_reduction(7, 3, EvceReductionType.CURRENT)


async def test_power_meters(client: EvceClient, clock: SimClock) -> None:
    meters = await client.power_meters()
    assert [(meter.id, meter.name, meter.connection) for meter in meters] == [
        (1234, "PM001", "tcp")
    ]
    assert meters[0].model_id == 234
    assert await client.power_meter_model(234) == "Schneider Electric PM5560"
    assert await client.power_meter_model(99) is None
    clock.advance(100)
    values = await client.power_meter_values(1234)
    assert values.voltages_v == (230.8, 231.5, 229.6)
    assert all(value is not None and value > 0 for value in values.currents_a)
    assert values.power_kw is not None
    assert values.power_kw > 4
    assert values.energy_import_kwh is not None
    assert values.frequency_hz == 50.01
    assert values.timestamp is not None
    assert values.units["power_active"] == "kW"


@pytest.mark.parametrize(("units", "known"), [("kilo", True), ("base", True), ("none", False)])
async def test_power_meter_units_variants(
    start_simulator: StartSimulator,
    http_session: aiohttp.ClientSession,
    units: str,
    known: bool,
) -> None:
    """Values come in the unit of their own ``unit`` field; without one they are unknown."""
    hub = EvceDevice(SimClock(scale=0), variant={"pm_units": units})
    server = await start_simulator(hub)
    client = EvceClient(
        http_session, server.host, LOGIN, PASSWORD, fingerprint=hub.certificate.fingerprint
    )
    values = await client.power_meter_values(1234)
    expected = {item["name"]: item["value"] for item in hub.pm_values(hub.pms[1234])["values"]}
    if not known:
        assert values.power_kw is None
        assert values.energy_import_kwh is None
        assert values.voltages_v == (None, None, None)
        return
    scale = 1000.0 if units == "base" else 1.0
    assert values.power_kw == pytest.approx(expected["power_active"] / scale, abs=1e-3)
    assert values.energy_import_kwh == pytest.approx(
        expected["energy_active_import"] / scale, abs=1e-3
    )
    assert values.voltages_v[0] == expected["voltage_l1"]


async def test_power_meter_unit_conversions(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.scripted["GET /api/v2/pms/1234/values"] = (
        200,
        {
            "values": [
                {"name": "voltage_l1", "value": 0.4, "unit": "kV"},
                {"name": "current_l1", "value": 1500, "unit": "mA"},
                {"name": "power_active", "value": 0.02, "unit": "MW"},
                {"name": "energy_active_import", "value": 2.5, "unit": "MWh"},
                {"name": "frequency", "value": 50, "unit": "rpm"},
            ]
        },
    )
    values = await client.power_meter_values(1234)
    assert values.voltages_v[0] == 400
    assert values.currents_a[0] == 1.5
    assert values.power_kw == 20
    assert values.energy_import_kwh == 2500
    assert values.frequency_hz is None


@pytest.mark.parametrize("shape", ["objects", "ids"])
async def test_zone_stations_variants(
    start_simulator: StartSimulator, http_session: aiohttp.ClientSession, shape: str
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant={"zone_stations": shape})
    server = await start_simulator(hub)
    client = EvceClient(
        http_session, server.host, LOGIN, PASSWORD, fingerprint=hub.certificate.fingerprint
    )
    assert await client.zone_stations(7) == (101, 103)
    assert await client.zone_stations(8) == (102,)
    assert await client.zone_stations(99) is None


async def test_zone_stations_odd_answers(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    path = "GET /api/v2/em/zones/7/stations"
    hub.scripted[path] = (200, {"stations": [{"station_id": "5"}, 6, True, "x"]})
    assert await client.zone_stations(7) == (5, 6)
    hub.scripted[path] = (200, {"nothing": 1})
    assert await client.zone_stations(7) is None
    hub.scripted[path] = (200, b"not json")
    assert await client.zone_stations(7) is None
    hub.scripted[path] = (204, b"")
    assert await client.zone_stations(7) is None


async def test_power_meter_model_odd_answers(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    path = "GET /api/v2/pms/models/234"
    hub.scripted[path] = (200, {"name": "234"})
    assert await client.power_meter_model(234) is None
    hub.scripted[path] = (200, {"name": "iEM3255"})
    assert await client.power_meter_model(234) == "iEM3255"
    hub.scripted[path] = (200, [1])
    assert await client.power_meter_model(234) is None


async def test_tolerant_lists(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.scripted["GET /api/v2/em/zones"] = (200, {"zones": [{"name": "Flat"}, {"id": 3}]})
    hub.scripted["GET /api/v2/pms"] = (200, {"pms": [{"id": 9, "name": "Flat"}, {"name": "x"}]})
    hub.scripted["GET /api/v2/pms/9/values"] = (
        200,
        {"values": [{"name": "Voltage_L1", "value": "231.5", "unit": "V"}, {"value": 3}]},
    )
    hub.scripted["GET /api/v2/em/zones/3/status"] = (200, {"current_a": "1,2,x"})
    assert [(zone.id, zone.name) for zone in await client.zones()] == [(3, None)]
    assert [(meter.id, meter.name) for meter in await client.power_meters()] == [(9, "Flat")]
    values = await client.power_meter_values(9)
    assert values.voltages_v == (231.5, None, None)
    assert values.power_kw is None
    status = await client.zone_status(3)
    assert status.currents_a == (1.0, 2.0, None)
    assert status.power_w is None


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("http_500", EvseConnectionError),
        ("garbage", EvseResponseError),
        ("truncated", EvseConnectionError),
        ("drop", EvseConnectionError),
    ],
)
async def test_faults(
    client: EvceClient, hub: ScriptedEvceDevice, mode: str, error: type[Exception]
) -> None:
    await client.login()
    hub.faults.update({"mode": mode})
    with pytest.raises(error):
        await client.station_statuses()


async def test_status_errors(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    with pytest.raises(EvseNotSupportedError):
        await client.zone_status(99)
    hub.scripted[STATUSES_PATH] = (403, {"code": 1, "message": "forbidden"})
    with pytest.raises(EvseResponseError, match="not permitted"):
        await client.station_statuses()
    hub.scripted[STATUSES_PATH] = (400, {"code": 1, "message": "bad"})
    with pytest.raises(EvseResponseError, match="HTTP 400"):
        await client.station_statuses()
    hub.scripted[STATUSES_PATH] = (200, {"nothing": "here"})
    with pytest.raises(EvseResponseError, match="list"):
        await client.station_statuses()
    hub.scripted["GET /api/v2/em/zones/7/status"] = (200, [1, 2])
    with pytest.raises(EvseResponseError, match="object"):
        await client.zone_status(7)


@pytest.mark.parametrize(
    "answer", [(404, {"message": "x"}), (403, {"message": "x"}), (302, {"message": "x"})]
)
async def test_identity_answers_are_optional(
    client: EvceClient, hub: ScriptedEvceDevice, answer: tuple[int, object]
) -> None:
    hub.scripted["GET /api/v2/maintenance/product_status"] = answer
    hub.scripted["GET /api/v2/maintenance/product_caps"] = (200, {"product": {"serial": "S1"}})
    info = await client.product_info()
    assert info.serial == "S1"
    assert info.sources["serial"] == "product_caps.serial"


async def test_identity_on_a_failing_hub(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    await client.login()
    hub.scripted["GET /api/v2/maintenance/product_status"] = (500, {"message": "x"})
    # An optional answer failing never fails the identity: its fields are unknown for now.
    info = await client.product_info()
    assert info.serial is None
    assert info.model == "HMIBSCEA53D1EDB"
    assert client.unavailable["/maintenance/product_status"] == "hub answered HTTP 500"


# --- commands ---------------------------------------------------------------------------------


async def test_availability_switching(
    client: EvceClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    await client.change_availability(101, operative=False)
    statuses = await client.station_statuses()
    assert statuses[101].status is EvceConnectorStatus.INOPERATIVE
    assert statuses[101].power_w == 0
    energy = statuses[101].connectors[1].energy_wh
    hub.clock.advance(300)
    await client.change_availability(101, operative=True)
    statuses = await client.station_statuses()
    assert statuses[101].status is not EvceConnectorStatus.INOPERATIVE
    assert statuses[101].connectors[1].energy_wh == energy  # the cycle stood still meanwhile
    assert sim.requests("POST /api/v2/stations/101/cmds/change_availability") == 2
    # Followed until accepted: one pending answer, then accepted (2 s delay, 1 s polls).
    assert sim.requests("GET /api/v2/stations/101/cmds/status/55") == 3


async def test_command_rejected(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.control("commands", {"mode": "reject"})
    with pytest.raises(EvseCommandRejectedError, match="rejected"):
        await client.reset(101)


async def test_command_never_answered_times_out(
    make_client: MakeClient, hub: ScriptedEvceDevice, sim: SimServer
) -> None:
    client = make_client(command_timeout_s=30, command_poll_interval_s=2)
    hub.control("commands", {"mode": "never"})
    with pytest.raises(EvseCommandTimeoutError, match="30 s"):
        await client.reset(101, hard=True)
    # Polled at 0, 2, ... 30 s of simulated time.
    assert sim.requests("GET /api/v2/stations/101/cmds/status/55") == 16


async def test_command_timeout_status(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.control("commands", {"mode": "timeout"})
    with pytest.raises(EvseCommandTimeoutError):
        await client.remote_start(101, 1, None)


async def test_remote_start_and_stop(
    client: EvceClient, hub: ScriptedEvceDevice, clock: SimClock
) -> None:
    # Bay 3 at t=20 has just finished charging.
    clock.advance(20)
    statuses = await client.station_statuses()
    assert statuses[103].status is EvceConnectorStatus.FINISHING
    with pytest.raises(EvseCommandRejectedError):
        await client.remote_stop(103, connector_id=1)  # nothing is charging
    await client.remote_start(103, 1, "04AABBCCDD")
    statuses = await client.station_statuses()
    assert statuses[103].status is EvceConnectorStatus.CHARGING
    transaction = statuses[103].connectors[1].transaction_id
    assert transaction is not None
    clock.advance(60)
    await client.remote_stop(103, transaction_id=transaction)
    assert (await client.station_statuses())[103].status is EvceConnectorStatus.FINISHING
    with pytest.raises(EvseCommandRejectedError):
        await client.remote_start(101, 1, None)  # already charging
    await client.remote_stop(101, connector_id=1)
    with pytest.raises(ValueError, match="connector or a transaction"):
        await client.remote_stop(101)


async def test_remote_start_unknown_connector_keeps_the_tag_secret(
    client: EvceClient, hub: ScriptedEvceDevice
) -> None:
    with pytest.raises(EvseCommandRejectedError, match="unknown connector") as err:
        await client.remote_start(101, 9, "04AABBCCDD")
    assert "04AABBCCDD" not in str(err.value)
    hub.scripted["POST /api/v2/stations/101/cmds/remote_start"] = (
        400,
        {"message": "tag 04AABBCCDD is unknown"},
    )
    with pytest.raises(EvseCommandRejectedError) as err:
        await client.remote_start(101, 1, "04AABBCCDD")
    assert "04AABBCCDD" not in str(err.value)


async def test_offline_station_rejects(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    hub.control("station_online", {"id": 102, "online": False})
    statuses = await client.station_statuses()
    assert statuses[102].ocpp_status is EvceOcppStatus.DISCONNECTED
    assert statuses[102].connectors == {}
    with pytest.raises(EvseCommandRejectedError):
        await client.reset(102)


async def test_command_answers(client: EvceClient, hub: ScriptedEvceDevice) -> None:
    path = "POST /api/v2/stations/101/cmds/reset"
    hub.scripted[path] = (200, {"nothing": 1})
    with pytest.raises(EvseResponseError, match="command id"):
        await client.reset(101)
    hub.scripted[path] = (409, {"message": "busy"})
    with pytest.raises(EvseResponseError, match="409"):
        await client.reset(101)
    with pytest.raises(EvseNotSupportedError):
        await client.reset(999)
    del hub.scripted[path]
    hub.scripted["GET /api/v2/stations/101/cmds/status/55"] = (200, {"status": "thinking"})
    with pytest.raises(EvseCommandTimeoutError):
        await client.reset(101)
    assert await client.command_status(101, 55) is None
    hub.scripted["GET /api/v2/stations/101/cmds/status/55"] = (200, {"status": "Accepted"})
    assert await client.command_status(101, 55) is EvceCommandStatus.ACCEPTED


async def test_secrets_stay_out_of_logs(
    make_client: MakeClient, hub: ScriptedEvceDevice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    await client.stations()
    hub.reboot()
    hub.clock.advance(20)
    await client.remote_start(103, 1, "04AABBCCDD")
    await client.logout()
    assert PASSWORD not in caplog.text
    assert "04AABBCCDD" not in caplog.text
    assert "Bearer" not in caplog.text


async def test_hundreds_of_stations_in_one_request(
    start_simulator: Any, http_session: aiohttp.ClientSession, clock: SimClock
) -> None:
    big = EvceDevice(clock, stations=300, zones=4, pms=2)
    sim = await start_simulator(big)
    client = EvceClient(
        http_session, sim.host, "ebms_user", PASSWORD, fingerprint=big.certificate.fingerprint
    )
    assert len(await client.stations()) == 300
    statuses = await client.station_statuses()
    assert len(statuses) == 300
    assert sum(len(item.connectors) for item in statuses.values()) == 400
    assert sim.requests("GET /api/v2/stations/statuses") == 1
