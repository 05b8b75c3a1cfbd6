"""Which entities of a ChargEye station and its connectors are enabled by default.

A site operator's dashboard and automations need the status, power, energy, the
session, the controls and the alerts; the rest is detail, disabled until enabled on
the entity's page (README "Entities", docs/architecture.md "Entities enabled by
default"). Changing this list is a decision, not a side effect.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.kempower_chargeye import DEFAULT_ORGANIZATION

from .conftest import AC, AC_PLUG, DC, DC_PLUG, device_id


def _entities(hass: HomeAssistant, device_key: str) -> dict[str, tuple[str, bool]]:
    """The device's entities: key -> (platform, enabled)."""
    prefix = f"{DEFAULT_ORGANIZATION}_{device_key}_"
    registry = er.async_get(hass)
    return {
        entity.unique_id.removeprefix(prefix): (entity.domain, entity.disabled_by is None)
        for entity in er.async_entries_for_device(
            registry, device_id(hass, device_key), include_disabled_entities=True
        )
    }


def _split(entities: dict[str, tuple[str, bool]]) -> tuple[set[str], set[str]]:
    enabled = {f"{platform}.{key}" for key, (platform, on) in entities.items() if on}
    disabled = {f"{platform}.{key}" for key, (platform, on) in entities.items() if not on}
    return enabled, disabled


#: The site overview: one of each per account, all enabled.
ACCOUNT_ENABLED = {
    *(
        f"sensor.charge_points_{status}"
        for status in ("available", "occupied", "charging", "faulted", "offline", "unavailable")
    ),
    "sensor.site_power",
    "sensor.energy_today",
}
STATION_ENABLED = {
    "binary_sensor.charge_point_problem",
    "sensor.station_status",
    "sensor.output_power",
    "sensor.delivered_energy",
    "number.power_limit",
    "button.clear_power_limit",
}
STATION_DISABLED = {
    "binary_sensor.online",
    "sensor.input_current",
    "sensor.maximum_power",
    "sensor.last_command",
    "button.restart",
}
CONNECTOR_ENABLED = {
    "binary_sensor.charge_point_problem",
    "sensor.connector_status",
    "sensor.power",
    "sensor.session_energy",
    "sensor.delivered_energy",
    "event.session",
    "switch.available",
    "number.power_limit",
    "button.clear_power_limit",
}
CONNECTOR_DISABLED = {
    "sensor.connector_type",
    "sensor.transaction_status",
    "sensor.maximum_power",
    "sensor.power_available",
    "sensor.last_command",
    "number.session_power_limit",
}


async def test_enabled_by_default(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    assert _split(_entities(hass, "account")) == (ACCOUNT_ENABLED, set())
    for station in (DC, AC):
        assert _split(_entities(hass, station)) == (STATION_ENABLED, STATION_DISABLED), station
    # A DC connector also shows the vehicle's state of charge (an AC one has no link to it).
    assert _split(_entities(hass, DC_PLUG)) == (
        CONNECTOR_ENABLED | {"sensor.state_of_charge"},
        CONNECTOR_DISABLED,
    )
    assert _split(_entities(hass, AC_PLUG)) == (CONNECTOR_ENABLED, CONNECTOR_DISABLED)


async def test_every_device_with_energy_shows_its_power(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """The Energy dashboard needs the power of every device whose energy it shows."""
    for device_key, energy, power in (
        ("account", "energy_today", "site_power"),
        (DC, "delivered_energy", "output_power"),
        (AC, "delivered_energy", "output_power"),
        (DC_PLUG, "delivered_energy", "power"),
        (AC_PLUG, "delivered_energy", "power"),
    ):
        enabled, _ = _split(_entities(hass, device_key))
        assert {f"sensor.{energy}", f"sensor.{power}"} <= enabled, device_key
