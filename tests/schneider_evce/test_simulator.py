"""The simulated EVCE hub on its own: options, JWTs, control actions, odd requests."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest

from simulator.__main__ import parse_spec
from simulator.clock import SimClock
from simulator.registry import create_device
from simulator.schneider_evce import LOGIN, PASSWORD, EvceDevice

from ..conftest import SimServer, StartSimulator

API = "/api/v2"


def test_options() -> None:
    kind, port, options = parse_spec(
        "schneider_evce:18300,stations=200,zones=3,pms=2,command_delay=0.5,idle_timeout=60"
    )
    device = create_device(kind, SimClock(scale=0), options)
    assert isinstance(device, EvceDevice)
    assert port == 18300
    assert len(device.stations) == 200
    assert sorted(device.zones) == [7, 8, 9]
    assert sorted(device.pms) == [1234, 1235]
    assert device.command_delay == 0.5
    assert device.idle_timeout == 60
    with pytest.raises(ValueError, match="unknown"):
        EvceDevice.from_options(SimClock(), {"colour": "green"})


def zone_hub() -> EvceDevice:
    """Zone 7 with three single-EVSE stations, each charging (11 kW = 16 A)."""
    device = EvceDevice(SimClock(scale=0), stations=0, zones=1)
    for _ in range(3):
        device.add_station().evses[0].jump(0.0, 500.0)
    return device


def evse_powers(device: EvceDevice) -> list[float]:
    return [
        station["evses"][0]["power_w"]
        for station in (device.station_status(item) for item in device.stations.values())
    ]


@pytest.mark.parametrize(
    ("reduction", "follows", "power_w"),
    [
        (0.0, True, 11000.0),  # no reduction: each as much as it takes
        (95.0, True, 10 * 230 * 3),  # 30 A for three sessions: 10 A each
        (107.0, True, 6 * 230 * 3),  # 18 A: 6 A each
        (110.0, True, 0.0),  # 15 A: less than 6 A each, all paused
        (110.0, False, 11000.0),  # stations that ignore the set-point
    ],
)
def test_a_zone_shares_its_set_point_among_its_sessions(
    reduction: float, follows: bool, power_w: float
) -> None:
    device = zone_hub()
    zone = device.zones[7]
    zone.reduction_value, zone.follows = reduction, follows
    device.share_zones()
    assert evse_powers(device) == [power_w] * 3
    assert device.zone_status(zone)["power_w"] == 3 * power_w


def test_certificate_kept_across_restarts(tmp_path) -> None:
    options = {"cert_dir": str(tmp_path)}
    first = EvceDevice.from_options(SimClock(scale=0), dict(options))
    second = EvceDevice.from_options(SimClock(scale=0), dict(options))
    assert first.certificate.fingerprint == second.certificate.fingerprint
    assert EvceDevice(SimClock(scale=0)).certificate.fingerprint != first.certificate.fingerprint


def test_control_actions() -> None:
    device = EvceDevice(SimClock(scale=0))
    new_id = device.control("add_station", {"evses": 2})["id"]
    assert new_id == 104
    device.control("remove_station", {"id": new_id})
    assert device.control("add_station", {})["id"] == 105  # never reused
    assert device.control("add_zone", {})["id"] == 9
    device.control("remove_zone", {"id": 9})
    assert device.control("add_pm", {})["id"] == 1235
    device.control("remove_pm", {"id": 1235})
    device.control("connector_fault", {"id": 101, "connector": 1})
    assert device.station_status(device.stations[101])["evses"][0]["status"] == "faulted"
    with pytest.raises(ValueError, match="command mode"):
        device.control("commands", {"mode": "maybe"})
    old = device.certificate.fingerprint
    assert device.control("renew_certificate", {})["fingerprint"] != old
    device.control("reboot", {})
    with pytest.raises(KeyError):
        device.control("explode", {})
    state = device.describe()
    assert state["serial"] == "3N2412345678"
    assert [item["station_id"] for item in state["stations"]] == [101, 102, 103, 105]
    device.control("rename_station", {"id": 101, "name": "Gate"})
    device.control("rename_zone", {"id": 7, "name": "Roof"})
    moved = device.control("config_import", {})
    assert moved["stations"] == {"101": 106, "102": 107, "103": 108, "105": 109}
    assert moved["zones"] == {"7": 10, "8": 11}
    assert moved["pms"] == {"1234": 1236}
    assert device.stations[106].name == "Gate"
    assert device.zones[10].name == "Roof"
    assert device.zone_of_station[106] == 10


def test_variants() -> None:
    device = EvceDevice.from_options(
        SimClock(scale=0), {"variant": "identity=none+pm_units=none", "role": "User"}
    )
    assert device.variant["identity"] == "none"
    assert device.variant["pm_units"] == "none"
    assert device.variant["maintenance_auth"] == "token"
    assert "unit" not in device.pm_values(device.pms[1234])["values"][0]
    for bad in ("identity=maybe", "colour=green"):
        with pytest.raises(ValueError, match="variant"):
            EvceDevice(SimClock(scale=0), variant=bad)


async def test_jwt_and_odd_requests(start_simulator: StartSimulator) -> None:
    clock = SimClock(scale=0)
    device = EvceDevice(clock, token_validity=100)
    sim: SimServer = await start_simulator(device)
    url = sim.url + API
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        async with session.post(f"{url}/login/login", data=b"{") as resp:
            assert resp.status == 400
        async with session.post(
            f"{url}/login/login", json={"login": "nobody", "password": "x"}
        ) as resp:
            assert resp.status == 401
            assert (await resp.json())["code"] == 1001
        async with session.post(
            f"{url}/login/login", json={"login": LOGIN, "password": PASSWORD}
        ) as resp:
            token = (await resp.json())["token"]
        header, payload, _signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
            "alg": "HS256",
            "typ": "JWT",
        }
        assert claims["exp"] == int(device.unix_time(100))
        assert claims["sub"] == LOGIN
        forged = f"{header}.{payload}.{'A' * 43}"
        for value in (f"Bearer {forged}", "Bearer nodots", "Basic abc", f"Bearer {header}.!!.x"):
            async with session.get(f"{url}/em/zones", headers={"Authorization": value}) as resp:
                assert resp.status == 401
        auth = {"Authorization": f"Bearer {token}"}
        for path in (
            "/stations/999/status",
            "/em/zones/99/reduction",
            "/pms/1/values",
            "/stations/101/cmds/status/1",
        ):
            async with session.get(f"{url}{path}", headers=auth) as resp:
                assert resp.status == 404, path
        async with session.get(f"{url}/stations/101/status", headers=auth) as resp:
            assert (await resp.json())["station_id"] == 101
        # Maintenance endpoints need the token (the default reading).
        async with session.get(f"{url}/maintenance/product_status") as resp:
            assert resp.status == 401
        for path in ("/maintenance/product_status", "/maintenance/product_caps", "/config/em"):
            async with session.get(f"{url}{path}", headers=auth) as resp:
                assert resp.status == 200, path
        async with session.get(f"{url}/maintenance/product_infos", headers=auth) as resp:
            assert resp.status == 404
        async with session.get(f"{url}/pms/models/1", headers=auth) as resp:
            assert resp.status == 404
        async with session.get(f"{url}/em/zones/99/stations", headers=auth) as resp:
            assert resp.status == 404
        async with session.put(
            f"{url}/em/zones/7/reduction",
            headers=auth,
            json={"type": "current", "value": 5, "valid_mode": "temporary"},
        ) as resp:
            assert resp.status == 400
        bad_commands = [
            ("/stations/999/cmds/reset", {"type": "soft"}, 404),
            ("/stations/101/cmds/explode", {}, 404),
            ("/stations/101/cmds/reset", b"{", 400),
            ("/stations/101/cmds/reset", [], 400),
            ("/stations/101/cmds/reset", {"type": "gentle"}, 400),
            ("/stations/101/cmds/remote_stop", {}, 400),
            ("/stations/101/cmds/change_availability", {"connector_id": 0}, 400),
        ]
        for path, body, status in bad_commands:
            kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
            async with session.post(f"{url}{path}", headers=auth, **kwargs) as resp:
                assert resp.status == status, path
        for body in (b"{", {"type": "current"}, {"type": "volts", "value": 1}):
            kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
            async with session.put(f"{url}/em/zones/7/reduction", headers=auth, **kwargs) as resp:
                assert resp.status == 400
        async with session.put(
            f"{url}/em/zones/7/reduction",
            headers=auth,
            json={"type": "current", "value": 5, "valid_mode": "temporary", "duration_s": 600},
        ) as resp:
            assert (await resp.json())["duration_s"] == 600
        for path in ("/stations/", "/stations/statuses", "/em/zones", "/pms"):
            async with session.get(f"{url}{path}") as resp:
                assert resp.status == 401, path
        clock.advance(100)  # the 12 h validity, scaled down to 100 s
        async with session.get(f"{url}/em/zones", headers=auth) as resp:
            assert resp.status == 401
        async with session.post(f"{url}/login/logout", headers=auth) as resp:
            assert resp.status == 401
