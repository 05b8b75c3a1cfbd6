"""How actions find their target, whatever the vendor: errors a user can act on."""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.evse_bridge import services
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.vendors import VENDORS
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from .common import get_device
from .conftest import StartSimulator


@pytest.fixture
async def legacy_entry(hass: HomeAssistant, start_simulator: StartSimulator) -> MockConfigEntry:
    """A loaded Legacy REST entry: a vendor that offers no actions."""
    sim = await start_simulator(LegacyDevice(SimClock(scale=0, start=200)))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Legacy",
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _call(hass: HomeAssistant, data: dict[str, str]) -> str:
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "start_pairing", data, blocking=True, return_response=True
        )
    assert raised.value.translation_key is not None
    return raised.value.translation_key


async def test_action_on_a_vendor_without_it(
    hass: HomeAssistant, legacy_entry: MockConfigEntry
) -> None:
    device = get_device(hass, f"{SERIAL}_controller")
    assert await _call(hass, {"device_id": device.id}) == "action_not_supported"
    assert await _call(hass, {"config_entry_id": legacy_entry.entry_id}) == "action_not_supported"


async def test_bad_targets(hass: HomeAssistant, legacy_entry: MockConfigEntry) -> None:
    assert await _call(hass, {}) == "no_target"
    assert await _call(hass, {"device_id": "nope"}) == "unknown_device"
    assert await _call(hass, {"config_entry_id": "nope"}) == "unknown_device"
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    assert await _call(hass, {"device_id": foreign.id}) == "unknown_device"
    # A device of this entry that the site does not report (any more).
    stale = dr.async_get(hass).async_get_or_create(
        config_entry_id=legacy_entry.entry_id, identifiers={(DOMAIN, "gone")}
    )
    assert await _call(hass, {"device_id": stale.id}) == "unknown_device"
    await hass.config_entries.async_unload(legacy_entry.entry_id)
    assert await _call(hass, {"config_entry_id": legacy_entry.entry_id}) == "entry_not_loaded"


def test_vendors_sharing_an_action_must_agree_on_its_fields(hass: HomeAssistant) -> None:
    legacy = VENDORS["bender_legacy"]
    pairing = VENDORS["bender_v1"].services[0]
    clashing = replace(pairing, fields={vol.Required("other"): str})
    vendors = {**VENDORS, "bender_legacy": replace(legacy, services=(clashing,))}
    with (
        patch.object(services, "VENDORS", vendors),
        pytest.raises(ValueError, match="start_pairing"),
    ):
        services.async_setup_services(hass)
