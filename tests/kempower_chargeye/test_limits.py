"""Units and bounds of the power limit numbers, from what a station reports."""

from __future__ import annotations

from custom_components.evse_bridge.api.kempower_chargeye import parse_stations
from custom_components.evse_bridge.vendors.kempower_chargeye.limits import (
    FALLBACK_MAX_A,
    FALLBACK_MAX_KW,
    _limit_device_class,
    _limit_unit,
    _limit_value,
    limit_rating,
)
from custom_components.evse_bridge.vendors.kempower_chargeye.model import (
    ConnectorData,
    StationData,
)


def test_ratings_fall_back_when_the_station_reports_zeros() -> None:
    # The vendor's own example answer: every rating 0.
    dc, ac = parse_stations(
        [
            {
                "stationId": "charger1",
                "maxPowerKw": 0,
                "maxPowerA": 0,
                "connectors": [{"connectorId": "charger1_connector2", "type": "CCS"}],
            },
            {
                "stationId": "wallbox",
                "maxPowerA": 0,
                "connectors": [{"connectorId": "1", "type": "Type2"}],
            },
        ]
    )
    assert limit_rating(StationData(dc, None)) == FALLBACK_MAX_KW
    assert limit_rating(ConnectorData(dc, dc.connectors[0], None)) == FALLBACK_MAX_KW
    assert limit_rating(StationData(ac, None)) == FALLBACK_MAX_A
    assert limit_rating(ConnectorData(ac, ac.connectors[0], None)) == FALLBACK_MAX_A
    # No limit set: Unknown, never the rating (which would read as "limited to maximum").
    assert _limit_value(ConnectorData(dc, dc.connectors[0], None)) is None
    assert _limit_value(ConnectorData(dc, dc.connectors[0], 42.0)) == 42.0
    assert _limit_unit(StationData(ac, None)) == "A"
    assert _limit_unit(StationData(dc, None)) == "kW"
    assert _limit_device_class(StationData(ac, None)) == "current"
    assert _limit_device_class(StationData(dc, None)) == "power"
