"""Optional EVCE answers never block: any failure leaves only that detail unknown."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

import aiohttp
import pytest

from custom_components.evse_bridge.api.schneider_evce import EvceClient, EvceSslMode
from simulator.clock import SimClock
from simulator.schneider_evce import LOGIN, PASSWORD, SESSION_CARDS, EvceDevice

from ..conftest import StartSimulator

OPTIONAL_PATHS = (
    "/api/v2/maintenance/product_infos",
    "/api/v2/maintenance/product_status",
    "/api/v2/maintenance/product_caps",
    "/api/v2/config/em",
    "/api/v2/em/zones/7/stations",
    "/api/v2/pms/models/234",
)


async def _client(
    start_simulator: StartSimulator, hub: EvceDevice, session: aiohttp.ClientSession
) -> EvceClient:
    sim = await start_simulator(hub)
    return EvceClient(
        session,
        sim.host,
        LOGIN,
        PASSWORD,
        ssl_mode=EvceSslMode.PINNED,
        fingerprint=hub.certificate.fingerprint,
        timeout_s=0.5,
    )


@pytest.mark.parametrize(
    "mode", ["http_404", "http_405", "http_500", "http_503", "timeout", "drop"]
)
@pytest.mark.parametrize("path", OPTIONAL_PATHS)
async def test_a_failing_optional_path_leaves_only_its_detail_unknown(
    start_simulator: StartSimulator,
    caplog: pytest.LogCaptureFixture,
    path: str,
    mode: str,
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant="identity=infos")
    hub.faults.paths = {path: mode}
    async with aiohttp.ClientSession() as session:
        client = await _client(start_simulator, hub, session)
        await client.login()
        with caplog.at_level(logging.DEBUG):
            info = await client.product_info()
            stations = await client.stations()
            statuses = await client.station_statuses()
            zone_stations = await client.zone_stations(7)
            model = await client.power_meter_model(234)
            await client.product_info()
    assert [station.id for station in stations] == [101, 102, 103]
    assert set(statuses) == {101, 102, 103}
    if path.endswith("product_infos"):
        assert info.serial is None
    else:
        assert info.serial == hub.serial
    assert (zone_stations is None) is path.endswith("/stations")
    assert (model is None) is path.endswith("/234")
    short = path.removeprefix("/api/v2")
    assert short in client.readings["unavailable"]
    # Logged once (debug) although asked twice; never a traceback.
    notes = [r for r in caplog.records if short in r.getMessage() and "for now" in r.getMessage()]
    assert len(notes) == 1
    assert notes[0].levelno == logging.DEBUG
    assert not any(record.exc_info for record in caplog.records)


async def test_an_optional_path_that_answers_again_is_used_again(
    start_simulator: StartSimulator,
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant="identity=infos")
    hub.faults.paths = {"/api/v2/maintenance/product_infos": "http_503"}
    async with aiohttp.ClientSession() as session:
        client = await _client(start_simulator, hub, session)
        await client.login()
        assert (await client.product_info()).serial is None
        hub.faults.paths = {}
        assert (await client.product_info()).serial == hub.serial
    assert client.readings["unavailable"] == {}


async def test_a_strict_router_lists_stations_without_the_slash(
    start_simulator: StartSimulator,
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant="stations_path=strict")
    async with aiohttp.ClientSession() as session:
        client = await _client(start_simulator, hub, session)
        assert [station.id for station in await client.stations()] == [101, 102, 103]
        await client.stations()
    assert client.readings["station_list_path"] == "/stations"
    # Found once, then kept: the slash form was asked only the first time.
    assert hub.stats.by_path["GET /api/v2/stations/"] == 1
    assert hub.stats.by_path["GET /api/v2/stations"] == 2


@pytest.mark.parametrize(
    ("reading", "energy_key", "tag_key"),
    [("snake", "energy_wh", "id_tag"), ("alternate", "energy_kwh", "badge")],
)
async def test_the_hubs_session_records_in_each_reading(
    start_simulator: StartSimulator, reading: str, energy_key: str, tag_key: str
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant=f"transactions={reading}")
    hub.clock.advance(3 * 1100 + 500)
    expected_ended = hub.session_records("ended", 101)
    expected_ongoing = hub.session_records("ongoing")
    async with aiohttp.ClientSession() as session:
        client = await _client(start_simulator, hub, session)
        ended = await client.transactions("ended", 101)
        ongoing = await client.transactions("ongoing")
    assert ended is not None
    assert ongoing is not None
    assert [item.id for item in ended] == [str(item["id"]) for item in expected_ended]
    first = ended[0]
    assert first.station_id == 101
    assert first.evse_id == 1
    assert first.energy_wh == pytest.approx(expected_ended[0]["energy_wh"], abs=0.1)
    assert first.start == datetime.fromisoformat(expected_ended[0]["start_time"]).replace(
        tzinfo=UTC
    )
    assert first.end is not None
    assert first.end > first.start
    assert first.stop_reason == "EVDisconnected"
    assert first.id_tag in SESSION_CARDS
    assert len(ongoing) == len(expected_ongoing)
    readings = client.readings
    assert readings["transaction_energy"] == energy_key
    assert readings["transaction_id_tag"] == tag_key
    assert not any(card in str(client.raw_payloads) for card in SESSION_CARDS)


@pytest.mark.parametrize("fault", ["missing", "http_500", "timeout"])
async def test_session_records_are_optional(start_simulator: StartSimulator, fault: str) -> None:
    variant = "transactions=missing" if fault == "missing" else None
    hub = EvceDevice(SimClock(scale=0), variant=variant)
    if fault != "missing":
        hub.faults.paths = {"/api/v2/transactions/ended": fault}
    async with aiohttp.ClientSession() as session:
        client = await _client(start_simulator, hub, session)
        assert await client.transactions("ended") is None
        assert set(await client.station_statuses()) == {101, 102, 103}
