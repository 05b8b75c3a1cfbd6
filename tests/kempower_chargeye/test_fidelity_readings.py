"""ChargEye readings of Kempower's own reference: tokens, ids, times, limits, profiles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

import pytest

from custom_components.evse_bridge.api import EvseCommandRejectedError
from custom_components.evse_bridge.api.kempower_chargeye import ChargEyeClient
from simulator.kempower_chargeye import SIM_CARDS, ChargEyeDevice

from ..conftest import SimServer

MakeClient = Callable[..., ChargEyeClient]


async def test_authorization_token_transaction_id_and_offsetless_time(
    device: ChargEyeDevice, sim: SimServer, make_client: MakeClient
) -> None:
    device.tag_reading = "authorization_token"
    device.transaction_reading = "reference"
    device.clock.advance(600)
    client = make_client()
    stations = await client.get_stations()
    running = [
        connector.running_transaction
        for station in stations
        for connector in station.connectors
        if connector.running_transaction is not None
    ]
    assert running
    for transaction in running:
        assert transaction.transaction_id is not None
        assert transaction.transaction_id.startswith("TX-")
        assert transaction.id_token in SIM_CARDS
        assert transaction.start_time is not None
        assert transaction.start_time.tzinfo is UTC
    # The card UIDs never reach the payloads kept for diagnostics.
    assert not any(card in str(client.raw_payloads) for card in SIM_CARDS)
    assert "authorizationToken" in str(client.raw_payloads)


async def test_max_power_in_force_and_a_subset_of_stations(
    device: ChargEyeDevice, sim: SimServer, make_client: MakeClient
) -> None:
    client = make_client()
    everything = await client.get_stations()
    wanted = sorted(station.station_id for station in everything)[:2]
    subset = await client.get_stations(station_ids=wanted)
    assert sorted(station.station_id for station in subset) == wanted
    for station in subset:
        for connector in station.connectors:
            assert connector.max_power_kw_actual is not None


async def test_removing_charging_profiles(
    device: ChargEyeDevice, sim: SimServer, make_client: MakeClient
) -> None:
    client = make_client()
    station = (await client.get_stations())[0]
    profile = {
        "id": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargingStationExternalConstraints",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 5000}],
            }
        ],
    }
    await client.set_charging_profile(station, None, profile)
    assert station.station_id in device.profiles
    await client.clear_charging_profiles(station, profile_id=1)
    assert station.station_id not in device.profiles
    cleared = device.commands[-1]
    assert cleared["method"] == "DELETE"
    assert cleared["path"] == f"/chargingStations/{station.station_id}/chargingProfile"
    assert cleared["body"] == {"chargingProfileId": 1}
    # Nothing left to remove: Unknown counts as done.
    await client.clear_charging_profiles(station)
    device.rejected = {"clear_charging_profile"}
    with pytest.raises(EvseCommandRejectedError, match=station.station_id):
        await client.clear_charging_profiles(station)
