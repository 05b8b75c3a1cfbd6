"""Polling cost per vendor: requests per poll, logins per hour, update time as sites grow.

Run with ``scripts/benchmark``. Each case loads a real config entry against the
simulator over HTTP(S) on 127.0.0.1 and polls it for one simulated hour (time
is simulated on both sides, so the hour takes seconds). Request counts are
exact and repeatable; update times are wall-clock measurements of this
machine, reported, never asserted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
import statistics
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator import bender_legacy, bender_v1, schneider_evce
from simulator.clock import SimClock
from simulator.device import SimDevice
from tests.conftest import StartSimulator

HOUR = 3600.0
RESULTS: list[str] = []


@dataclass(frozen=True)
class Case:
    """One vendor set-up to measure."""

    name: str
    make_device: Callable[[SimClock], SimDevice]
    entry_data: Callable[[str, SimDevice], dict[str, Any]]
    unique_id: str
    login_paths: tuple[str, ...]
    interval_s: float


def _legacy(size: int) -> Case:
    return Case(
        name="bender_legacy",
        make_device=bender_legacy.LegacyDevice,
        entry_data=lambda host, _: {CONF_VENDOR: "bender_legacy", "host": host},
        unique_id=bender_legacy.SERIAL,
        login_paths=(),
        interval_s=15,
    )


def _v1(size: int) -> Case:
    return Case(
        name="bender_v1",
        make_device=bender_v1.BenderV1Device,
        entry_data=lambda host, _: {
            CONF_VENDOR: "bender_v1",
            "host": host,
            "username": bender_v1.DEFAULT_USERNAME,
            "password": bender_v1.DEFAULT_PASSWORD,
        },
        unique_id=bender_v1.SERIAL,
        login_paths=("POST /v1/login",),
        interval_s=15,
    )


def _evce(size: int) -> Case:
    def entry_data(host: str, device: SimDevice) -> dict[str, Any]:
        assert isinstance(device, schneider_evce.EvceDevice)
        return {
            CONF_VENDOR: "schneider_evce",
            "host": host,
            "username": schneider_evce.LOGIN,
            "password": schneider_evce.PASSWORD,
            "certificate": "pinned",
            "fingerprint": device.certificate.fingerprint,
        }

    return Case(
        name=f"schneider_evce ({size} stations, 2 zones, 1 meter)",
        make_device=lambda clock: schneider_evce.EvceDevice(clock, stations=size),
        entry_data=entry_data,
        unique_id=schneider_evce.SERIAL,
        login_paths=("POST /api/v2/login/login",),
        interval_s=15,
    )


CASES = [
    (_legacy, 1),
    (_v1, 1),
    (_evce, 3),
    (_evce, 30),
    (_evce, 300),
]


@pytest.mark.parametrize(("factory", "size"), CASES)
async def test_polling_cost(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    factory: Callable[[int], Case],
    size: int,
) -> None:
    """Poll one simulated hour and report what it cost."""
    case = factory(size)
    clock = SimClock(scale=0, start=200)
    device = case.make_device(clock)
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=case.name,
        unique_id=case.unique_id,
        data=case.entry_data(sim.host, device),
    )
    entry.add_to_hass(hass)
    setup_start = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    setup_s = time.perf_counter() - setup_start
    coordinator = entry.runtime_data.coordinator
    entities = len(hass.states.async_entity_ids())
    device.stats.by_path.clear()

    polls = int(HOUR / case.interval_s)
    durations: list[float] = []
    for _ in range(polls):
        freezer.tick(timedelta(seconds=case.interval_s))
        clock.advance(case.interval_s)
        start = time.perf_counter()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        durations.append(time.perf_counter() - start)
        assert coordinator.last_update_success

    requests = sum(device.stats.by_path.values())
    logins = sum(device.stats.by_path.get(path, 0) for path in case.login_paths)
    RESULTS.append(
        f"| {case.name} | {entities} | {polls} | {requests / polls:.2f} | {logins} "
        f"| {statistics.median(durations) * 1000:.1f} | {max(durations) * 1000:.1f} "
        f"| {setup_s * 1000:.0f} |"
    )
    await hass.config_entries.async_unload(entry.entry_id)


def pytest_sessionfinish() -> None:  # pragma: no cover - report hook
    """Unused: the report is printed by the fixture below."""


@pytest.fixture(scope="session", autouse=True)
def report() -> Any:
    """Print the table once all cases ran."""
    yield
    print("\n\nOne simulated hour of polling per case (127.0.0.1, this machine):\n")
    print(
        "| case | entities | polls | requests/poll | logins/hour "
        "| median update ms | max update ms | setup ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for line in RESULTS:
        print(line)
