"""A device's clock compared with the poll time (``contract.clock``): plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.evse_bridge.contract.clock import DeviceClock

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _observe(clock: DeviceClock, behind: timedelta, polls: int, start: int = 0) -> list[bool]:
    polled = [NOW + timedelta(seconds=15 * poll) for poll in range(start, start + polls)]
    return [clock.observe(moment - behind, moment) for moment in polled]


def test_an_offset_counts_once_three_measurements_agree() -> None:
    clock = DeviceClock()
    assert _observe(clock, timedelta(hours=2), 2) == [False, False]
    assert clock.offset is None
    assert clock.skewed is False
    # Corrected at once, reported only once stable.
    assert clock.correction == timedelta(hours=2)
    assert _observe(clock, timedelta(hours=2), 1, start=2) == [True]
    assert clock.skewed is True
    assert clock.describe_offset() == "2 h 0 min"
    assert clock.device_time(NOW) == NOW - timedelta(hours=2)
    assert clock.diagnostics()["offset_s"] == 7200


def test_measurements_that_disagree_establish_nothing() -> None:
    clock = DeviceClock()
    for behind in (timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)):
        clock.observe(NOW - behind, NOW)
    assert clock.offset is None
    assert clock.diagnostics()["offset_s"] is None
    assert clock.correction == timedelta(hours=3)


def test_a_clock_set_right_is_trusted_from_its_first_measurement() -> None:
    clock = DeviceClock(timedelta(days=-3, minutes=-7))
    assert clock.skewed is True
    assert clock.describe_offset() == "3 d 0 h 7 min"
    assert _observe(clock, timedelta(seconds=2), 1) == [False]
    assert clock.correction == timedelta()
    assert _observe(clock, timedelta(seconds=2), 2, start=1) == [False, True]
    assert clock.skewed is False
    assert clock.describe_offset() == "0 min"


def test_a_few_minutes_off_is_no_wrong_clock() -> None:
    clock = DeviceClock()
    _observe(clock, timedelta(minutes=4), 3)
    assert clock.offset == timedelta(minutes=4)
    assert clock.skewed is False
    assert clock.correction == timedelta()
