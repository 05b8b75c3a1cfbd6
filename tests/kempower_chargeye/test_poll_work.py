"""What a poll of a ChargEye account costs, counted: the work per charge point stays the same
as the account grows (nothing in a poll walks every device once per device)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.contract import overview
from custom_components.evse_bridge.sessions import tracker
from custom_components.evse_bridge.vendors.kempower_chargeye import entities
from simulator.clock import SimClock
from simulator.kempower_chargeye import ChargEyeDevice

from .conftest import EPOCH, advance

#: OCPP status look-ups per charge point and poll: its Problem sensor's comparison and
#: write (a station looks at each connector, a connector also at its station), one pass
#: of the site's summary sensors together and one of the alerts.
STATUS_LOOKUPS_PER_POINT = 16


@pytest.fixture(params=[2, 12], ids=["2 DC stations", "12 DC stations"])
def device(clock: SimClock, request: pytest.FixtureRequest) -> ChargEyeDevice:
    """Accounts of two sizes: what a poll costs per charge point must not grow with them."""
    return ChargEyeDevice(clock, epoch=EPOCH, dc_stations=request.param)


def _counted[**P, R](function: Callable[P, R], calls: list[int]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        calls[0] += 1
        return function(*args, **kwargs)

    return wrapper


async def test_status_lookups_per_poll_grow_with_the_charge_points_only(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
    device: ChargEyeDevice,
) -> None:
    """Each charge point's status is looked up a fixed number of times per poll, whatever the size.

    The seven summary sensors each used to count every charge point, more than once per
    write (about 35 look-ups per charge point and poll, growing with the summary).
    """
    devices = loaded.runtime_data.coordinator.data.devices
    kinds = overview.charge_point_descriptions(loaded.runtime_data.vendor.descriptions)
    points = overview.charge_points(devices, kinds)
    calls = [0]
    counted: Any = _counted(entities.ocpp_status, calls)
    with patch.object(entities, "ocpp_status", counted):
        await advance(hass, frozen, clock, 60)
    assert calls[0] > len(points)
    assert calls[0] <= STATUS_LOOKUPS_PER_POINT * len(points)


async def test_a_poll_reads_the_device_registry_once_however_many_sessions_it_starts_or_ends(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
    device: ChargEyeDevice,
) -> None:
    """Sessions name their station and connector from the registry: one read per poll.

    Each session used to read the whole registry of the entry, so a poll of a large
    site that starts or ends sessions on many connectors read it once per session.
    """
    reads, names = [0], [0]
    sessions = loaded.runtime_data.sessions
    polls = 30
    with (
        patch.object(tracker, "entry_devices", _counted(tracker.entry_devices, reads)),
        patch.object(sessions, "_names", _counted(sessions._names, names)),
    ):
        for _ in range(polls):
            await advance(hass, frozen, clock, 60)
    # Fewer reads than named sessions: polls that start or end several share one.
    assert reads[0] < names[0]
    assert reads[0] <= polls
