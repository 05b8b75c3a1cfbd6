"""Every reading the v1 documents leave open, as the simulator plays it: set-up, values, actions.

Also the evidence that establishes the transaction summary's units, the lifetime meter
built on it, ``transactions/active`` and the Legacy controller picked by mistake.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.evse_bridge.api.bender_common import (
    offers_v1_api,
)
from custom_components.evse_bridge.api.bender_v1 import (
    SummaryUnits,
    Transaction,
    TransactionSummary,
)
from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_legacy import (
    LegacyDevice,
)
from simulator.bender_v1 import (
    CHARGE_POINT_ID,
    DEFAULT_PASSWORD,
    DEFAULT_TAG_ID,
    SERIAL,
    VARIANTS,
    BenderV1Device,
)
from simulator.clock import SimClock

from ..common import entity_state, find_entity_id, get_device
from ..conftest import SimServer, StartSimulator
from .conftest import make_client

#: When the simulated cycle charges (transaction 140 s .. 1100 s, then the car leaves).
CHARGING_AT = 440.0
#: Where each variant puts what it varies, as diagnostics report it.
READINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "session_top_level": {"session_id_location": "sessionId"},
    "session_nested_snake": {"session_id_location": "session.id"},
    "session_string": {"session_id_location": "session"},
    "session_cookie": {"session_id_location": "cookie:SESSIONID"},
    "serial_lower_case": {"serial_key": "chargepointserialnumber"},
    "serial_charge_box": {"serial_key": "chargeBoxSerialNumber"},
    "serial_other_name": {"serial_key": "SerialNo"},
    "summary_wh_s": {},
    "pairing_put": {"pairing_method": "PUT"},
    "unprefixed": {"api_prefix": ""},
}


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock, seconds: float = 15
) -> None:
    """Move Home Assistant's and the simulator's time together and let the poll run."""
    clock.advance(seconds)
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_entry(hass: HomeAssistant, host: str) -> dict[str, Any]:
    """Run the config flow for ``host`` to its end."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bender_v1"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: host, CONF_USERNAME: "operator", CONF_PASSWORD: DEFAULT_PASSWORD},
    )
    await hass.async_block_till_done()
    return dict(result)


