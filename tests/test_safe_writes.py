"""Safe writes: set-points are coalesced per target, for numbers and set-point actions alike.

The writer itself is tested with a recording ``send``; the integration against the
simulated ChargEye account (power limit numbers and the ``clear_power_limit`` action,
which write the same targets).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.evse_bridge.api import EvseCommandRejectedError
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.writes import (
    CONF_WRITE_INTERVAL,
    DEFAULT_WRITE_INTERVAL_S,
    WriteCoalescer,
    WriteOutcome,
)
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_ORGANIZATION, DEFAULT_REFRESH_TOKEN, ChargEyeDevice

from .common import entity_id, entity_state, get_device
from .conftest import SimServer, StartSimulator
from .kempower_chargeye.conftest import EPOCH

START = 600.0
STATION = "station_KEMDC-0001"
STATION_LIMIT_PATH = "/chargingStations/KEMDC-0001/powerLimit"


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)


class Recorder:
    """A ``send`` factory that records the values sent, and fails when told."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.fail: Exception | None = None

    def __call__(self, value: Any) -> Any:
        async def send() -> None:
            if self.fail is not None:
                raise self.fail
            self.sent.append(value)

        return send


@pytest.fixture
def refreshed() -> list[bool]:
    """One item per refresh after a deferred write."""
    return []


@pytest.fixture
def writer(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, refreshed: list[bool]
) -> WriteCoalescer:
    async def after() -> None:
        refreshed.append(True)

    return WriteCoalescer(
        hass,
        lambda: timedelta(seconds=30),
        lambda coro, name: hass.async_create_background_task(coro, name),
        after_deferred=after,
    )


async def test_same_value_is_not_sent_again(
    hass: HomeAssistant, writer: WriteCoalescer, freezer: FrozenDateTimeFactory
) -> None:
    send = Recorder()
    assert await writer.async_write("a", 16.0, send(16.0)) is WriteOutcome.SENT
    await tick(hass, freezer, 60)
    assert await writer.async_write("a", 16.0, send(16.0), current=16.0) is WriteOutcome.SKIPPED
    # Changed on the device since: the value is written again.
    assert await writer.async_write("a", 16.0, send(16.0), current=10.0) is WriteOutcome.SENT
    assert send.sent == [16.0, 16.0]
    assert writer.diagnostics() == {
        "interval_s": 30.0,
        "requested": 3,
        "sent": 2,
        "skipped": 1,
        "superseded": 0,
        "failed": 0,
    }


async def test_one_write_per_interval_last_value_wins(
    hass: HomeAssistant,
    writer: WriteCoalescer,
    freezer: FrozenDateTimeFactory,
    refreshed: list[bool],
) -> None:
    send = Recorder()
    assert await writer.async_write("a", 1, send(1)) is WriteOutcome.SENT
    for value in (2, 3, 4):
        assert await writer.async_write("a", value, send(value)) is WriteOutcome.DEFERRED
    assert writer.pending("a") == (True, 4)
    # Another target is independent.
    assert await writer.async_write("b", 9, send(9)) is WriteOutcome.SENT
    await tick(hass, freezer, 29)
    assert send.sent == [1, 9]
    await tick(hass, freezer, 1)
    assert send.sent == [1, 9, 4]
    assert writer.pending("a") == (False, None)
    assert refreshed == [True]
    assert writer.stats.superseded == 2


async def test_deferred_write_back_to_the_sent_value_is_dropped(
    hass: HomeAssistant, writer: WriteCoalescer, freezer: FrozenDateTimeFactory
) -> None:
    send = Recorder()
    await writer.async_write("a", 1, send(1))
    await writer.async_write("a", 2, send(2))
    await writer.async_write("a", 1, send(1))
    await tick(hass, freezer, 30)
    assert send.sent == [1]
    assert writer.stats.skipped == 1


