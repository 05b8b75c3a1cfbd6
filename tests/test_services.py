"""How actions find their target, whatever the vendor: errors a user can act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol
import yaml

from custom_components.evse_bridge import services
from custom_components.evse_bridge.budget.action import SERVICE_BOOST
from custom_components.evse_bridge.budget.flow import controllable_models
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.contract.site import device_model_id
from custom_components.evse_bridge.sessions.action import SERVICE_GET_SESSIONS
from custom_components.evse_bridge.vendors import VENDORS
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION,
    DEFAULT_REFRESH_TOKEN,
    ChargEyeDevice,
)

from .common import get_device
from .conftest import StartSimulator

SERVICES_YAML = Path(__file__).parents[1] / "custom_components" / DOMAIN / "services.yaml"


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


@pytest.fixture
async def chargeye_entry(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> tuple[MockConfigEntry, ChargEyeDevice]:
    """A loaded ChargEye entry: stations and connectors, with actions for each."""
    device = ChargEyeDevice(SimClock(scale=0), epoch=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Depot",
        unique_id=DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, device


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


def _picker_filters() -> dict[str, list[dict[str, str]]]:
    """Each action's device picker filter, as services.yaml gives it to the frontend."""
    actions = yaml.safe_load(SERVICES_YAML.read_text("utf-8"))
    filters = {
        name: action["fields"]["device_id"]["selector"]["device"].get("filter", [])
        for name, action in actions.items()
        if "device_id" in action.get("fields", {})
    }
    # One filter may be written without the list around it.
    return {name: value if isinstance(value, list) else [value] for name, value in filters.items()}


def _runs(name: str) -> set[str]:
    """The model IDs of the devices that can run action ``name``, from the vendors' offers."""
    model_ids: set[str] = set()
    for vendor in VENDORS.values():
        kinds = {description.device_kind for description in vendor.descriptions}
        for service in vendor.services:
            if service.name == name:
                model_ids |= {
                    device_model_id(vendor.label, kind) for kind in service.device_kinds or kinds
                }
    return model_ids


def _offered(action_filter: list[dict[str, str]], device: dr.DeviceEntry) -> bool:
    """Whether the frontend's device picker offers ``device`` (any filter item matches)."""
    return any(
        all(
            getattr(device, key) == value
            for key, value in item.items()
            if key in ("manufacturer", "model", "model_id")
        )
        for item in action_filter
    )


def test_action_pickers_filter_on_what_the_vendors_declare() -> None:
    """services.yaml offers each action for exactly the device kinds its vendors declare."""
    filters = _picker_filters()
    # get_sessions is every vendor's, for any of the integration's devices.
    assert filters.pop(SERVICE_GET_SESSIONS) == [{"integration": DOMAIN}]
    # boost is the site power budget's, for every device a budget may manage.
    assert filters.pop(SERVICE_BOOST) == controllable_models()
    assert set(filters) == {service.name for v in VENDORS.values() for service in v.services}
    for name, action_filter in filters.items():
        expected = sorted(_runs(name))
        wanted = [{"integration": DOMAIN, "model_id": model_id} for model_id in expected]
        assert sorted(action_filter, key=lambda item: item["model_id"]) == wanted, (
            f"services.yaml, {name}.fields.device_id.selector.device.filter should be:\n"
            + yaml.safe_dump(wanted)
        )


async def test_pickers_offer_only_devices_that_can_run_the_action(
    hass: HomeAssistant,
    legacy_entry: MockConfigEntry,
    chargeye_entry: tuple[MockConfigEntry, ChargEyeDevice],
) -> None:
    registry = dr.async_get(hass)
    offers: dict[str, set[str]] = {}
    for entry in (legacy_entry, chargeye_entry[0]):
        runtime = entry.runtime_data
        for key, device in runtime.coordinator.data.devices.items():
            registered = get_device(hass, runtime.site.device_identifier(key))
            assert registered.model_id == device_model_id(runtime.vendor.label, device.kind)
            offers[registered.id] = {
                name
                for name, action_filter in _picker_filters().items()
                if _offered(action_filter, registered)
            }
            can_run = {
                service.name
                for service in runtime.vendor.services
                if not service.device_kinds or device.kind in service.device_kinds
            } | {SERVICE_GET_SESSIONS}
            if {"integration": DOMAIN, "model_id": registered.model_id} in controllable_models():
                can_run.add(SERVICE_BOOST)
            assert offers[registered.id] == can_run, (key, offers[registered.id])
    assert len(offers) == len(registry.devices)
    station = get_device(hass, f"{DEFAULT_ORGANIZATION}_station_KEMAC-0001")
    assert "restart_station" in offers[station.id]
    assert "start_transaction" not in offers[station.id]


async def _error(hass: HomeAssistant, domain: str, action: str, data: dict[str, Any]) -> str:
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(domain, action, data, blocking=True)
    return str(raised.value)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_errors_name_the_device_as_the_user_knows_it(
    hass: HomeAssistant, chargeye_entry: tuple[MockConfigEntry, ChargEyeDevice]
) -> None:
    registry = dr.async_get(hass)
    station = get_device(hass, f"{DEFAULT_ORGANIZATION}_station_KEMAC-0001")
    connector = get_device(hass, f"{DEFAULT_ORGANIZATION}_connector_KEMAC-0001_1")
    registry.async_update_device(station.id, name_by_user="Bay 3")
    await hass.async_block_till_done()
    chargeye_entry[1].control("reject", {"operations": ["reset"]})

    message = await _error(
        hass, DOMAIN, "restart_station", {"device_id": station.id, "immediate": False}
    )
    assert message.startswith("Bay 3 refused Restart station: ")
    assert "KEMAC" not in message
    button = next(
        entity.entity_id
        for entity in er.async_entries_for_device(er.async_get(hass), station.id)
        if entity.domain == "button" and entity.unique_id.endswith("_restart")
    )
    message = await _error(hass, "button", "press", {"entity_id": button})
    assert message == "Bay 3 refused Restart when idle: station answered Rejected"

    message = await _error(
        hass, DOMAIN, "restart_station", {"device_id": connector.id, "immediate": False}
    )
    assert message == f"The action restart_station cannot be used on {connector.name}"
    assert "KEMAC" not in message
