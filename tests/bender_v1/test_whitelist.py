"""The local whitelist: the client and the actions, against every reading the simulator plays."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.evse_bridge.api import EvseCommandRejectedError, EvseNotSupportedError
from custom_components.evse_bridge.api.bender_v1 import (
    TAG_PLACEHOLDER,
    TagType,
    WhitelistEntry,
    WhitelistPriority,
    scrub_tags,
)
from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_v1 import DEFAULT_TAG_ID, SERIAL, VARIANTS, BenderV1Device
from simulator.bender_v1_controls import WHITELIST_DELETE_BODY, WHITELIST_PUT, V1Whitelist
from simulator.clock import SimClock

from ..common import get_device
from ..conftest import SimServer, StartSimulator
from .conftest import TITLE, V1Setup, make_client

CARD = "04A1B2C3D4E5F6"
CARD_2 = "0477AB12CD34EF"
USER = "45d3711a-2acd-5812-cb44-f23fa3b791c2"
WHITELIST_VARIANTS = sorted(VARIANTS)


@pytest.fixture(params=WHITELIST_VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    """Every reading of the whitelist's paths and methods."""
    return str(request.param)


def home_assistant_log(caplog: pytest.LogCaptureFixture) -> str:
    """What Home Assistant logged: the simulated controller's access log is the device's own."""
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name != "aiohttp.access"
    ).lower()


def whitelist_path(variant: str) -> str:
    """The whitelist's path on this variant (firmware 5.32 has no ``/v1`` prefix)."""
    return "/whitelist" if variant == "unprefixed" else "/v1/whitelist"


def write_path(variant: str) -> str:
    method = "PUT" if variant == WHITELIST_PUT else "POST"
    return f"{method} {whitelist_path(variant)}"


# -- client ----------------------------------------------------------------------------------


async def test_client_add_list_edit_delete_clear(v1: V1Setup, variant: str) -> None:
    client = v1.client
    assert await client.whitelist() == ()
    await client.whitelist_add(
        [
            WhitelistEntry(
                id=CARD,
                tag_type=TagType.RFID,
                name="Alex",
                number=7,
                user_id=USER,
                priority=WhitelistPriority.HIGH,
            ),
            WhitelistEntry(id=CARD_2, tag_type=TagType.NFC),
        ]
    )
    assert v1.device.whitelist.entries[CARD] == {
        "id": CARD,
        "tagType": "RFID",
        "name": "Alex",
        "number": 7,
        "userid": USER,
        "priority": "HIGH",
    }
    listed = await client.whitelist()
    assert [entry.id for entry in listed] == [CARD, CARD_2]
    assert listed[0].priority is WhitelistPriority.HIGH
    assert listed[0].user_id == USER
    assert listed[1].tag_type is TagType.NFC
    assert CARD not in repr(listed)

    await client.whitelist_edit([WhitelistEntry(id=CARD_2, name="Pool car")])
    assert v1.device.whitelist.entries[CARD_2]["name"] == "Pool car"
    await client.whitelist_delete([CARD])
    assert list(v1.device.whitelist.entries) == [CARD_2]
    await client.whitelist_clear()
    assert v1.device.whitelist.entries == {}

    readings = client.whitelist_readings
    assert readings["write_method"] == ("PUT" if variant == WHITELIST_PUT else "POST")
    assert readings["delete_form"] == ("body" if variant == WHITELIST_DELETE_BODY else "query")
    # The reading found once is kept: a second write goes straight to the right method.
    before = v1.sim.requests()
    await client.whitelist_add([WhitelistEntry(id=CARD)])
    assert v1.sim.requests() == before + 1
    await client.whitelist_delete([CARD])
    assert v1.sim.requests() == before + 2