async def test_failures(
    hass: HomeAssistant,
    writer: WriteCoalescer,
    freezer: FrozenDateTimeFactory,
    refreshed: list[bool],
    caplog: pytest.LogCaptureFixture,
) -> None:
    send = Recorder()
    send.fail = EvseCommandRejectedError("Rejected")
    # A write sent at once raises, and does not take the interval's slot.
    with pytest.raises(EvseCommandRejectedError):
        await writer.async_write("a", 1, send(1))
    send.fail = None
    assert await writer.async_write("a", 1, send(1)) is WriteOutcome.SENT
    # A deferred write can only log its failure; the data is refreshed anyway.
    send.fail = RuntimeError()
    assert await writer.async_write("a", 2, send(2)) is WriteOutcome.DEFERRED
    await tick(hass, freezer, 30)
    assert "A deferred write to a failed: RuntimeError" in caplog.text
    assert refreshed == [True]
    assert writer.stats.failed == 2


async def test_cancel_drops_waiting_writes(
    hass: HomeAssistant, writer: WriteCoalescer, freezer: FrozenDateTimeFactory
) -> None:
    send = Recorder()
    await writer.async_write("a", 1, send(1))
    await writer.async_write("a", 2, send(2))
    await writer.async_shutdown()
    await tick(hass, freezer, 60)
    assert send.sent == [1]
    assert writer.pending("a") == (False, None)


async def test_shutdown_cancels_a_write_under_way(
    hass: HomeAssistant, writer: WriteCoalescer, freezer: FrozenDateTimeFactory
) -> None:
    send = Recorder()
    started, release = asyncio.Event(), asyncio.Event()

    def slow(value: int) -> Any:
        async def send_slowly() -> None:
            started.set()
            await release.wait()
            send.sent.append(value)

        return send_slowly

    await writer.async_write("a", 1, send(1))
    await writer.async_write("a", 2, slow(2))
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass, dt_util.utcnow())
    await started.wait()
    await writer.async_shutdown()
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert send.sent == [1]
    assert writer.stats.failed == 1
    assert not [task for task in asyncio.all_tasks() if "deferred write" in task.get_name()]


# -- in Home Assistant, against the simulated ChargEye account ---------------------------------


@pytest.fixture
def clock() -> SimClock:
    return SimClock(scale=0, start=START)


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    freezer.move_to(EPOCH + timedelta(seconds=START))
    return freezer


@pytest.fixture
async def sim(start_simulator: StartSimulator, clock: SimClock) -> SimServer:
    return await start_simulator(ChargEyeDevice(clock, epoch=EPOCH))


@pytest.fixture
def options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def loaded(
    hass: HomeAssistant, sim: SimServer, frozen: FrozenDateTimeFactory, options: dict[str, Any]
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kempower ChargEye",
        unique_id=DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
        },
        options=options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def limit_writes(sim: SimServer) -> list[tuple[str, Any]]:
    assert isinstance(sim.device, ChargEyeDevice)
    return [
        (command["method"], command.get("body"))
        for command in sim.device.commands
        if command["path"] == STATION_LIMIT_PATH
    ]


async def set_limit(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {
            "entity_id": entity_id(hass, "number", f"{DEFAULT_ORGANIZATION}_{STATION}_power_limit"),
            "value": value,
        },
        blocking=True,
    )


def shown_limit(hass: HomeAssistant) -> str:
    return entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{STATION}_power_limit").state


async def clear_limit(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        DOMAIN,
        "clear_power_limit",
        {"device_id": get_device(hass, f"{DEFAULT_ORGANIZATION}_{STATION}").id},
        blocking=True,
    )


async def test_an_automation_setting_the_limit_every_few_seconds(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, frozen: FrozenDateTimeFactory
) -> None:
    """Ten changes in 45 s become two writes; the same value again becomes none."""
    assert DEFAULT_WRITE_INTERVAL_S == 30.0
    for second in range(0, 50, 5):
        await set_limit(hass, 100 + second)
        if second == 10:
            # The waiting value is shown at once.
            assert shown_limit(hass) == "110.0"
        await tick(hass, frozen, 5)
    assert limit_writes(sim) == [
        ("PUT", {"limit": {"dcMaxPowerKw": 100.0}}),
        ("PUT", {"limit": {"dcMaxPowerKw": 125.0}}),
    ]
    await tick(hass, frozen, 30)
    assert limit_writes(sim)[2:] == [("PUT", {"limit": {"dcMaxPowerKw": 145.0}})]
    await set_limit(hass, 145)
    assert len(limit_writes(sim)) == 3
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["writes"]["requested"] == 11
    assert diagnostics["writes"]["sent"] == 3


