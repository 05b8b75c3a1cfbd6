"""The simulated ChargEye account: options, knobs and refusals of malformed requests."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator.__main__ import parse_spec
from simulator.clock import SimClock
from simulator.kempower_chargeye import ChargEyeDevice
from simulator.registry import create_device

from ..conftest import SimServer


def test_options() -> None:
    kind, port, options = parse_spec(
        "kempower_chargeye:18400,refresh_token=abc,org=org-1,dc=1,ac=2,lifetime=600,variant=bare"
    )
    device = create_device(kind, SimClock(scale=0), options)
    assert isinstance(device, ChargEyeDevice)
    assert port == 18400
    assert device.refresh_token == "abc"
    assert device.organization_id == "org-1"
    assert device.token_lifetime_s == 600
    assert device.variant == "bare"
    assert list(device.stations) == ["KEMDC-0001", "KEMAC-0001", "KEMAC-0002"]
    with pytest.raises(ValueError, match="unknown"):
        ChargEyeDevice.from_options(SimClock(scale=0), {"colour": "red"})
    with pytest.raises(ValueError, match="variant"):
        ChargEyeDevice.from_options(SimClock(scale=0), {"variant": "odd"})


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
    state = device.control("set_station", {"station_id": "KEMDC-0001", "status": "Faulted"})
    assert state["stations"][0]["status"] == "Faulted"
    assert state["limits_kw"]["KEMDC-0001"]["station"] is None


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
