"""An entry with more enabled entities than Home Assistant adds for one entry says so.

Newer releases add no more of an entry's enabled entities once it has 10 000 (only a log
line asks to report it): a ChargEye account of about 400 DC stations or more would miss
whole platforms. The limit is patched small here, so a small account is over it on every
release.
"""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge import entity
from custom_components.evse_bridge.const import DOMAIN


def _enabled(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    registered = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return sum(registry_entry.disabled_by is None for registry_entry in registered)


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"too_many_entities_{entry.entry_id}")


async def test_an_entry_over_the_limit_raises_a_repair_issue(
    hass: HomeAssistant, entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue names the entry, how many entities it has, the limit and how many miss."""
    entry.add_to_hass(hass)
    with patch.object(entity, "ENABLED_ENTITIES_PER_ENTRY", 20):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    enabled = _enabled(hass, entry)
    assert enabled > 20
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "too_many_entities"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "name": "Kempower ChargEye",
        "entities": str(enabled),
        "limit": "20",
        "missing": str(enabled - 20),
    }
    assert f"Kempower ChargEye has {enabled} enabled entities, more than the 20" in caplog.text

    # Once every entity fits (the user disabled some, or Home Assistant allows more), the
    # next set-up removes the issue.
    await hass.config_entries.async_unload(entry.entry_id)
    with patch.object(entity, "ENABLED_ENTITIES_PER_ENTRY", enabled):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert _issue(hass, entry) is None


async def test_entities_home_assistant_did_not_add_are_counted(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """An enabled-by-default entity missing from the registry is one Home Assistant refused."""
    registry = er.async_get(hass)
    enabled = _enabled(hass, loaded)
    refused = [
        registry_entry
        for registry_entry in er.async_entries_for_config_entry(registry, loaded.entry_id)
        if registry_entry.disabled_by is None
    ][:3]
    for registry_entry in refused:
        registry.async_remove(registry_entry.entity_id)
    assert _enabled(hass, loaded) == enabled - 3

    with patch.object(entity, "ENABLED_ENTITIES_PER_ENTRY", enabled - 3):
        entity.async_check_entity_limit(hass, loaded)
    issue = _issue(hass, loaded)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["entities"] == str(enabled)
    assert issue.translation_placeholders["missing"] == "3"


@pytest.mark.parametrize("limit", [None, 10_000])
async def test_an_entry_within_the_limit_raises_none(
    hass: HomeAssistant, entry: MockConfigEntry, limit: int | None
) -> None:
    """No limit (the minimum release) or room for every entity: no issue."""
    entry.add_to_hass(hass)
    with patch.object(entity, "ENABLED_ENTITIES_PER_ENTRY", limit):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert _issue(hass, entry) is None
