"""Sessions of a Bender v1 controller: system_state's transaction, the controller's records.

The simulated transaction runs from the start of charging (140 s into the cycle)
until the car is unplugged (1100 s); the controller lists it as completed then.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial
import json
import logging
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import EvseNotSupportedError
from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_v1 import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    EPOCH,
    SERIAL,
    BenderV1Device,
)
from simulator.clock import SimClock

from .common import entity_state, get_device
from .conftest import SimServer, StartSimulator
from .test_sessions import Stepper, completed  # noqa: F401 - the fixture

TAG = "046e453af012ca3"
SESSION_UID = f"{SERIAL}_controller_session"


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> SimClock:
    """Idle, before a car arrives; Home Assistant's clock shows the controller's time."""
    freezer.move_to(EPOCH + timedelta(seconds=100))
    return SimClock(scale=0, start=100)


@pytest.fixture
def device(clock: SimClock) -> BenderV1Device:
    return BenderV1Device(clock, epoch=EPOCH)


@pytest.fixture(autouse=True)
def paced_by_simulated_time(clock: SimClock) -> Iterator[None]:
    """The client's session keep-alive runs on simulated time."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    with patch(
        "custom_components.evse_bridge.vendors.bender_v1.config.BenderV1Client",
        partial(BenderV1Client, sleep=sleep, monotonic=clock.now),
    ):
        yield


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: BenderV1Device) -> SimServer:
    return await start_simulator(device)


@pytest.fixture
def entry(hass: HomeAssistant, sim: SimServer) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Bay 1",
        unique_id=SERIAL,
        data={
            CONF_VENDOR: "bender_v1",
            CONF_HOST: sim.host,
            CONF_USERNAME: DEFAULT_USERNAME,
            CONF_PASSWORD: DEFAULT_PASSWORD,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def step(hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock) -> Stepper:
    return Stepper(hass, freezer, clock)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _cycle(step: Stepper, number: int) -> None:
    base = number * 1100
    await step.to(base + 600)
    await step.to(base + 1050)
    await step.to(base + 1110)


async def test_transaction_completes_once_with_the_controllers_record(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: BenderV1Device,
    step: Stepper,
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    await _setup(hass, entry)
    await step.to(600)
    started = entity_state(hass, "event", SESSION_UID).attributes
    assert started["event_type"] == "started"
    assert started["session_id"] == "1"
    assert started["station"] == get_device(hass, f"{SERIAL}_controller").name
    await step.to(1050)
    await step.to(1110)

    [record] = device.completed_transaction_records()
    assert len(completed) == 1
    session = completed[0]
    assert session["session_id"] == "1"
    assert session["energy_kwh"] == record["energy"] / 1000
    assert session["stop_reason"] == "EVDisconnected"
    assert session["start"] == "2026-01-01T00:02:20+00:00"
    assert session["end"] == "2026-01-01T00:18:20+00:00"
    assert session["duration_s"] == record["duration"]
    assert session["peak_power_w"] == 11000
    assert session["tag"].startswith("tag_")
    assert session["device_id"] == get_device(hass, f"{SERIAL}_controller").id


async def test_transaction_across_a_restart_and_a_connection_loss(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: BenderV1Device,
    step: Stepper,
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    await _setup(hass, entry)
    await step.to(300)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await step.to(500)
    await _setup(hass, entry)
    device.faults.update({"mode": "http_500"})
    await step.to(700)
    await step.to(1150)  # the transaction ended while the controller did not answer
    device.faults.update({"mode": "none"})
    await step.to(1200)

    [record] = device.completed_transaction_records()
    assert len(completed) == 1
    # The controller's own record gives the full energy the last poll could not see.
    assert completed[0]["energy_kwh"] == record["energy"] / 1000


async def test_get_sessions_from_the_controllers_records(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: BenderV1Device,
    step: Stepper,
    completed: list[dict[str, Any]],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await _setup(hass, entry)
        for number in range(3):
            await _cycle(step, number)
        response = await hass.services.async_call(
            DOMAIN,
            "get_sessions",
            {
                "device_id": get_device(hass, f"{SERIAL}_controller").id,
                "from": "2026-01-01T00:00:00+00:00",
                "group_by": "tag",
            },
            blocking=True,
            return_response=True,
        )
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert isinstance(response, dict)
    records = device.completed_transaction_records()
    assert len(records) == len(completed) == 3
    assert response["totals"] == {
        "energy_kwh": round(sum(record["energy"] for record in records) / 1000, 3),
        "duration_s": sum(record["duration"] for record in records),
        "count": 3,
    }
    assert [item["session_id"] for item in response["sessions"]] == ["1", "2", "3"]
    assert [item["energy_kwh"] for item in response["sessions"]] == [
        item["energy_kwh"] for item in completed
    ]
    assert response["groups"] == [{"group": completed[0]["tag"], **response["totals"]}]
    assert TAG not in caplog.text
    assert TAG not in json.dumps(diagnostics, default=str)


async def test_get_sessions_falls_back_to_the_store(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: BenderV1Device,
    step: Stepper,
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    """A controller that lists no completed transactions: the last poll and the store answer."""
    with patch.object(
        BenderV1Client,
        "completed_transactions",
        AsyncMock(side_effect=EvseNotSupportedError("no list")),
    ):
        await _setup(hass, entry)
        await _cycle(step, 0)
        response = await hass.services.async_call(
            DOMAIN,
            "get_sessions",
            {"config_entry_id": entry.entry_id, "from": "2026-01-01T00:00:00+00:00"},
            blocking=True,
            return_response=True,
        )
    [record] = device.completed_transaction_records()
    assert len(completed) == 1, [(c["session_id"], c["energy_kwh"], c["start"]) for c in completed]
    assert completed[0]["energy_kwh"] == record["energy"] / 1000
    assert completed[0]["stop_reason"] is None
    assert isinstance(response, dict)
    assert response["totals"]["count"] == 1
    assert response["sessions"][0]["energy_kwh"] == record["energy"] / 1000
