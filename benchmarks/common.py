"""What the benchmarks share: each vendor's entry on the simulator, adding it, the report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.sessions.core import by_month
from custom_components.evse_bridge.sessions.tracker import (
    history_month_store_key,
    history_store_key,
    journal_store_key,
    store_key,
)
from custom_components.evse_bridge.vendors.bender_v1.config import CONF_SUMMARY_UNITS
from simulator import bender_v1, kempower_chargeye, schneider_evce
from simulator.clock import SimClock
from simulator.device import SimDevice
from tests.conftest import StartSimulator


def legacy_entry_data(host: str, device: SimDevice) -> dict[str, Any]:
    """Entry data of a Bender legacy controller at ``host``."""
    return {CONF_VENDOR: "bender_legacy", "host": host}


def v1_entry_data(host: str, device: SimDevice) -> dict[str, Any]:
    """Entry data of a Bender v1 controller at ``host``, with the simulator's credentials.

    The summary's units are already established (the simulator's): the steady state is
    measured, not the one reload that establishing them costs a new entry.
    """
    return {
        CONF_VENDOR: "bender_v1",
        "host": host,
        "username": bender_v1.DEFAULT_USERNAME,
        "password": bender_v1.DEFAULT_PASSWORD,
        CONF_SUMMARY_UNITS: {"energy": "kWh", "duration": "min"},
    }


def evce_entry_data(host: str, device: SimDevice) -> dict[str, Any]:
    """Entry data of a Schneider EVCE hub at ``host``, pinned to its certificate."""
    assert isinstance(device, schneider_evce.EvceDevice)
    return {
        CONF_VENDOR: "schneider_evce",
        "host": host,
        "username": schneider_evce.LOGIN,
        "password": schneider_evce.PASSWORD,
        "certificate": "pinned",
        "fingerprint": device.certificate.fingerprint,
    }


def chargeye_entry_data(host: str, device: SimDevice) -> dict[str, Any]:
    """Entry data of the simulated ChargEye account served at ``host``."""
    return {
        CONF_VENDOR: "kempower_chargeye",
        "refresh_token": kempower_chargeye.DEFAULT_REFRESH_TOKEN,
        "server_url": f"http://{host}/api",
    }


@dataclass(frozen=True)
class Simulated:
    """A simulated device and the config entry that reaches it."""

    make_device: Callable[[SimClock], SimDevice]
    entry_data: Callable[[str, SimDevice], dict[str, Any]]
    unique_id: str


async def add_entry(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    simulated: Simulated,
    title: str,
    options: Mapping[str, Any] | None = None,
) -> tuple[MockConfigEntry, SimDevice, SimClock]:
    """Serve the device on simulated time and add (not yet set up) an entry for it."""
    clock = SimClock(scale=0, start=200)
    device = simulated.make_device(clock)
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=simulated.unique_id,
        data=simulated.entry_data(sim.host, device),
        options=options,
    )
    entry.add_to_hass(hass)
    return entry, device, clock


def print_table(title: str, columns: Sequence[str], rows: Sequence[str]) -> None:
    """Print a report: its title, then a Markdown table of ``columns`` and ``rows``."""
    print(f"\n\n{title}:\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print(row)


async def serialise_as_home_assistant(store: Store[Any], *args: Any) -> None:
    """Serialise a store's write where Home Assistant's own store does; the file aside.

    In the executor, except for a store of a newer release that did not say its data may
    leave the loop. The test harness's stand-in would serialise (and check) in the loop.
    The data is the last argument (older releases pass the path first).
    """
    data: dict[str, Any] = args[-1]

    def serialise() -> bytes:
        if "data_func" in data:
            data["data"] = data.pop("data_func")()
        return json_bytes(data)

    if getattr(store, "_serialize_in_event_loop", False):
        serialise()
        return
    await store.hass.async_add_executor_job(serialise)


def stored_sessions(count: int, every: timedelta = timedelta(minutes=20)) -> list[dict[str, Any]]:
    """``count`` completed sessions as the history keeps them, one ``every`` until now."""
    now = dt_util.utcnow()
    items = []
    for number in range(count):
        end = now - every * (count - number)
        items.append(
            {
                "session_id": f"{number:032x}",
                "start": (end - timedelta(hours=2)).isoformat(),
                "end": end.isoformat(),
                "duration_s": 7200,
                "energy_kwh": 21.375,
                "peak_power_w": 11000.0,
                "tag": f"tag_{number:016x}",
                "vehicle_soc": 80.0,
                "stop_reason": "ev_disconnected",
                "device_id": "0123456789abcdef0123456789abcdef",
                "station": "Parking level 2 north",
                "connector": "Connector 1",
                "device_key": "controller",
                "parent_key": None,
            }
        )
    return items


def put_sessions(
    hass_storage: dict[str, Any], entry_id: str, sessions: list[dict[str, Any]], stored: int
) -> dict[str, list[dict[str, Any]]]:
    """The first ``stored`` of ``sessions`` in the history by month, the rest in the journal."""
    months = by_month(sessions[:stored])
    stores: dict[str, dict[str, Any]] = {
        **{
            history_month_store_key(entry_id, month): {"completed": items}
            for month, items in months.items()
        },
        history_store_key(entry_id): {"months": sorted(months)},
        store_key(entry_id): {"secret": "ab" * 32},
        journal_store_key(entry_id): {"journal": sessions[stored:]},
    }
    for key, data in stores.items():
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    return months
