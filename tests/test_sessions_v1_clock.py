"""A Bender v1 controller whose clock is wrong: detected, reported, its session times corrected.

Home Assistant's clock shows 2026-12-01 06:00; the controller's is 334 days and 6 hours
behind, as one whose clock was never set. Its transaction runs from 140 s into the
cycle until the car is unplugged at 1100 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api.bender_v1 import Transaction
from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.vendors.bender_v1.clock import device_now
from simulator.bender_v1 import SERIAL, BenderV1Device
from simulator.clock import SimClock

from .common import entity_state, get_device
from .test_sessions import Stepper, completed  # noqa: F401 - the fixture
from .test_sessions_v1 import (
    _setup,
    entry,  # noqa: F401 - the fixture
    paced_by_simulated_time,  # noqa: F401 - the fixture
    sim,  # noqa: F401 - the fixture
    step,  # noqa: F401 - the fixture
)

#: Home Assistant's time at simulated second 0.
REAL_EPOCH = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
SKEW = timedelta(days=334, hours=6)
SESSION_UID = f"{SERIAL}_controller_session"


@pytest.fixture
def skew() -> timedelta:
    """How far the controller's clock is behind (parametrize for others)."""
    return SKEW


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> SimClock:
    """Idle, before a car arrives."""
    freezer.move_to(REAL_EPOCH + timedelta(seconds=100))
    return SimClock(scale=0, start=100)


@pytest.fixture
def device(clock: SimClock, skew: timedelta) -> BenderV1Device:
    return BenderV1Device(clock, epoch=REAL_EPOCH, clock_skew_s=-skew.total_seconds())


def real(seconds: float) -> str:
    """Simulated second ``seconds`` as Home Assistant's clock shows it, as sessions write it."""
    return (REAL_EPOCH + timedelta(seconds=seconds)).isoformat()


async def _charge(step: Stepper, base: float) -> None:  # noqa: F811
    """Polls while the cycle starting at ``base`` charges: three agreeing measurements."""
    for second in (300, 450, 600):
        await step.to(base + second)


async def _get_sessions(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"device_id": get_device(hass, f"{SERIAL}_controller").id, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def test_a_skewed_clock_raises_a_repair_issue_cleared_once_it_is_set(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: BenderV1Device,
    step: Stepper,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    issue_id = f"clock_skew_{entry.entry_id}"
    issues = ir.async_get(hass)
    await _setup(hass, entry)
    await step.to(300)
    await step.to(450)
    # Two measurements are not yet a clock: no issue.
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    with caplog.at_level(logging.INFO):
        await step.to(600)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "clock_skew"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "controller": get_device(hass, f"{SERIAL}_controller").name,
        # In Home Assistant's time zone (the tests': US/Pacific).
        "device_time": "2025-12-31 16:10",
        "real_time": "2026-11-30 22:10",
        "offset": "334 d 6 h 0 min",
    }
    assert "clock is off by 334 d 6 h 0 min; its session times are corrected" in caplog.text
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    clock = diagnostics["raw_payloads"]["clock"]
    assert clock["skewed"] is True
    assert clock["offset_s"] == SKEW.total_seconds()

    device.control("clock", {"skew": 0})
    await step.to(1110)
    # The entry was reloaded (the summary's units established): the offset and issue stay
    # until a charging session measures the clock again.
    assert entry.data["clock_offset_s"] == SKEW.total_seconds()
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    await _charge(step, 1100)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert "the controller's clock is right again" in caplog.text
    assert entry.data["clock_offset_s"] == 0


@pytest.mark.parametrize("skew", [SKEW, -timedelta(hours=3)], ids=["behind", "ahead"])
async def test_one_record_of_a_session_from_a_skewed_controller(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: BenderV1Device,
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    """The event, the bus and ``get_sessions`` tell the same session, at the real time."""
    await _setup(hass, entry)
    await _charge(step, 0)
    await step.to(1050)
    await step.to(1110)

    assert len(completed) == 1
    session = completed[0]
    assert session["session_id"] == "1"
    assert session["start"] == real(140)
    assert session["end"] == real(1100)
    assert session["duration_s"] == 960
    assert session["stop_reason"] == "EVDisconnected"
    assert session["peak_power_w"] == 11000
    event = entity_state(hass, "event", SESSION_UID).attributes
    assert event["event_type"] == "completed"

    response = await _get_sessions(hass, group_by="month")
    [row] = response["sessions"]
    assert row == {key: event[key] for key in row}
    assert row == {key: session[key] for key in row}
    # Filed in the month it ran in Home Assistant's zone (US/Pacific: 30 November 22:02),
    # not in the controller's January.
    assert response["groups"] == [{"group": "2026-11", **response["totals"]}]


@pytest.mark.parametrize("skew", [timedelta(minutes=2)])
async def test_a_clock_a_little_off_is_taken_as_it_is(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    """Two minutes is not a wrong clock: no issue, the controller's own times."""
    await _setup(hass, entry)
    await _charge(step, 0)
    await step.to(1050)
    await step.to(1110)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"clock_skew_{entry.entry_id}") is None
    assert completed[0]["start"] == real(140 - 120)
    assert completed[0]["end"] == real(1100 - 120)
    [row] = (await _get_sessions(hass))["sessions"]
    assert row["start"] == completed[0]["start"]


def test_a_controller_time_without_a_zone_is_home_assistants() -> None:
    """The measurement reads a start without an offset as the session records do."""
    transaction = Transaction(
        id="1", started="2026-01-01T00:00:00", duration_s=60, energy_wh=0, power_w=7000
    )
    assert device_now(transaction) == dt_util.as_utc(datetime(2026, 1, 1, 0, 1))
    assert device_now(Transaction("1", "2026-01-01T00:00:00", 60, 0, 0)) is None
