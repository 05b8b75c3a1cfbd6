"""ChargEye controls in Home Assistant, against the simulated cloud over HTTP.

Every evseId reading, permissions, session limits, charging profiles and translated
device names.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION,
    VARIANTS,
    ChargEyeDevice,
)

from ..common import entity_state, get_device
from ..conftest import SimServer
from .conftest import (
    AC,
    AC_PLUG,
    DC,
    DC_PLUG,
    EPOCH,
    START,
    advance,
    commands,
    device_id,
    eid,
)
from .test_client import PROFILE

DC_PLUG_2 = "connector_KEMDC-0001_connector2"


@pytest.fixture
def clock() -> SimClock:
    """Simulated time, started where sessions are running."""
    return SimClock(scale=0, start=START)


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    """Every reading of the connector ids the simulator plays."""
    return str(request.param)


@pytest.fixture
def device(clock: SimClock, variant: str) -> ChargEyeDevice:
    """The account, in one reading of the connector ids."""
    return ChargEyeDevice(clock, epoch=EPOCH, variant=variant)


def value(hass: HomeAssistant, platform: str, device_key: str, key: str) -> str:
    return entity_state(hass, platform, f"{DEFAULT_ORGANIZATION}_{device_key}_{key}").state


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_every_evse_id_reading(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, variant: str
) -> None:
    """Set-up, a poll with values and the connector commands work in every reading."""
    assert value(hass, "sensor", DC_PLUG, "connector_status") == "charging"
    assert value(hass, "sensor", DC_PLUG, "power") == "105.0"
    assert value(hass, "sensor", AC_PLUG, "connector_type") == "type2"
    # Device keys (and so entity ids) do not depend on the reading.
    assert get_device(hass, f"{DEFAULT_ORGANIZATION}_{DC_PLUG}").name == (
        "Depot charger 1 connector 1"
    )
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": eid(hass, "switch", AC_PLUG, "available")},
        blocking=True,
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", DC_PLUG, "power_limit"), "value": 40},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "start_transaction",
        {"device_id": device_id(hass, "connector_KEMAC-0001_2"), "id_token": "APP-1"},
        blocking=True,
    )
    evse = {
        "listed": ("1", "KEMDC-0001_connector1", "2"),
        "prefixed": ("KEMAC-0001_1", "KEMDC-0001_connector1", "KEMAC-0001_2"),
        "bare": ("1", "connector1", "2"),
        "number": ("1", "1", "2"),
    }[variant]
    assert [c["path"] for c in commands(sim)] == [
        f"/chargingStations/KEMAC-0001/evses/{evse[0]}/availability",
        f"/chargingStations/KEMDC-0001/evses/{evse[1]}/powerLimit",
        f"/chargingStations/KEMAC-0001/evses/{evse[2]}/transactions",
    ]
    assert value(hass, "sensor", AC_PLUG, "connector_status") == "inoperative"
    assert value(hass, "number", DC_PLUG, "power_limit") == "40.0"
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    readings = diagnostics["raw_payloads"]["readings"]
    assert readings["evse_id_form"] == ("number" if variant == "number" else "listed")
    assert readings["connector_ids_with_station_prefix"] == {
        "KEMDC-0001": variant != "bare",
        "KEMDC-0002": variant != "bare",
        "KEMAC-0001": variant == "prefixed",
    }
    assert readings["limit_options"] == "query parameters"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("variant", ["listed"])
async def test_no_permission_for_a_station(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    sim.device.control("set_station", {"station_id": "KEMDC-0001", "forbidden": True})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "button", "press", {"entity_id": eid(hass, "button", DC, "restart")}, blocking=True
        )
    assert info.value.translation_key == "chargeye_no_permission"
    assert info.value.translation_placeholders == {"station": "Depot charger 1"}
    assert "no permission for this station" in str(info.value)
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "switch",
            "turn_off",
            {"entity_id": eid(hass, "switch", DC_PLUG, "available")},
            blocking=True,
        )
    assert info.value.translation_placeholders == {"station": "Depot charger 1"}
    await hass.async_block_till_done()
    # Never reauthentication: the refresh token is fine, the entry keeps running.
    assert hass.config_entries.flow.async_progress() == []
    assert loaded.state is ConfigEntryState.LOADED
    await hass.services.async_call(
        "button", "press", {"entity_id": eid(hass, "button", AC, "restart")}, blocking=True
    )


@pytest.mark.parametrize("variant", ["listed"])
async def test_connector_the_service_does_not_take(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """Every reading answered 404: the error names station, connector and what was sent."""
    assert isinstance(sim.device, ChargEyeDevice)
    sim.device.stations["KEMDC-0001"].connectors[0].local_id = "gone"
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "change_availability",
            {"device_id": device_id(hass, DC_PLUG), "operative": False, "reason": "Repair"},
            blocking=True,
        )
    assert info.value.translation_key == "chargeye_connector_refused"
    assert info.value.translation_placeholders == {
        "station": "Depot charger 1",
        "connector": "Depot charger 1 connector 1",
        "sent": "evseId KEMDC-0001_connector1 (HTTP 404), evseId connector1 (HTTP 404), "
        "evseId 1 (HTTP 404)",
    }


@pytest.mark.parametrize("variant", ["listed"])
async def test_change_availability_with_reason(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    await hass.services.async_call(
        DOMAIN,
        "change_availability",
        {"device_id": device_id(hass, AC_PLUG), "operative": False, "reason": "Cable damaged"},
        blocking=True,
    )
    assert commands(sim)[-1]["body"] == {
        "type": "Inoperative",
        "disableTextReason": "Cable damaged",
    }
    assert value(hass, "sensor", AC_PLUG, "connector_status") == "inoperative"
    await hass.services.async_call(
        DOMAIN,
        "change_availability",
        {"device_id": device_id(hass, AC_PLUG), "operative": True},
        blocking=True,
    )
    assert commands(sim)[-1]["body"] == {"type": "Operative"}
    assert value(hass, "switch", AC_PLUG, "available") == "on"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("variant", ["listed"])
async def test_session_limit(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    number = eid(hass, "number", DC_PLUG, "session_power_limit")
    # No session limit: the connector's rating.
    assert value(hass, "number", DC_PLUG, "session_power_limit") == "200.0"
    await hass.services.async_call(
        "number", "set_value", {"entity_id": number, "value": 30}, blocking=True
    )
    assert commands(sim)[-1]["path"] == "/transactions/TX-KEMDC-0001-1-1/powerLimit"
    assert commands(sim)[-1]["body"] == {"limit": {"dcMaxPowerKw": 30.0}}
    await advance(hass, frozen, clock, 60)
    assert value(hass, "number", DC_PLUG, "session_power_limit") == "30.0"
    assert float(value(hass, "sensor", DC_PLUG, "power")) <= 30.0
    # With the document's optional parameters, through the action.
    await hass.services.async_call(
        DOMAIN,
        "set_power_limit",
        {
            "device_id": device_id(hass, DC_PLUG),
            "limit": 25,
            "session": True,
            "stack_level": 5,
            "relative_delay": 120,
            "comment": "fleet",
            "condition": "night",
            "charging_profile_id": 3100,
        },
        blocking=True,
    )
    assert commands(sim)[-1]["query"] == {
        "stackLevel": "5",
        "relativeDelay": "120",
        "comment": "fleet",
        "condition": "night",
        "chargingProfileId": "3100",
    }
    assert value(hass, "number", DC_PLUG, "session_power_limit") == "25.0"
    await hass.services.async_call(
        DOMAIN,
        "clear_power_limit",
        {"device_id": device_id(hass, DC_PLUG), "session": True},
        blocking=True,
    )
    assert (commands(sim)[-1]["method"], commands(sim)[-1]["path"]) == (
        "DELETE",
        "/transactions/TX-KEMDC-0001-1-1/powerLimit",
    )
    assert value(hass, "number", DC_PLUG, "session_power_limit") == "200.0"
    # A station has no session; a connector without one says so.
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "set_power_limit",
            {"device_id": device_id(hass, DC), "limit": 5, "session": True},
            blocking=True,
        )
    assert validation.value.translation_key == "chargeye_session_needs_connector"
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "clear_power_limit",
            {"device_id": device_id(hass, DC), "session": True},
            blocking=True,
        )
    assert validation.value.translation_key == "chargeye_session_needs_connector"
    await hass.services.async_call(
        DOMAIN,
        "stop_transaction",
        {"device_id": device_id(hass, DC_PLUG)},
        blocking=True,
    )
    assert value(hass, "number", DC_PLUG, "session_power_limit") == STATE_UNAVAILABLE
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "set_power_limit",
            {"device_id": device_id(hass, DC_PLUG), "limit": 5, "session": True},
            blocking=True,
        )
    assert validation.value.translation_key == "no_running_transaction"
    assert validation.value.translation_placeholders == {"connector": "Depot charger 1 connector 1"}
    # A station limit with options.
    await hass.services.async_call(
        DOMAIN,
        "set_power_limit",
        {"device_id": device_id(hass, AC), "limit": 48, "stack_level": 1},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/powerLimit"
    assert commands(sim)[-1]["body"] == {"limit": {"acMaxPowerA": 48.0}}
    assert commands(sim)[-1]["query"] == {"stackLevel": "1"}
    assert value(hass, "number", AC, "power_limit") == "48.0"


@pytest.mark.parametrize("variant", ["listed", "number"])
async def test_charging_profile_action(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "set_charging_profile",
        {"device_id": device_id(hass, AC), "profile": PROFILE},
        blocking=True,
        return_response=True,
    )
    assert response == {"response": "Accepted", "status_info": {"reasonCode": "NoError"}}
    assert commands(sim)[-1]["body"] == {"chargingProfile": PROFILE}
    await hass.services.async_call(
        DOMAIN,
        "set_charging_profile",
        {"device_id": device_id(hass, DC_PLUG_2), "profile": PROFILE},
        blocking=True,
        return_response=True,
    )
    assert commands(sim)[-1]["path"].startswith("/chargingStations/KEMDC-0001/evses/")
    assert isinstance(sim.device, ChargEyeDevice)
    assert set(sim.device.profiles) == {"KEMAC-0001", "KEMDC-0001/2"}
    # Validated before sending: nothing sent.
    sent = len(commands(sim))
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "set_charging_profile",
            {"device_id": device_id(hass, AC), "profile": {**PROFILE, "stackLevel": -1}},
            blocking=True,
            return_response=True,
        )
    assert validation.value.translation_key == "chargeye_invalid_charging_profile"
    assert validation.value.translation_placeholders == {
        "problems": "stackLevel must be an integer >= 0"
    }
    assert len(commands(sim)) == sent
    sim.device.control("reject", {"operations": ["charging_profile"]})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "set_charging_profile",
            {"device_id": device_id(hass, AC), "profile": PROFILE},
            blocking=True,
            return_response=True,
        )
    assert str(info.value) == (
        "Office charger 1 refused Set charging profile: station answered Rejected (InvalidSchedule)"
    )


@pytest.mark.parametrize("variant", ["listed"])
async def test_device_names_in_german(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config.async_update(language="de")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    plug = get_device(hass, f"{DEFAULT_ORGANIZATION}_{DC_PLUG}")
    assert plug.name == "Depot charger 1 Anschluss 1"
    assert get_device(hass, f"{DEFAULT_ORGANIZATION}_{DC}").name == "Depot charger 1"
