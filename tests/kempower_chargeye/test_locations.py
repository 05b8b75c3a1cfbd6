"""Adding a ChargEye account: its locations offered as a list once the token is checked."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.evse_bridge.api.kempower_chargeye import parse_stations
from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.vendors.kempower_chargeye.config import account_locations
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_REFRESH_TOKEN, ChargEyeDevice

from ..conftest import SimServer, StartSimulator
from .conftest import EPOCH

TOKEN_PATH = "GET /api/auth/refreshAccessToken"


async def _token_checked(hass: HomeAssistant, sim: SimServer, **extra: Any) -> FlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "kempower_chargeye"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            **extra,
            "advanced": {"server_url": f"{sim.url}/api"},
        },
    )


def _choices(result: FlowResult) -> tuple[list[tuple[str, str]], str, str]:
    """The location list's (value, label) pairs, its default and its translation key."""
    field = result["data_schema"].schema
    marker = next(iter(field))
    config = field[marker].config
    options = [(item["value"], item["label"]) for item in config["options"]]
    return options, marker.default(), config["translation_key"]


async def test_the_accounts_locations_are_offered_by_name(
    hass: HomeAssistant, sim: SimServer
) -> None:
    result = await _token_checked(hass, sim)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "location"
    options, default, translation_key = _choices(result)
    assert options == [
        ("all_locations", "all_locations"),  # shown as the translated "All locations"
        ("loc-depot", "Bus depot"),
        ("loc-office", "Office car park"),
    ]
    assert default == "all_locations"
    assert translation_key == "account_location"
    for language, label in (("en", "All locations"), ("de", "Alle Standorte")):
        texts = await async_get_translations(hass, language, "selector", [DOMAIN])
        key = f"component.{DOMAIN}.selector.{translation_key}.options.all_locations"
        assert texts[key] == label

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"location": "loc-depot"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kempower ChargEye Bus depot"
    assert result["data"]["location_uid"] == "loc-depot"
    await hass.async_block_till_done()


async def test_all_locations_adds_the_whole_account(hass: HomeAssistant, sim: SimServer) -> None:
    result = await _token_checked(hass, sim)
    exchanges = sim.requests(TOKEN_PATH)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"location": "all_locations"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kempower ChargEye"
    assert "location_uid" not in result["data"]
    # The whole account needs no second connection test.
    assert sim.requests(TOKEN_PATH) == exchanges
    await hass.async_block_till_done()

    # The same account again: refused before any list is offered.
    result = await _token_checked(hass, sim)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_failed_second_test_shows_the_list_again(
    hass: HomeAssistant, sim: SimServer
) -> None:
    result = await _token_checked(hass, sim)
    assert isinstance(sim.device, ChargEyeDevice)
    sim.device.control("rate_limit", {"seconds": 60})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"location": "loc-office"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "location"
    assert result["errors"] == {"base": "rate_limited"}
    sim.device.control("rate_limit", {"seconds": 0})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"location": "loc-office"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["location_uid"] == "loc-office"
    await hass.async_block_till_done()


async def test_a_location_typed_in_or_a_single_location_needs_no_list(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    clock = SimClock(scale=0)
    sim = await start_simulator(ChargEyeDevice(clock, epoch=EPOCH))
    result = await _token_checked(hass, sim, location_uid="loc-office")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["location_uid"] == "loc-office"
    await hass.async_block_till_done()

    one_place = await start_simulator(
        ChargEyeDevice(clock, epoch=EPOCH, organization_id="org-one", dc_stations=0)
    )
    result = await _token_checked(hass, one_place)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "location_uid" not in result["data"]
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ({"locationUid": "loc-1", "name": "Yard"}, {"loc-1": "Yard"}),
        ({"uid": "loc-2"}, {"loc-2": "loc-2"}),  # no name: the UID
        ({"name": "Nowhere"}, {}),  # no UID: nothing to narrow to, the text field stays
        (None, {}),
    ],
)
def test_locations_from_what_the_stations_name(
    location: dict[str, str] | None, expected: dict[str, str]
) -> None:
    raw: dict[str, Any] = {"stationId": "s1", "connectors": []}
    if location is not None:
        raw["location"] = location
    assert account_locations(parse_stations([raw])) == expected
