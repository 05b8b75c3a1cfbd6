"""Registry look-ups for tests that work on every Home Assistant version the project supports.

Tests never hard-code an entity id (Home Assistant derives it from names and, since 2026,
from the suggested area) and never call ``DeviceRegistry.async_get_device`` (deprecated
for callers other than integrations): they find things by the identifiers and unique ids
the integration gives them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN

#: The building's grid meter that site budget tests set (W).
GRID = "sensor.grid_power"


def find_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """The device registered with ``(evse_bridge, identifier)``, or None."""
    # Through the config entries: newer Home Assistant deprecates reading
    # ``DeviceRegistry.devices`` as a mapping, and older ones iterate it as one.
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, identifier) in device.identifiers:
                return device
    return None


def get_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry:
    """The device registered with ``(evse_bridge, identifier)``; fails the test if missing."""
    device = find_device(hass, identifier)
    assert device is not None, f"no device {identifier}"
    return device


def find_entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    """The entity id of ``platform`` entity ``unique_id``, or None."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id of ``platform`` entity ``unique_id``; fails the test if missing."""
    found = find_entity_id(hass, platform, unique_id)
    assert found is not None, f"no {platform} entity {unique_id}"
    return found


def entity_state(hass: HomeAssistant, platform: str, unique_id: str) -> State:
    """The state object of ``platform`` entity ``unique_id``; fails the test if missing."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    assert current is not None, f"no state for {platform} entity {unique_id}"
    return current


async def add_site_budget(
    hass: HomeAssistant, devices: Iterable[str], **data: Any
) -> MockConfigEntry:
    """Set up a site budget over ``devices`` (registry ids), measured by ``GRID``.

    100 kW on three phases, no margin, equal shares, the measurement stale after 30 s,
    12 writes an hour, a 10 s control period; ``data`` overrides any of it.
    """
    budget = MockConfigEntry(
        domain=DOMAIN,
        title="Site power budget",
        data={
            "kind": "site_budget",
            "measurement": GRID,
            "limit": 100,
            "limit_unit": "kilowatt",
            "phases": "3",
            "margin": 0,
            "devices": list(devices),
            "strategy": "equal",
            "stale_after": 30,
            "write_budget": 12,
            "control_period": 10,
            **data,
        },
    )
    budget.add_to_hass(hass)
    assert await hass.config_entries.async_setup(budget.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return budget