async def test_clearing_is_a_write_to_the_same_target(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, frozen: FrozenDateTimeFactory
) -> None:
    await set_limit(hass, 120)
    await clear_limit(hass)
    await set_limit(hass, 130)
    await clear_limit(hass)
    assert limit_writes(sim) == [("PUT", {"limit": {"dcMaxPowerKw": 120.0}})]
    await tick(hass, frozen, 30)
    # The last request (clear) won.
    assert limit_writes(sim)[1:] == [("DELETE", None)]
    await tick(hass, frozen, 30)
    await clear_limit(hass)
    assert len(limit_writes(sim)) == 2


async def test_a_rejected_write_raises(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    assert isinstance(sim.device, ChargEyeDevice)
    sim.device.control("reject", {"operations": ["power_limit"]})
    with pytest.raises(HomeAssistantError) as caught:
        await set_limit(hass, 90)
    assert caught.value.translation_key == "command_rejected"
    # Refused writes take no slot: the corrected value goes out at once.
    sim.device.control("reject", {"operations": []})
    await set_limit(hass, 95)
    assert limit_writes(sim)[-1] == ("PUT", {"limit": {"dcMaxPowerKw": 95.0}})


@pytest.mark.parametrize("options", [{CONF_WRITE_INTERVAL: 0}])
async def test_interval_from_the_options(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for value in (100, 110, 110, 120):
        await set_limit(hass, value)
    assert [body["limit"]["dcMaxPowerKw"] for _, body in limit_writes(sim)] == [100, 110, 120]


async def test_waiting_writes_end_with_the_entry(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, frozen: FrozenDateTimeFactory
) -> None:
    await set_limit(hass, 100)
    await set_limit(hass, 110)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await tick(hass, frozen, 60)
    assert len(limit_writes(sim)) == 1


async def yield_until(condition: Callable[[], bool]) -> None:
    """Let the event loop run (time frozen) until ``condition`` holds."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never met")


async def test_a_write_under_way_ends_with_the_entry(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, frozen: FrozenDateTimeFactory
) -> None:
    """A deferred write whose request is under way at unload is cancelled, and nothing follows."""
    await set_limit(hass, 100)
    await set_limit(hass, 110)
    requests = sim.requests()
    writes = loaded.runtime_data.writes
    sim.device.faults.update({"latency": 5})
    frozen.tick(timedelta(seconds=30))
    async_fire_time_changed(hass, dt_util.utcnow())
    # The write reached the simulator, which holds its answer.
    await yield_until(lambda: sim.requests() == requests + 1)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert not [task for task in asyncio.all_tasks() if "deferred write" in task.get_name()]
    sim.device.faults.update({"latency": 0})
    frozen.tick(timedelta(seconds=60))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)
    # No retry, no refresh after it, no new login: the simulator heard nothing more.
    assert sim.requests() == requests + 1
    assert writes.stats.failed == 1


async def test_interval_set_in_the_options_flow(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, frozen: FrozenDateTimeFactory
) -> None:
    """The interval applies at once, without reloading the entry."""
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    assert result["data_schema"]({})[CONF_WRITE_INTERVAL] == DEFAULT_WRITE_INTERVAL_S
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_WRITE_INTERVAL: 120}
    )
    assert loaded.options[CONF_WRITE_INTERVAL] == 120
    await set_limit(hass, 100)
    await set_limit(hass, 110)
    await tick(hass, frozen, 60)
    assert len(limit_writes(sim)) == 1
    await tick(hass, frozen, 60)
    assert limit_writes(sim)[1:] == [("PUT", {"limit": {"dcMaxPowerKw": 110.0}})]
