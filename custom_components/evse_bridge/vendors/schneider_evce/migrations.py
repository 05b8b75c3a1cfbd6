"""Entries stored by earlier versions, brought to today's data and registry."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ...const import DOMAIN
from .model import CONF_DEVICE_KEYS, CONF_HUB_ID, CONF_HUB_ID_SOURCE, CONNECTOR, STATION


async def async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Bring an entry of an earlier version to today's data and registry (version 1.2).

    - The entry remembers where its unique id came from (a serial, then: every
      earlier entry took the serial of ``/maintenance/product_infos``).
    - The name <-> ID dictionary starts from the registered devices.
    - Station-level power, energy and session energy were sums over the
      connectors. On a one-connector station they are that connector's values
      and move to its device with their history; on a station with several they
      are removed (their sums would make the Energy statistics count twice).
      The per-connector status sensors already have the connector devices'
      unique ids.
    """
    data = dict(entry.data)
    data.setdefault(CONF_HUB_ID, entry.unique_id)
    data.setdefault(CONF_HUB_ID_SOURCE, "serial")
    registry = er.async_get(hass)
    prefix = f"{entry.unique_id}_"
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    unique_ids = {item.unique_id for item in entities}
    stations = {
        item.unique_id[len(prefix) :].removesuffix("_status")
        for item in entities
        if item.unique_id.startswith(f"{prefix}{STATION}_")
        and item.unique_id.endswith("_status")
        and "_connector_" not in item.unique_id
        and not item.unique_id.endswith("_ocpp_status")
    }
    keys: dict[str, dict[str, Any]] = dict(data.get(CONF_DEVICE_KEYS, {}))
    for station_key in sorted(stations):
        station_id = station_key.removeprefix(f"{STATION}_")
        if station_id.isdigit():
            keys.setdefault(station_key, {"id": int(station_id), "name": None})
        several = f"{prefix}{station_key}_connector_2_status" in unique_ids
        for key in ("power", "energy", "session_energy"):
            old = f"{prefix}{station_key}_{key}"
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, old)
            if entity_id is None:
                continue
            if several:
                registry.async_remove(entity_id)
            else:
                registry.async_update_entity(
                    entity_id, new_unique_id=f"{prefix}{station_key}_{CONNECTOR}_1_{key}"
                )
    data[CONF_DEVICE_KEYS] = keys
    hass.config_entries.async_update_entry(entry, data=data)
