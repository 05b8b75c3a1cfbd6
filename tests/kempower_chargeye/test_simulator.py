"""The simulated ChargEye account: options, knobs and refusals of malformed requests."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from simulator.__main__ import parse_spec
from simulator.charging import Phase
from simulator.clock import SimClock
from simulator.kempower_chargeye import TAG_READINGS, ChargEyeDevice, sim_card
from simulator.registry import create_device

from ..conftest import SimServer


def test_options() -> None:
    kind, port, options = parse_spec(
        "kempower_chargeye:18400,refresh_token=abc,org=org-1,dc=1,ac=2,lifetime=600,variant=bare,"
        "tag_reading=object"
    )
    device = create_device(kind, SimClock(scale=0), options)
    assert isinstance(device, ChargEyeDevice)
    assert port == 18400
    assert device.refresh_token == "abc"
    assert device.organization_id == "org-1"
    assert device.token_lifetime_s == 600
    assert device.variant == "bare"
    assert device.tag_reading == "object"
    # Tags by default, so the per-card report of the demo has something to show.
    assert ChargEyeDevice(SimClock(scale=0)).tag_reading == "authorization_token"
    assert list(device.stations) == ["KEMDC-0001", "KEMAC-0001", "KEMAC-0002"]
    with pytest.raises(ValueError, match="unknown"):
        ChargEyeDevice.from_options(SimClock(scale=0), {"colour": "red"})
    with pytest.raises(ValueError, match="variant"):
        ChargEyeDevice.from_options(SimClock(scale=0), {"variant": "odd"})
    with pytest.raises(ValueError, match="tag_reading"):
        ChargEyeDevice.from_options(SimClock(scale=0), {"tag_reading": "xml"})


def test_control_errors(device: ChargEyeDevice) -> None:
    with pytest.raises(ValueError, match="unknown operations"):
        device.control("reject", {"operations": ["fly"]})
    with pytest.raises(ValueError, match="no such station"):
        device.control("remove_station", {"station_id": "nope"})
    with pytest.raises(ValueError, match="no such station"):
        device.control("set_station", {"station_id": "nope"})
    with pytest.raises(ValueError, match="dc or ac"):
        device.control("add_station", {"kind": "hydrogen"})
    with pytest.raises(KeyError):
        device.control("explode", {})
    with pytest.raises(ValueError, match="tag_reading"):
        device.control("tag_reading", {"reading": "xml"})
    assert device.control("tag_reading", {"reading": "id_tag"})["tag_reading"] == "id_tag"
    state = device.control("set_station", {"station_id": "KEMDC-0001", "status": "Faulted"})
    assert state["stations"][0]["status"] == "Faulted"
    assert state["limits_kw"]["KEMDC-0001"]["station"] is None


def _latest(device: ChargEyeDevice, station_id: str, number: int) -> dict[str, Any]:
    station = device.render_station(device.stations[station_id])
    latest: dict[str, Any] = station["connectors"][number - 1]["latestTransaction"]
    return latest


@pytest.mark.parametrize(
    ("reading", "fields"),
    [
        ("none", {}),
        ("string", {"idToken": "04A1B2C3D4E5F6", "idTokenType": "RFID"}),
        ("object", {"idToken": {"idToken": "04A1B2C3D4E5F6", "type": "RFID"}}),
        ("id_tag", {"idTag": "04A1B2C3D4E5F6"}),
        ("authorization_token", {}),
    ],
)
def test_tag_readings(clock: SimClock, reading: str, fields: dict[str, Any]) -> None:
    device = ChargEyeDevice(clock, tag_reading=reading)
    assert list(TAG_READINGS) == ["authorization_token", "none", "string", "object", "id_tag"]
    # At 0 s the AC station's first plug charges its second session, with a simulated card.
    latest = _latest(device, "KEMAC-0001", 1)
    assert latest["txId"] == "TX-KEMAC-0001-1-2"
    assert latest["status"] == "Charging"
    assert {key: latest[key] for key in latest if key.lower().startswith("id")} == fields
    if reading == "authorization_token":
        assert latest["authorizationToken"] == "04A1B2C3D4E5F6"
    assert sim_card(2, 1) == "04A1B2C3D4E5F6"
    # Its other plug charges with another card; the ended session keeps its card.
    second = _latest(device, "KEMAC-0001", 2)
    if reading != "none":
        assert json.dumps(second).count(sim_card(2, 2)) == 1
        assert sim_card(2, 2) != sim_card(2, 1)
    clock.advance(800)
    ended = _latest(device, "KEMAC-0001", 1)
    assert ended["status"] == "Ended"
    assert {key: ended[key] for key in ended if key.lower().startswith("id")} == fields


async def test_started_transaction_carries_its_token(
    device: ChargEyeDevice, sim: SimServer, session: aiohttp.ClientSession, clock: SimClock
) -> None:
    device.control("tag_reading", {"reading": "string"})
    headers = await _jwt(session, sim)
    url = f"{sim.url}/api/chargingStations/KEMAC-0001/evses"
    # Plug 1 charges session 2: the token goes to session 3. Plug 2 too; a start without a
    # token gives its session 3 none.
    for evse, body in (
        ("1", {"idToken": "APP-USER-42", "idTokenType": "APP_USER"}),
        ("2", {"idToken": None}),
    ):
        async with session.post(f"{url}/{evse}/transactions", json=body, headers=headers) as resp:
            assert (await resp.json())["transactionStartResponse"]["status"] == "Accepted"
    assert _latest(device, "KEMAC-0001", 1)["idToken"] == sim_card(2, 1)
    clock.advance(900)  # session 3 charges on both plugs
    latest = _latest(device, "KEMAC-0001", 1)
    assert (latest["txId"], latest["idToken"], latest["idTokenType"]) == (
        "TX-KEMAC-0001-1-3",
        "APP-USER-42",
        "APP_USER",
    )
    latest = _latest(device, "KEMAC-0001", 2)
    assert (latest["txId"], latest["idToken"], latest["idTokenType"]) == (
        "TX-KEMAC-0001-2-3",
        None,
        None,
    )
    clock.advance(1100)  # the sessions after them carry cards again
    assert _latest(device, "KEMAC-0001", 1)["idToken"] == sim_card(4, 1)
    # A start while the car waits to charge goes to that session.
    device.control("tag_reading", {"reading": "object"})
    station = device.stations["KEMAC-0001"]
    cycle = station.connectors[0].cycle
    while cycle.reading(clock.now()).phase is not Phase.CONNECTED:
        clock.advance(10)
    waiting = _latest(device, "KEMAC-0001", 1)
    async with session.post(
        f"{url}/1/transactions", json={"idToken": "RFID-7", "idTokenType": "RFID"}, headers=headers
    ) as resp:
        assert resp.status == 200
    assert _latest(device, "KEMAC-0001", 1)["idToken"] == {"idToken": "RFID-7", "type": "RFID"}
    assert _latest(device, "KEMAC-0001", 1)["txId"] == waiting["txId"]


async def _jwt(session: aiohttp.ClientSession, sim: SimServer) -> dict[str, str]:
    async with session.get(
        f"{sim.url}/api/auth/refreshAccessToken",
        headers={"Authorization": "Bearer chargeye-sim-refresh-token"},
    ) as response:
        token = (await response.json())["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "/chargingStations/KEMDC-0001/powerLimit", {"limit": {}}, 400),
        ("PUT", "/chargingStations/KEMDC-0001/powerLimit", {"limit": {"dcMaxPowerKw": -1}}, 400),
        ("PUT", "/chargingStations/KEMDC-0001/powerLimit", {"limit": {"watts": 5}}, 400),
        ("PUT", "/chargingStations/KEMDC-0001/evses/KEMDC-0001_connector1/availability", {}, 400),
        ("POST", "/chargingStations/KEMDC-0001/reset", {"type": "Later"}, 400),
        ("POST", "/chargingStations/NOPE/reset", {"type": "Immediate"}, 404),
        ("PUT", "/chargingStations/KEMAC-0001/evses/9/availability", {"type": "Operative"}, 404),
        # Paths take the connector id as listed: the AC id carries no station prefix.
        (
            "PUT",
            "/chargingStations/KEMAC-0001/evses/KEMAC-0001_1/availability",
            {"type": "Inoperative"},
            404,
        ),
        ("PUT", "/chargingStations/KEMAC-0001/evses/1/availability", {"type": "Inoperative"}, 200),
        (
            "PUT",
            "/chargingStations/KEMAC-0001/evses/1/availability",
            {"type": "Inoperative", "disableTextReason": 5},
            400,
        ),
        ("POST", "/chargingStations/KEMAC-0001/evses/1/transactions", {"idToken": 5}, 400),
        ("PUT", "/chargingStations/KEMAC-0001/chargingProfile", {"chargingProfile": {}}, 400),
        ("PUT", "/transactions/TX-none/powerLimit", {"limit": {"acMaxPowerA": 6}}, 404),
    ],
)
async def test_malformed_requests(
    sim: SimServer,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    headers = await _jwt(session, sim)
    async with session.request(method, f"{sim.url}/api{path}", json=body, headers=headers) as resp:
        assert resp.status == status


async def test_invalid_json_and_tokens(sim: SimServer, session: aiohttp.ClientSession) -> None:
    headers = await _jwt(session, sim)
    async with session.put(
        f"{sim.url}/api/chargingStations/KEMDC-0001/powerLimit",
        data=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    for token in ("not-a-jwt", "a.b.c", headers["Authorization"].split()[1][:-4] + "AAAA"):
        async with session.get(
            f"{sim.url}/api/stations", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 401
