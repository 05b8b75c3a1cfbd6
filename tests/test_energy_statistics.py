"""The Energy dashboard's numbers: a ChargEye station's hourly statistics are what it delivered.

The counter is built from sessions. A power limit set and cleared while the
station charges changes the power from then on; the statistics Home Assistant
compiles every hour must equal what the simulator delivered in that hour, with
no drop taken as a meter reset and no energy of the sessions under way when the
entry was added booked into its first hour.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceContextManager

from simulator.charging import Phase
from simulator.clock import SimClock
from simulator.kempower_chargeye import ChargEyeDevice

from .kempower_chargeye.conftest import eid
from .test_sessions_chargeye import (  # noqa: F401 - the fixtures
    EPOCH,
    _poll,
    _setup,
    clock,
    device,
    entry,
    sim,
)

STATION_ID = "KEMDC-0001"
STATION = f"station_{STATION_ID}"


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: RecorderInstanceContextManager) -> None:
    """The recorder's database is prepared before Home Assistant starts."""


async def test_hourly_statistics_after_a_limit_change_equal_what_the_station_delivered(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: ChargEyeDevice,  # noqa: F811
    clock: SimClock,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    assert EPOCH is not None
    await _setup(hass, entry)
    counter = eid(hass, "sensor", STATION, "delivered_energy")
    limit = eid(hass, "number", STATION, "power_limit")
    station = device.stations[STATION_ID]

    # What the simulator delivered per hour, from its transactions' energy at each poll;
    # the sessions under way at the first poll count from there.
    last: dict[tuple[str, int], float] = {}
    delivered: dict[datetime, float] = defaultdict(float)
    readings: list[float] = []

    def observe(*, first: bool = False) -> None:
        now = clock.now()
        hour = (EPOCH + timedelta(seconds=now)).replace(minute=0, second=0)
        for connector in station.connectors:
            reading = connector.cycle.reading(now)
            if reading.phase is Phase.IDLE:
                continue
            key = (connector.name, reading.session_number)
            energy = round(reading.session_wh / 1000, 3)
            if not first:
                delivered[hour] += energy - last.get(key, 0.0)
            last[key] = energy
        readings.append(float(hass.states.get(counter).state))  # type: ignore[union-attr]

    observe(first=True)
    for minute in range(1, 120):
        if minute == 5:
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: limit, ATTR_VALUE: 50},
                blocking=True,
            )
        if minute == 40:
            station.limit_kw = None  # cleared on the station's own screen
        await _poll(hass, freezer, clock)
        observe()
    assert station.limit_kw is None
    assert readings[0] == 0.0
    assert readings == sorted(readings)  # never backwards

    # Every five minutes' statistics; the one ending an hour compiles the hour.
    for period in range(24):
        do_adhoc_statistics(hass, start=EPOCH + timedelta(minutes=5 * period))
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        EPOCH,
        EPOCH + timedelta(hours=2),
        {counter},
        "hour",
        None,
        {"change"},
    )
    changes = {row["start"]: row["change"] for row in stats[counter]}
    assert list(changes.values()) == pytest.approx(
        [delivered[EPOCH], delivered[EPOCH + timedelta(hours=1)]], abs=0.002
    )
    assert delivered[EPOCH] > 50.0
    assert changes[EPOCH.timestamp()] == pytest.approx(readings[59], abs=0.002)
