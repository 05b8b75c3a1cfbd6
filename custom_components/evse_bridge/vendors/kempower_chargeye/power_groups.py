"""The entities of a ChargEye power group: its limit, what its stations draw, its stations.

A power group (Kempower's Load Balancing API) shares one limit among its stations by
their demand, in AC input current (A) or DC output power (kW), as its
``limitationType`` says. The limit is a number in that unit, and a limit the site
power budget may write: where the budget manages every station of the group, it writes
the group's limit once and the cloud shares it out (see ``contract/limits.py``).
"""

from __future__ import annotations

from ...api.kempower_chargeye import MAX_GROUP_LIMIT, GroupLimitation
from ...contract.descriptions import (
    EvseBridgeEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from ...contract.limits import LimitControl, LimitUnit
from ...contract.sensor_factories import power_sensor
from ...contract.site import DeviceData
from .limits import AC_MINIMUM_A, DC_MINIMUM_KW, FALLBACK_MAX_A, FALLBACK_MAX_KW, limit_box
from .model import POWER_GROUP, PowerGroupData
from .site import ChargEyeSite

ATTR_STATIONS = "stations"


def _is_ampere(data: PowerGroupData) -> bool:
    return data.group.limitation is GroupLimitation.INPUT_CURRENT


def group_rating(data: PowerGroupData) -> float:
    """The largest limit that makes sense: what its stations are rated for together.

    Never below the limit in force (a group may list stations of another account), and
    a group without rated stations takes one station's fallback bound.
    """
    rated = sum(data.member_ratings)
    fallback = FALLBACK_MAX_A if _is_ampere(data) else FALLBACK_MAX_KW
    return min(MAX_GROUP_LIMIT, max(rated or fallback, data.limit or 0.0))


def _power_w(data: PowerGroupData) -> float | None:
    return None if data.power_kw is None else data.power_kw * 1000


async def _set_group_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_group_limit(device, value)


#: The group's limit as the site power budget writes it: once for all its stations; at
#: least one station charging at its minimum.
GROUP_LIMIT = LimitControl[PowerGroupData](
    unit_fn=lambda data: LimitUnit.AMPERE if _is_ampere(data) else LimitUnit.KILOWATT,
    minimum_fn=lambda data: AC_MINIMUM_A if _is_ampere(data) else DC_MINIMUM_KW,
    maximum_fn=group_rating,
    power_fn=_power_w,
    step_fn=lambda data: 1.0,
    group=True,
    members_fn=lambda data: data.members,
)


def _group_limit_number(
    *, ampere: bool
) -> EvseBridgeNumberEntityDescription[PowerGroupData, ChargEyeSite]:
    """The group's limit in A (input current) or kW (output power): one exists per group."""
    return EvseBridgeNumberEntityDescription[PowerGroupData, ChargEyeSite](
        key="group_limit",
        translation_key="power_group_current_limit" if ampere else "power_group_power_limit",
        device_kind=POWER_GROUP,
        **limit_box(ampere=ampere),
        value_fn=lambda data: data.limit,
        set_fn=_set_group_limit,
        max_fn=group_rating,
        limit_control=GROUP_LIMIT,
        exists_fn=lambda data: _is_ampere(data) is ampere,
        # A group whose limitation changes keeps its number's unit: unavailable instead.
        available_fn=lambda data: _is_ampere(data) is ampere,
    )


POWER_GROUP_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    _group_limit_number(ampere=True),
    _group_limit_number(ampere=False),
    power_sensor(
        "power",
        "power_group_power",
        POWER_GROUP,
        _power_w,
        precision=1,
    ),
    EvseBridgeSensorEntityDescription[PowerGroupData](
        key="stations",
        translation_key="power_group_stations",
        device_kind=POWER_GROUP,
        value_fn=lambda data: len(data.group.station_ids),
        attributes_fn=lambda data: {ATTR_STATIONS: list(data.group.station_ids)},
    ),
)
