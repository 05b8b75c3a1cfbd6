"""EVSE Bridge: professional EV charging controllers in Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import ConfigType

# Every platform is imported with the integration (in Home Assistant's import executor).
# A vendor module imports one platform (event) anyway; with some platforms imported and
# others not, two entries forwarding at once made Home Assistant import the rest inside
# the event loop ("Detected blocking call to import_module ... async_forward_entry_setups").
from . import binary_sensor, button, event, number, select, sensor, switch  # noqa: F401
from .alerts import ChargePointAlerts, async_delete_entry_issues
from .budget.action import async_setup_boost
from .budget.controller import BudgetController
from .budget.entities import BUDGET_PLATFORMS, is_budget_entry
from .const import CONF_VENDOR, CONFIG_MINOR_VERSION, CONFIG_VERSION, DOMAIN
from .contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeEventEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from .coordinator import EvseBridgeConfigEntry, EvseBridgeCoordinator, EvseBridgeRuntimeData
from .entity_limit import async_check_entity_limit
from .services import async_setup_services
from .sessions.tracker import SessionTracker, async_remove_store
from .vendors import VENDORS
from .writes import (
    CONF_WRITE_INTERVAL,
    DEFAULT_WRITE_INTERVAL_S,
    WriteCoalescer,
)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORM_OF: dict[type[EvseBridgeEntityDescription], Platform] = {
    EvseBridgeBinarySensorEntityDescription: Platform.BINARY_SENSOR,
    EvseBridgeButtonEntityDescription: Platform.BUTTON,
    EvseBridgeEventEntityDescription: Platform.EVENT,
    EvseBridgeNumberEntityDescription: Platform.NUMBER,
    EvseBridgeSensorEntityDescription: Platform.SENSOR,
    EvseBridgeSwitchEntityDescription: Platform.SWITCH,
}


def platform_of(description: EvseBridgeEntityDescription) -> Platform:
    """The platform of a description; specialised ones (sessions) are their base class's."""
    return next(PLATFORM_OF[cls] for cls in type(description).__mro__ if cls in PLATFORM_OF)


def _platforms(entry: EvseBridgeConfigEntry) -> list[Platform]:
    """The platforms the entry's vendor has entities for (a budget entry: its own)."""
    if is_budget_entry(entry):
        return BUDGET_PLATFORMS
    vendor = VENDORS[entry.data[CONF_VENDOR]]
    return sorted({platform_of(description) for description in vendor.descriptions})


async def async_setup(hass: HomeAssistant, config: ConfigType) -> None | bool:
    """Register the actions once, for every entry."""
    # Their names as the forms show them, for errors about a field (worded synchronously).
    await async_get_translations(hass, hass.config.language, "services", {DOMAIN})
    async_setup_services(hass)
    async_setup_boost(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> bool:
    """Migrate an entry stored by an earlier version; the vendor says how."""
    if entry.version > CONFIG_VERSION:
        return False
    if entry.minor_version < CONFIG_MINOR_VERSION and not is_budget_entry(entry):
        vendor = VENDORS[entry.data[CONF_VENDOR]]
        if vendor.async_migrate_entry is not None:
            await vendor.async_migrate_entry(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=CONFIG_MINOR_VERSION)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> bool:
    """Connect to the device(s), fetch once, then set up the platforms."""
    if is_budget_entry(entry):
        return await _async_setup_budget(hass, entry)
    vendor = VENDORS[entry.data[CONF_VENDOR]]
    site = vendor.create_site(hass, entry)
    sessions = SessionTracker(hass, entry, site, vendor.descriptions)
    await sessions.async_load()
    coordinator = EvseBridgeCoordinator(hass, entry, site, vendor, sessions)
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await site.async_close()
        raise
    writes = WriteCoalescer(
        hass,
        lambda: timedelta(
            seconds=float(entry.options.get(CONF_WRITE_INTERVAL, DEFAULT_WRITE_INTERVAL_S))
        ),
        lambda coro, name: entry.async_create_background_task(hass, coro, name),
        after_deferred=coordinator.async_request_refresh,
    )
    entry.runtime_data = EvseBridgeRuntimeData(
        vendor=vendor, site=site, coordinator=coordinator, writes=writes, sessions=sessions
    )
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    async_check_entity_limit(
        hass, entry.entry_id, entry.title, site, vendor.descriptions, coordinator.data.devices
    )
    await sessions.async_start(coordinator.data)
    # The sensors that read the sessions (energy today, delivered energy) were written
    # before the first poll's sessions were opened: show them now, not a poll later.
    coordinator.async_update_listeners()
    entry.async_on_unload(ChargePointAlerts(hass, entry, coordinator).async_start())
    return True


async def _async_setup_budget(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """A site power budget: its Site device's entities, then its control loop."""
    controller = BudgetController(hass, entry)
    entry.runtime_data = controller
    await hass.config_entries.async_forward_entry_setups(entry, BUDGET_PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    controller.async_start()
    return True


async def _async_reload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The budget's options changed."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> bool:
    """Unload the platforms and log out."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, _platforms(entry))
    if unloaded and not is_budget_entry(entry):
        await entry.runtime_data.writes.async_shutdown()
        await entry.runtime_data.sessions.async_unload()
        await entry.runtime_data.site.async_close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
    """Forget the entry's sessions, its tag secret and every repair issue of it."""
    await async_remove_store(hass, entry.entry_id)
    # Every repair issue of an entry ends with its ID (``certificate_changed_<id>``,
    # ``reboot_required_<id>``): none may outlive the entry it asks to repair.
    suffix = f"_{entry.entry_id}"
    issues = ir.async_get(hass)
    for domain, issue_id in list(issues.issues):
        if domain == DOMAIN and issue_id.endswith(suffix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    async_delete_entry_issues(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EvseBridgeConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device once the site no longer reports it.

    An entry that is not loaded reports nothing: its devices may go (one the site
    still has is registered again when the entry is set up).
    """
    if is_budget_entry(entry):
        return False
    if entry.state is not ConfigEntryState.LOADED:
        return True
    runtime = entry.runtime_data
    current = {runtime.site.registry_identifier(key) for key in runtime.coordinator.data.devices}
    return not device.identifiers & current