async def test_client_refusal_never_quotes_the_tag(v1: V1Setup) -> None:
    await v1.client.whitelist_add([WhitelistEntry(id=CARD)])
    with pytest.raises(EvseCommandRejectedError) as caught:
        # The controller's cause names the tag: "tag '04A1...' already exists".
        await v1.client.whitelist_add([WhitelistEntry(id=CARD)])
    assert "already exists" in str(caught.value)
    assert CARD.lower() not in str(caught.value).lower()
    with pytest.raises(EvseCommandRejectedError) as caught:
        await v1.client.whitelist_edit([WhitelistEntry(id=CARD_2, name="x")])
    assert "not found" in str(caught.value)
    assert CARD_2.lower() not in str(caught.value).lower()
    with pytest.raises(EvseCommandRejectedError) as caught:
        await v1.client.whitelist_delete([CARD_2])
    assert CARD_2.lower() not in str(caught.value).lower()


async def test_client_deletes_long_lists_in_several_requests(v1: V1Setup, variant: str) -> None:
    tag_ids = [f"{number:040x}" for number in range(60)]
    v1.device.control("whitelist", {"tags": [{"id": tag_id} for tag_id in tag_ids]})
    await v1.client.whitelist_delete(tag_ids)
    assert v1.device.whitelist.entries == {}
    # 60 ids of 40 characters: three queries of at most 1000 characters.
    deletions = v1.sim.requests(f"DELETE {whitelist_path(variant)}")
    assert deletions == (4 if variant == WHITELIST_DELETE_BODY else 3)


def test_scrub_tags_whatever_the_case() -> None:
    text = "tag 'abcDEF12' and ABCDEF12 and abcdef1234"
    assert scrub_tags(text, ["ABCdef12"]) == (
        f"tag '{TAG_PLACEHOLDER}' and {TAG_PLACEHOLDER} and {TAG_PLACEHOLDER}34"
    )
    assert scrub_tags("no tag", []) == "no tag"


@pytest.mark.parametrize("variant", ["default"])
async def test_client_whitelist_answers(v1: V1Setup) -> None:
    """Odd answers: listed entries without an id are skipped; 404 means not supported."""
    v1.device.whitelist.entries = {"x": {"name": "no id"}, CARD: {"id": CARD, "priority": "?"}}
    listed = await v1.client.whitelist()
    assert [entry.id for entry in listed] == [CARD]
    assert listed[0].priority is None
    v1.device.control("configure", {"rest": "off"})
    with pytest.raises(EvseNotSupportedError):
        await v1.client.whitelist()


class StatusWhitelist(V1Whitelist):
    """A controller that says no with an error status: with the documented body, or none."""

    async def _write(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        body = await request.json()
        if body["command"] == "clear":
            return web.Response(status=403, text="Forbidden")
        return web.json_response({"success": False, "cause": f"tag {CARD} is locked"}, status=409)


async def test_client_rejection_with_an_error_status(
    start_simulator: StartSimulator, http: aiohttp.ClientSession, clock: SimClock
) -> None:
    device = BenderV1Device(clock)
    device.whitelist = StatusWhitelist(device._refusal, "default")
    sim = await start_simulator(device)
    client = make_client(http, sim, clock)
    with pytest.raises(EvseCommandRejectedError, match="HTTP 403"):
        await client.whitelist_clear()
    with pytest.raises(EvseCommandRejectedError, match=f"tag {TAG_PLACEHOLDER} is locked"):
        await client.whitelist_add([WhitelistEntry(id=CARD)])


# -- actions ---------------------------------------------------------------------------------


def controller_id(hass: HomeAssistant) -> str:
    return get_device(hass, f"{SERIAL}_controller").id


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"device_id": controller_id(hass), **data},
        blocking=True,
        return_response=action == "get_whitelist",
    )


