"""Removing an entry leaves nothing of it behind: its repair issues go with it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from .conftest import StartSimulator


def _issue(hass: HomeAssistant, issue_id: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="certificate_changed",
    )


async def test_repair_issues_are_deleted_with_their_entry(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
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
    other = "01JOTHERENTRY0000000000000"
    for issue_id in (
        f"certificate_changed_{entry.entry_id}",
        f"reboot_required_{entry.entry_id}",
        f"certificate_changed_{other}",
    ):
        _issue(hass, issue_id)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"certificate_changed_{entry.entry_id}") is None
    assert issues.async_get_issue(DOMAIN, f"reboot_required_{entry.entry_id}") is None
    # Another entry's issue stays.
    assert issues.async_get_issue(DOMAIN, f"certificate_changed_{other}") is not None
