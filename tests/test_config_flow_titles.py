"""Reconfigure and reauthentication keep a title the user gave; an automatic one follows."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_AUTOMATIC_TITLE, CONF_VENDOR, DOMAIN
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from .conftest import StartSimulator

#: The title the Legacy simulator's controller gets from what it says about itself.
PROBED = "+4983900000000001 (Bender Legacy REST)"


@pytest.mark.parametrize(
    ("title", "stored", "after"),
    [
        # The user renamed the entry: it keeps the name.
        ("Garage", "CC613_2M3PR 1", "Garage"),
        # Still the automatic title: it follows what the device says now.
        ("CC613_2M3PR 1", "CC613_2M3PR 1", PROBED),
        # Made before the automatic title was stored: taken as automatic.
        ("CC613_2M3PR 1", None, PROBED),
    ],
)
@pytest.mark.parametrize("flow", ["reconfigure", "reauth"])
async def test_title_after_an_update(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    flow: str,
    title: str,
    stored: str | None,
    after: str,
) -> None:
    sim = await start_simulator(LegacyDevice(SimClock(scale=0, start=200)))
    data = {CONF_VENDOR: "bender_legacy", "host": sim.host}
    if stored is not None:
        data[CONF_AUTOMATIC_TITLE] = stored
    entry = MockConfigEntry(domain=DOMAIN, title=title, unique_id=SERIAL, data=data)
    entry.add_to_hass(hass)
    if flow == "reconfigure":
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"host": sim.host}
        )
    else:
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{flow}_successful"
    assert entry.title == after
    assert entry.data[CONF_AUTOMATIC_TITLE] == PROBED
    await hass.async_block_till_done()
