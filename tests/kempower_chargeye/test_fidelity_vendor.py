"""ChargEye readings on the vendor side: power available, removing profiles, per-device readings."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.contract.vendor import Permission
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.vendors.kempower_chargeye.actions import SERVICES
from simulator.clock import SimClock
from simulator.kempower_chargeye import SIM_CARDS, ChargEyeDevice

from ..common import entity_state
from ..conftest import SimServer
from .conftest import AC, AC_PLUG, DC, DC_PLUG, START, advance, commands, device_id, eid
from .test_client import PROFILE


@pytest.fixture
def clock() -> SimClock:
    """Simulated time, started where sessions are running."""
    return SimClock(scale=0, start=START)


def _state(hass: HomeAssistant, platform: str, device_key: str, key: str) -> str:
    return hass.states.get(eid(hass, platform, device_key, key)).state  # type: ignore[union-attr]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_power_available_shows_a_limit_set_elsewhere(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device: ChargEyeDevice,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
) -> None:
    available = entity_state(hass, "sensor", f"{loaded.unique_id}_{DC_PLUG}_power_available")
    assert available.state == "200.0"  # the rating, with nothing capping it
    assert available.attributes["unit_of_measurement"] == "kW"
    # No limit set: the limit number reads as the rating, marked as not limited.
    assert _state(hass, "number", DC_PLUG, "power_limit") == "200.0"
    # Kempower's load balancing (or a user in ChargEye) caps the connector: the cloud's
    # maxPowerKwActual tells, while this entry's limit number still shows that it set none.
    device.stations["KEMDC-0001"].connectors[0].limit_kw = 120.0  # set in ChargEye's portal
    await advance(hass, frozen, clock, 60)
    assert _state(hass, "sensor", DC_PLUG, "power_available") == "120.0"
    limit = entity_state(hass, "number", f"{loaded.unique_id}_{DC_PLUG}_power_limit")
    assert (limit.state, limit.attributes["limited"]) == ("200.0", False)


async def test_clear_charging_profile_action(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, device: ChargEyeDevice
) -> None:
    service = next(item for item in SERVICES if item.name == "clear_charging_profile")
    assert service.permission is Permission.ADMIN
    await hass.services.async_call(
        DOMAIN,
        "set_charging_profile",
        {"device_id": device_id(hass, AC), "profile": PROFILE},
        blocking=True,
        return_response=True,
    )
    assert "KEMAC-0001" in device.profiles
    await hass.services.async_call(
        DOMAIN,
        "clear_charging_profile",
        {"device_id": device_id(hass, AC), "charging_profile_id": PROFILE["id"]},
        blocking=True,
    )
    assert "KEMAC-0001" not in device.profiles
    assert commands(sim)[-1]["method"] == "DELETE"
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/chargingProfile"
    assert commands(sim)[-1]["body"] == {"chargingProfileId": PROFILE["id"]}
    # Without an id: every profile of the station; nothing left counts as done.
    await hass.services.async_call(
        DOMAIN, "clear_charging_profile", {"device_id": device_id(hass, DC)}, blocking=True
    )
    assert commands(sim)[-1]["body"] == {}
    device.rejected = {"clear_charging_profile"}
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, "clear_charging_profile", {"device_id": device_id(hass, AC)}, blocking=True
        )
    assert "Office charger 1" in (info.value.translation_placeholders or {}).values()
    # Only stations have profiles to remove here.
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN,
            "clear_charging_profile",
            {"device_id": device_id(hass, AC_PLUG)},
            blocking=True,
        )


@pytest.mark.parametrize(
    ("tag_reading", "transaction_reading", "expected"),
    [
        (
            "authorization_token",
            "reference",
            {
                "card_field": "authorizationToken",
                "transaction_id_field": "transactionId",
                "start_time_form": "no offset (read as UTC)",
            },
        ),
        (
            "none",
            "standard",
            {
                "card_field": "not stated",
                "transaction_id_field": "txId",
                "start_time_form": "with offset",
            },
        ),
    ],
)
async def test_diagnostics_name_each_connectors_reading(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    tag_reading: str,
    transaction_reading: str,
    expected: dict[str, str],
) -> None:
    device.tag_reading = tag_reading
    device.transaction_reading = transaction_reading
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    connectors = diagnostics["raw_payloads"]["readings"]["connectors"]
    running = connectors["KEMDC-0001/KEMDC-0001_connector1"]
    assert running == {"power_available_field": "maxPowerKwActual", **expected}
    assert not any(card in str(diagnostics) for card in SIM_CARDS)
    event = entity_state(hass, "event", f"{entry.unique_id}_{DC_PLUG}_session")
    if tag_reading == "none":
        assert event.attributes.get("tag") is None
    else:
        assert event.attributes["tag"].startswith("tag_")
