"""Safe writes: set-point writes sent to the device versus writes requested.

Run with ``scripts/benchmark``. An automation sets a limit on a loaded entry over
one simulated hour (a real config entry against the simulator over HTTP(S)),
the way surplus-charging automations do: every few seconds, following a slowly
varying value, a constant one or a jittery one. Each case runs with the default
write interval and with the interval set to 0 (only repeated values coalesced).
The requests that reached the simulated device are counted: exact and repeatable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.evse_bridge.writes import CONF_WRITE_INTERVAL, DEFAULT_WRITE_INTERVAL_S
from simulator import bender_v1, kempower_chargeye, schneider_evce
from tests.common import entity_id
from tests.conftest import StartSimulator

from .common import (
    Simulated,
    add_entry,
    chargeye_entry_data,
    evce_entry_data,
    print_table,
    v1_entry_data,
)

HOUR = 3600
RESULTS: list[str] = []


@dataclass(frozen=True)
class Target(Simulated):
    """A number entity of one vendor and the device request that writes it."""

    vendor: str
    number_unique_id: str
    write_path: str


def _chargeye() -> Target:
    return Target(
        vendor="kempower_chargeye (AC station limit, A)",
        make_device=lambda clock: kempower_chargeye.ChargEyeDevice(clock),
        entry_data=chargeye_entry_data,
        unique_id=kempower_chargeye.DEFAULT_ORGANIZATION,
        number_unique_id=f"{kempower_chargeye.DEFAULT_ORGANIZATION}_station_KEMAC-0001_power_limit",
        write_path="PUT /api/chargingStations/KEMAC-0001/powerLimit",
    )


def _evce() -> Target:
    return Target(
        vendor="schneider_evce (zone reduction, A)",
        make_device=lambda clock: schneider_evce.EvceDevice(clock, stations=2),
        entry_data=evce_entry_data,
        unique_id=schneider_evce.SERIAL,
        number_unique_id=f"{schneider_evce.SERIAL}_zone_7_reduction",
        write_path="PUT /api/v2/em/zones/7/reduction",
    )


def _v1() -> Target:
    return Target(
        vendor="bender_v1 (charging current limit, A)",
        make_device=lambda clock: bender_v1.BenderV1Device(clock),
        entry_data=v1_entry_data,
        unique_id=bender_v1.SERIAL,
        number_unique_id=f"{bender_v1.SERIAL}_controller_charging_current_limit",
        write_path="POST /v1/settings/validate",
    )


def _surplus(step: int) -> float:
    """Solar surplus in whole amperes: a new value every 10-15 s, repeats in between."""
    return float(round(16 + 8 * math.sin(step / 12)))


def _constant(step: int) -> float:
    return 16.0


def _jitter(step: int) -> float:
    """A noisy meter turned straight into a set-point: changes nearly every time."""
    return float(10 + (step * 7) % 13)


PATTERNS: dict[str, tuple[int, Callable[[int], float]]] = {
    "surplus every 5 s": (5, _surplus),
    "constant every 10 s": (10, _constant),
    "jitter every 2 s": (2, _jitter),
}


@pytest.mark.parametrize("interval_s", [DEFAULT_WRITE_INTERVAL_S, 0.0])
@pytest.mark.parametrize("pattern", list(PATTERNS))
@pytest.mark.parametrize(
    "make_target", [_chargeye, _evce, _v1], ids=["chargeye", "evce", "bender_v1"]
)
async def test_writes_sent_versus_requested(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    make_target: Callable[[], Target],
    pattern: str,
    interval_s: float,
) -> None:
    """Run the automation for a simulated hour; report requests and writes."""
    target = make_target()
    entry, device, clock = await add_entry(
        hass, start_simulator, target, target.vendor, {CONF_WRITE_INTERVAL: interval_s}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    number = entity_id(hass, "number", target.number_unique_id)
    period, value_at = PATTERNS[pattern]
    steps = HOUR // period
    distinct_changes = 0
    previous: float | None = None
    for step in range(steps):
        value = value_at(step)
        distinct_changes += value != previous
        previous = value
        await hass.services.async_call(
            "number", "set_value", {"entity_id": number, "value": value}, blocking=True
        )
        freezer.tick(timedelta(seconds=period))
        clock.advance(period)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    # Let the last waiting write go out.
    freezer.tick(timedelta(seconds=interval_s + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    sent = device.stats.by_path.get(target.write_path, 0)
    stats = entry.runtime_data.writes.stats
    assert sent == stats.sent
    RESULTS.append(
        f"| {target.vendor} | {pattern} | {interval_s:g} | {steps} | {distinct_changes} "
        f"| {sent} | {steps / max(sent, 1):.1f} | {stats.skipped} | {stats.superseded} |"
    )
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Print the table once all cases ran."""
    yield
    print_table(
        "Safe writes over one simulated hour (writes sent versus requested)",
        (
            "number",
            "automation",
            "interval s",
            "requested",
            "value changes",
            "sent",
            "requested per write",
            "skipped (same value)",
            "superseded (last wins)",
        ),
        RESULTS,
    )