def test_every_reading_is_a_variant() -> None:
    # The whitelist's and the settings' variants read the session like the default.
    assert set(READINGS) <= set(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
async def test_every_variant_sets_up_polls_and_pairs(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    variant: str,
) -> None:
    device = BenderV1Device(clock, variant=variant)
    sim = await start_simulator(device)
    result = await add_entry(hass, sim.host)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{CHARGE_POINT_ID} (Bender REST API v1)"
    entry = result["result"]
    serial = f"{SERIAL}/b94060042" if variant == "serial_charge_box" else SERIAL
    assert entry.unique_id == serial
    assert entry.state is ConfigEntryState.LOADED

    def state(key: str, platform: str = "sensor") -> str:
        return entity_state(hass, platform, f"{serial}_controller_{key}").state

    assert get_device(hass, f"{serial}_controller").name == CHARGE_POINT_ID
    assert state("system") == "idle"
    assert state("session_energy") == "0.0"
    assert state("power") == "0.0"

    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response == {"result": "tag_scanned", "id": DEFAULT_TAG_ID, "tag_type": "RFID"}

    clock.advance(CHARGING_AT - clock.now() - 15)
    await tick(hass, freezer, clock)
    assert state("power") == "11.0"
    assert state("session_energy") == "0.917"
    assert state("charging", "binary_sensor") == "on"

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    readings = {
        "api_prefix": "/v1",
        "session_id_location": "session.id",
        "serial_key": "chargePointSerialNumber",
        "pairing_method": "POST",
    } | READINGS.get(variant, {})
    client = diagnostics["raw_payloads"]["client"]
    assert {key: client[key] for key in readings} == readings
    # The flow's probe, the entry, and once more after the jump past the 60 s timeout.
    assert device.logins == 3
    assert device.refused_logins == 0
    text = repr(diagnostics)
    assert DEFAULT_PASSWORD not in text
    assert DEFAULT_TAG_ID not in text


@pytest.mark.parametrize(
    ("variant", "units", "total_kwh"),
    [("default", {"energy": "kWh", "duration": "min"}, 150.0), ("summary_wh_s", None, 2.626)],
)
async def test_summary_units_established_from_a_watched_transaction(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    variant: str,
    units: dict[str, str] | None,
    total_kwh: float,
) -> None:
    device = BenderV1Device(clock, variant=variant)
    sim = await start_simulator(device)
    entry = (await add_entry(hass, sim.host))["result"]

    def find(key: str) -> str | None:
        return find_entity_id(hass, "sensor", f"{SERIAL}_controller_{key}")

    while clock.now() + 15 < 1100:
        await tick(hass, freezer, clock)
        assert find("total_energy") is None  # no Energy-dashboard meter from a guess
    await tick(hass, freezer, clock)  # the car has left: the transaction ended
    await hass.async_block_till_done()
    units = units or {"energy": "Wh", "duration": "s"}
    assert entry.data["summary_units"] == units
    assert entry.state is ConfigEntryState.LOADED
    total = entity_state(hass, "sensor", f"{SERIAL}_controller_total_energy")
    assert total.attributes["unit_of_measurement"] == "kWh"
    assert total.attributes["state_class"] == "total_increasing"
    assert float(total.state) == pytest.approx(total_kwh, abs=0.01)
    duration = entity_state(hass, "sensor", f"{SERIAL}_controller_total_duration")
    # 2375 min + 16 min, or 2375 s + 960 s; shown in hours.
    expected_min = (2375 + 16) if units["duration"] == "min" else (2375 + 960) / 60
    assert duration.attributes["unit_of_measurement"] == "h"
    assert float(duration.state) == pytest.approx(expected_min / 60, abs=0.05)
    # Only the lifetime meter is offered to the Energy dashboard, not the session's energy.
    session_energy = entity_state(hass, "sensor", f"{SERIAL}_controller_session_energy")
    assert session_energy.attributes["unit_of_measurement"] == "kWh"
    assert session_energy.attributes["device_class"] == "energy"
    assert "state_class" not in session_energy.attributes
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["raw_payloads"]["client"]["summary_units"]["energy"] == units["energy"]

    # The next session: the lifetime meter includes the running energy and never falls.
    readings = [float(total.state)]
    while clock.now() < 2250:
        await tick(hass, freezer, clock)
        readings.append(
            float(entity_state(hass, "sensor", f"{SERIAL}_controller_total_energy").state)
        )
        session = float(entity_state(hass, "sensor", f"{SERIAL}_controller_session_energy").state)
        assert readings[-1] >= readings[0] + session - 0.01
    assert readings == sorted(readings)
    assert readings[-1] > readings[0] + 2.0
    # A restart does not show the summary's rounding as a dip.
    assert readings[0] < entry.data["lifetime_wh"] / 1000 <= readings[-1]
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = float(entity_state(hass, "sensor", f"{SERIAL}_controller_total_energy").state)
    assert after >= readings[-1]


class LaggingSummary(BenderV1Device):
    """A controller whose summary counts a transaction only a minute after it ended."""

    def transaction_summary(self) -> dict[str, Any]:
        now = self.clock.now()
        self.clock._offset -= 60
        try:
            return super().transaction_summary()
        finally:
            self.clock._offset = now - (self.clock.now() - self.clock._offset)


async def test_lifetime_meter_bridges_a_summary_that_lags(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    device = LaggingSummary(clock)
    sim = await start_simulator(device)
    entry = (await add_entry(hass, sim.host))["result"]
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "summary_units": {"energy": "kWh", "duration": "min"}}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    readings = []
    while clock.now() < 1300:
        await tick(hass, freezer, clock)
        readings.append(
            float(entity_state(hass, "sensor", f"{SERIAL}_controller_total_energy").state)
        )
    assert readings == sorted(readings)
    # 148 kWh + the 2.48 kWh watched; the summary's rounded 150 kWh never pulls it back.
    assert readings[-1] == pytest.approx(150.48, abs=0.01)
    # Nor does a restart, where the summary alone says 150 kWh.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = float(entity_state(hass, "sensor", f"{SERIAL}_controller_total_energy").state)
    assert after == pytest.approx(150.48, abs=0.01)
    # While the summary lagged it was asked at every poll, and no longer once it caught up.
    assert sim.requests("GET /v1/transactions/summary") < 15


def test_units_need_evidence() -> None:
    before = TransactionSummary(count=12, total_duration=2375, total_consumption=148)
    watched = [Transaction("1", None, 960, 2500.0, 0.0)]
    after_kwh = TransactionSummary(count=13, total_duration=2391, total_consumption=150)
    after_wh = TransactionSummary(count=13, total_duration=3335, total_consumption=2648)
    open_units = SummaryUnits()
    assert open_units.establish(before, after_kwh, watched) == SummaryUnits("kWh", "min")
    assert open_units.establish(before, after_wh, watched) == SummaryUnits("Wh", "s")
    # A transaction nobody watched (or none at all) is no evidence.
    assert open_units.establish(before, after_kwh, []) == open_units
    two = TransactionSummary(count=14, total_duration=2391, total_consumption=150)
    assert open_units.establish(before, two, watched) == open_units
    # Too small to tell Wh from kWh; values missing.
    tiny = [Transaction("1", None, None, 0.5, 0.0)]
    grown = TransactionSummary(count=13, total_duration=None, total_consumption=148.5)
    assert open_units.establish(before, grown, tiny) == open_units
    assert open_units.energy_wh(after_kwh) is None
    assert SummaryUnits("kWh", None).energy_wh(after_kwh) == 150000.0
    assert SummaryUnits("kWh", None).duration_s(after_kwh) is None


class HiddenTransaction(BenderV1Device):
    """A controller whose system state never carries the running transaction."""

    async def _system_state(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        state = self.system_state()
        state.pop("transaction", None)
        return web.json_response(state)


class NoActiveEndpoint(HiddenTransaction):
    """... and that does not offer ``transactions/active`` either."""

    async def _active(self, request: web.Request) -> web.Response:
        return web.Response(status=404)


@pytest.mark.parametrize(
    ("device_class", "charging_value"),
    [(HiddenTransaction, STATE_UNKNOWN), (NoActiveEndpoint, "0.0")],
)
async def test_transactions_active_settles_doubt(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    device_class: type[BenderV1Device],
    charging_value: str,
) -> None:
    sim = await start_simulator(device_class(clock))
    await add_entry(hass, sim.host)
    assert entity_state(hass, "sensor", f"{SERIAL}_controller_power").state == "0.0"
    # No vehicle connected: nothing to settle, the endpoint is not asked.
    assert sim.requests("GET /v1/transactions/active") == 0
    clock.advance(CHARGING_AT - 15)
    await tick(hass, freezer, clock)
    await tick(hass, freezer, clock)
    # A vehicle charges but the state carries no transaction: the endpoint tells.
    assert entity_state(hass, "sensor", f"{SERIAL}_controller_power").state == charging_value
    asked = 2 if charging_value == STATE_UNKNOWN else 1  # a 404 is not asked again
    assert sim.requests("GET /v1/transactions/active") == asked


async def test_offers_v1_api(
    start_simulator: StartSimulator, clock: SimClock, http: aiohttp.ClientSession
) -> None:
    v1 = await start_simulator(BenderV1Device(clock, variant="unprefixed"))
    assert await offers_v1_api(http, v1.host)
    legacy = await start_simulator(LegacyDevice(clock))
    assert not await offers_v1_api(http, legacy.host)
    assert not await offers_v1_api(http, "127.0.0.1:9")


@pytest.mark.parametrize("password", [None, "secret"])
async def test_legacy_controller_is_named(
    hass: HomeAssistant, start_simulator: StartSimulator, clock: SimClock, password: str | None
) -> None:
    legacy = await start_simulator(LegacyDevice(clock, password=password))
    result = await add_entry(hass, legacy.host)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "bender_is_legacy"}


async def test_pairing_method_remembered(
    start_simulator: StartSimulator, clock: SimClock, http: aiohttp.ClientSession
) -> None:
    sim: SimServer = await start_simulator(BenderV1Device(clock, variant="pairing_put"))
    client = make_client(http, sim, clock)
    await client.start_pairing()
    await client.start_pairing()
    assert client.pairing_method == "PUT"
    assert sim.requests("POST /v1/whitelist/pairing") == 1
    assert sim.requests("PUT /v1/whitelist/pairing") == 2