async def test_actions_manage_the_whitelist(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    sim: SimServer,
    variant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await call(
        hass,
        "add_whitelist_tag",
        {
            "id": CARD,
            "tag_type": "rfid",
            "name": "Alex",
            "number": 7,
            "priority": "high",
            "user_id": USER,
        },
    )
    await call(hass, "add_whitelist_tag", {"id": CARD_2})
    assert sim.requests(write_path(variant)) >= 2
    await call(hass, "edit_whitelist_tag", {"id": CARD_2, "tag_type": "EVCCID", "name": "Van"})
    response = await call(hass, "get_whitelist", {})
    assert response == {
        "tags": [
            {
                "id": CARD,
                "tag_type": "RFID",
                "name": "Alex",
                "number": 7,
                "priority": "HIGH",
                "user_id": USER,
            },
            {
                "id": CARD_2,
                "tag_type": "EVCCID",
                "name": "Van",
                "number": None,
                "priority": None,
                "user_id": None,
            },
        ]
    }
    await call(hass, "delete_whitelist_tags", {"ids": [CARD, CARD]})
    assert list(device.whitelist.entries) == [CARD_2]
    await hass.services.async_call(
        DOMAIN, "clear_whitelist", {"config_entry_id": loaded_entry.entry_id}, blocking=True
    )
    assert device.whitelist.entries == {}
    assert CARD.lower() not in home_assistant_log(caplog)
    assert CARD_2.lower() not in home_assistant_log(caplog)


async def test_rejections_are_translated_and_name_the_controller(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    device.control("whitelist", {"tags": [{"id": CARD}]})
    for action, data in (
        ("add_whitelist_tag", {"id": CARD.lower()}),
        ("edit_whitelist_tag", {"id": CARD_2}),
        ("delete_whitelist_tags", {"ids": [CARD_2]}),
    ):
        with pytest.raises(HomeAssistantError) as caught:
            await call(hass, action, data)
        err = caught.value
        assert err.translation_key == "whitelist_rejected"
        placeholders = err.translation_placeholders or {}
        assert placeholders["controller"] == TITLE
        message = str(err) + json.dumps(placeholders)
        assert CARD.lower() not in message.lower()
        assert CARD_2.lower() not in message.lower()
    assert CARD.lower() not in home_assistant_log(caplog)
    assert CARD_2.lower() not in home_assistant_log(caplog)


@pytest.mark.parametrize("variant", ["default"])
async def test_action_fields_are_validated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer
) -> None:
    for data, message in (
        ({"id": "  "}, "Tag ID must have from 1 to 36 characters"),
        ({"id": CARD, "tag_type": "barcode"}, "Tag type has a value this action does not take"),
        ({"id": CARD, "priority": "urgent"}, "Priority has a value this action does not take"),
        ({"id": CARD, "user_id": "not-a-uuid"}, "User ID has a value this action does not take"),
    ):
        with pytest.raises(ServiceValidationError) as refused:
            await call(hass, "add_whitelist_tag", data)
        # The form's names, not voluptuous's ("not a UUID for dictionary value @ data[...]").
        assert str(refused.value) == f"Add whitelist tag: {message}"
    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "delete_whitelist_tags", {"ids": []})
    assert str(refused.value) == "Delete whitelist tags: Tag IDs must have from 1 to 100 entries"
    assert sim.requests("POST /v1/whitelist") == 0


async def test_pairing_adds_the_scanned_tag(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    variant: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"device_id": controller_id(hass), "add_to_whitelist": True, "name": "Guest card"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["whitelist"] == "added"
    assert response["id"] == DEFAULT_TAG_ID
    entry = device.whitelist.entries[DEFAULT_TAG_ID]
    assert entry["name"] == "Guest card"
    assert entry["tagType"] == "RFID"
    # Scanned again: already listed, it keeps its entry and gets the new name.
    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"device_id": controller_id(hass), "add_to_whitelist": True, "name": "Alex"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["whitelist"] == "already_listed"
    assert device.whitelist.entries[DEFAULT_TAG_ID]["name"] == "Alex"
    assert DEFAULT_TAG_ID.lower() not in home_assistant_log(caplog)


@pytest.mark.parametrize("variant", ["default"])
async def test_pairing_without_adding_leaves_the_whitelist(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device, sim: SimServer
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"device_id": controller_id(hass)},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert "whitelist" not in response
    assert device.whitelist.entries == {}
    assert sim.requests("GET /v1/whitelist") == 0


async def test_no_tag_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    variant: str,
) -> None:
    await call(hass, "add_whitelist_tag", {"id": CARD})
    await call(hass, "get_whitelist", {})
    await call(hass, "delete_whitelist_tags", {"ids": [CARD]})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    text = json.dumps(diagnostics).lower()
    assert CARD.lower() not in text
    readings = diagnostics["raw_payloads"]["whitelist_readings"]
    assert readings["write_method"] == ("PUT" if variant == WHITELIST_PUT else "POST")
