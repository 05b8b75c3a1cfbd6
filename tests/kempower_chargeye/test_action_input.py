"""ChargEye ids never reach another path; a transaction id must be the target's."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import EvseBridgeError, EvseResponseError
from custom_components.evse_bridge.api.http import path_segment
from custom_components.evse_bridge.api.kempower_chargeye import ChargEyeClient
from custom_components.evse_bridge.const import DOMAIN
from simulator.clock import SimClock

from ..conftest import SimServer
from .conftest import AC, AC_PLUG, DC, DC_PLUG, START, commands, device_id

TRAVERSAL = "../chargingStations/X/reset?"


@pytest.fixture
def clock() -> SimClock:
    """Simulated time where sessions run on DC and AC connectors."""
    return SimClock(scale=0, start=START)


async def test_a_traversing_id_is_sent_as_one_segment(
    sim: SimServer, make_client: Callable[..., ChargEyeClient]
) -> None:
    """Below the action's schema too, an id never names another resource."""
    client = make_client()
    with pytest.raises(EvseBridgeError):
        await client.stop_transaction(TRAVERSAL)
    paths = set(sim.device.stats.by_path)
    assert "POST /api/chargingStations/X/reset" not in paths
    # The one command request went to the transaction's own path, the id in one piece.
    (stop,) = [path for path in paths if path.endswith("/stop")]
    assert stop == f"POST /api/transactions/{TRAVERSAL}/stop"
    assert [command["operation"] for command in commands(sim)] == ["stop"]
    assert path_segment(TRAVERSAL) == "..%2FchargingStations%2FX%2Freset%3F"
    for dots in ("", ".", ".."):
        with pytest.raises(EvseResponseError):
            path_segment(dots)


async def test_stop_transaction_only_of_the_target(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """An id seen on another connector, or never seen, is refused before the cloud."""
    runtime = loaded.runtime_data
    devices = runtime.coordinator.data.devices
    dc_id = devices[DC_PLUG].data.connector.latest_transaction.transaction_id
    ac_id = devices[AC_PLUG].data.connector.latest_transaction.transaction_id
    assert dc_id
    assert ac_id
    assert dc_id != ac_id
    before = sim.requests()
    for target, transaction in (
        ({"device_id": device_id(hass, DC_PLUG)}, ac_id),
        ({"device_id": device_id(hass, DC)}, ac_id),
        ({"config_entry_id": loaded.entry_id}, "not-seen-here"),
        ({"device_id": device_id(hass, AC_PLUG)}, "not-seen-here"),
    ):
        with pytest.raises(ServiceValidationError) as refused:
            await hass.services.async_call(
                DOMAIN,
                "stop_transaction",
                {**target, "transaction_id": transaction},
                blocking=True,
            )
        assert refused.value.translation_key == "chargeye_unknown_transaction"
    assert sim.requests() == before
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "stop_transaction",
            {"config_entry_id": loaded.entry_id, "transaction_id": TRAVERSAL},
            blocking=True,
        )
    assert refused.value.translation_key == "field_pattern"
    assert sim.requests() == before
    # The station's own connector's transaction, in any case, is stopped.
    await hass.services.async_call(
        DOMAIN,
        "stop_transaction",
        {"device_id": device_id(hass, AC), "transaction_id": ac_id.swapcase()},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == f"/transactions/{ac_id}/stop"


async def test_power_limit_within_the_rating(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """A finite limit above the device's rating is refused with the rating."""
    before = sim.requests()
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "set_power_limit",
            {"device_id": device_id(hass, AC), "limit": 999},
            blocking=True,
        )
    assert refused.value.translation_key == "chargeye_limit_too_high"
    assert refused.value.translation_placeholders["value"] == "999"
    assert sim.requests() == before
