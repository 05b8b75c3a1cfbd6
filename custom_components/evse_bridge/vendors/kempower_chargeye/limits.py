"""The limit numbers and "Remove limit" buttons of stations and connectors.

An AC station is limited in amperes ("Current limit"), a DC one in kW ("Power
limit"). The API does not report a limit in force, so a limit number shows the
last limit this entry set and had accepted; while none is set it shows the
rating, what the station may draw, with the attribute ``limited`` false (an
empty box would read as a fault). "Remove limit" (a button, or the
``clear_power_limit`` action) clears it. A connector's "Session limit" limits
the running transaction, and is unavailable while none runs.

A number keeps the unit it was made with: should a station later read as the
other kind (its connector types change), the number is unavailable rather than
showing, or taking, a value in the other unit, so an automation that writes 40
meaning amperes never sets 40 kW.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypedDict, Unpack

from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfPower

from ...api.kempower_chargeye import LimitUnit
from ...contract.descriptions import (
    EvseBridgeButtonEntityDescription,
    EvseBridgeNumberEntityDescription,
)
from ...contract.limits import LimitControl, LimitUnit as BudgetUnit
from ...contract.site import DeviceData
from .model import CONNECTOR, ConnectorData, StationData
from .site import ChargEyeSite

#: Bounds of a limit when the station reports no rating (the example answer has zeros).
FALLBACK_MAX_A = 63.0
FALLBACK_MAX_KW = 600.0
AC_PHASE_VOLTAGE = 230.0
#: The site power budget pauses an AC session below 6 A (IEC 61851) and a DC one below
#: this power, rather than throttling it further.
AC_MINIMUM_A = 6.0
DC_MINIMUM_KW = 5.0

type LimitedData = StationData | ConnectorData


def _is_ampere(data: LimitedData) -> bool:
    return data.station.limit_unit is LimitUnit.AC_AMPERE


def limit_rating(data: LimitedData) -> float:
    """The largest limit that makes sense: the station's or connector's rating."""
    station = data.station
    if isinstance(data, ConnectorData):
        connector_kw = data.connector.max_power_kw
        if _is_ampere(data):
            if connector_kw:
                return float(round(connector_kw * 1000 / (AC_PHASE_VOLTAGE * 3)))
            return station.max_power_a or FALLBACK_MAX_A
        return connector_kw or station.max_power_kw or FALLBACK_MAX_KW
    if _is_ampere(data):
        return station.max_power_a or FALLBACK_MAX_A
    return station.max_power_kw or FALLBACK_MAX_KW


def _station_limit(data: LimitedData) -> float | None:
    return data.power_limit


def _session_limit(data: ConnectorData) -> float | None:
    return data.session_limit


def _shown_limit[D: LimitedData](
    limit_fn: Callable[[D], float | None],
) -> Callable[[D], float]:
    """The accepted limit; the rating while no limit is set."""

    def shown(data: D) -> float:
        limit = limit_fn(data)
        return limit_rating(data) if limit is None else limit

    return shown


def _limited[D: LimitedData](
    limit_fn: Callable[[D], float | None],
) -> Callable[[D], dict[str, bool]]:
    return lambda data: {"limited": limit_fn(data) is not None}


def _power_w(data: LimitedData) -> float | None:
    if isinstance(data, ConnectorData):
        kw = data.connector.power_kw
    else:
        kw = data.station.current_power_kw
    return None if kw is None else kw * 1000


#: The station's and connector's limit, as the site power budget writes it.
BUDGET_LIMIT = LimitControl[LimitedData](
    unit_fn=lambda data: BudgetUnit.AMPERE if _is_ampere(data) else BudgetUnit.KILOWATT,
    minimum_fn=lambda data: AC_MINIMUM_A if _is_ampere(data) else DC_MINIMUM_KW,
    maximum_fn=limit_rating,
    power_fn=_power_w,
)


async def _set_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_power_limit(device, value)


async def _clear_limit(site: ChargEyeSite, device: DeviceData) -> None:
    await site.async_clear_power_limit(device)


async def _set_session_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_session_limit(device, value)


def _has_running_transaction(data: ConnectorData) -> bool:
    running = data.connector.running_transaction
    return running is not None and running.transaction_id is not None


def _limited_in(*, ampere: bool) -> Callable[[LimitedData], bool]:
    return lambda data: _is_ampere(data) is ampere


def _session_limit_usable(*, ampere: bool) -> Callable[[ConnectorData], bool]:
    return lambda data: _is_ampere(data) is ampere and _has_running_transaction(data)


class _LimitConditions[D](TypedDict, total=False):
    """When a limit number exists and when it takes a value."""

    exists_fn: Callable[[D], bool]
    available_fn: Callable[[D], bool]


class LimitBox(TypedDict):
    """What every ChargEye limit number shares: a box from 0, in whole A or kW."""

    mode: NumberMode
    native_min_value: float
    native_step: float
    native_unit_of_measurement: str
    device_class: NumberDeviceClass


def limit_box(*, ampere: bool) -> LimitBox:
    """The shared fields of a limit in A (``ampere``: input current) or kW (output power)."""
    return LimitBox(
        mode=NumberMode.BOX,
        native_min_value=0,
        native_step=1,
        native_unit_of_measurement=(
            UnitOfElectricCurrent.AMPERE if ampere else UnitOfPower.KILO_WATT
        ),
        device_class=NumberDeviceClass.CURRENT if ampere else NumberDeviceClass.POWER,
    )


def _limit_number[D: LimitedData](
    key: str,
    translation_key: str,
    kind: str,
    limit_fn: Callable[[D], float | None],
    set_fn: Callable[[ChargEyeSite, DeviceData, float], Awaitable[None]],
    *,
    ampere: bool,
    limit_control: LimitControl[D] | None = None,
    enabled_default: bool = True,
    **conditions: Unpack[_LimitConditions[D]],
) -> EvseBridgeNumberEntityDescription[D, ChargEyeSite]:
    """A limit typed in a box, from 0 to the rating, in A (``ampere``) or kW."""
    return EvseBridgeNumberEntityDescription[D, ChargEyeSite](
        key=key,
        translation_key=translation_key,
        device_kind=kind,
        **limit_box(ampere=ampere),
        value_fn=_shown_limit(limit_fn),
        attributes_fn=_limited(limit_fn),
        set_fn=set_fn,
        max_fn=limit_rating,
        limit_control=limit_control,
        entity_registry_enabled_default=enabled_default,
        **conditions,
    )


def limit_numbers(
    kind: str,
) -> tuple[EvseBridgeNumberEntityDescription[LimitedData, ChargEyeSite], ...]:
    """The station's or connector's limit: in A on an AC station, in kW on a DC one.

    Both keep the key ``power_limit`` (one of them exists per device), so the
    entity of an existing installation keeps its id and history.
    """
    return tuple(
        _limit_number(
            "power_limit",
            translation_key,
            kind,
            _station_limit,
            _set_limit,
            ampere=ampere,
            limit_control=BUDGET_LIMIT,
            exists_fn=_limited_in(ampere=ampere),
            available_fn=_limited_in(ampere=ampere),
        )
        for translation_key, ampere in (("current_limit", True), ("power_limit", False))
    )


#: The running transaction's limit, in A on an AC station, in kW on a DC one (one key:
#: one of them exists per connector).
SESSION_LIMITS = tuple(
    _limit_number(
        "session_power_limit",
        "session_limit",
        CONNECTOR,
        _session_limit,
        _set_session_limit,
        ampere=ampere,
        # The connector's own limit is the one an operator sets; this one ends with the
        # transaction.
        enabled_default=False,
        exists_fn=_limited_in(ampere=ampere),
        available_fn=_session_limit_usable(ampere=ampere),
    )
    for ampere in (True, False)
)


def clear_limit_button(kind: str) -> EvseBridgeButtonEntityDescription[LimitedData, ChargEyeSite]:
    """Remove the station's or connector's limit."""
    return EvseBridgeButtonEntityDescription[LimitedData, ChargEyeSite](
        key="clear_power_limit",
        translation_key="remove_limit",
        device_kind=kind,
        entity_category=EntityCategory.CONFIG,
        press_fn=_clear_limit,
    )
