"""The control loop of a site power budget entry.

It reads the building's measurement, finds the managed devices' limit controls through
their entries' runtime data (what each vendor declared, see ``contract/limits.py``),
asks the allocator for the allocations and writes those that changed: a decrease at
once (bypassing write coalescing), an increase only within the device's write budget.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfPower
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..compat import config_entry_ids, get_device
from ..const import DOMAIN, LOGGER
from ..contract.descriptions import EvseBridgeNumberEntityDescription
from ..contract.limits import LimitControl, LimitUnit
from ..contract.records import SessionRecord
from ..contract.sessions import SessionEventDescription
from ..contract.site import DeviceData
from ..coordinator import EvseBridgeRuntimeData
from ..registry import entry_devices
from ..sessions.tags import normalised
from ..sessions.tracker import SessionTracker
from .allocator import Allocator, Consumer, Decision, Settings, Strategy
from .const import (
    CONF_CONTROL_PERIOD,
    CONF_DEVICES,
    CONF_FAILSAFE_TOTAL,
    CONF_LIMIT,
    CONF_LIMIT_UNIT,
    CONF_MARGIN,
    CONF_MEASUREMENT,
    CONF_PHASE_CURRENTS,
    CONF_PHASES,
    CONF_PRIORITY_HIGH,
    CONF_PRIORITY_LOW,
    CONF_PRIORITY_TAGS_HIGH,
    CONF_PRIORITY_TAGS_LOW,
    CONF_STALE_S,
    CONF_STRATEGY,
    CONF_WRITE_BUDGET,
    DEFAULT_CONTROL_PERIOD_S,
    DEFAULT_STALE_S,
    DEFAULT_WRITE_BUDGET,
    MAX_BOOST_MIN,
    MIN_STEP_INTERVAL_S,
    PHASE_VOLTAGE,
)

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Managed:
    """A managed device found in its loaded entry, with the limit it declares."""

    device_id: str
    name: str
    runtime: EvseBridgeRuntimeData
    device: DeviceData
    description: EvseBridgeNumberEntityDescription
    control: LimitControl
    online: bool
    #: The managed devices whose shared limit this is (a group written in their stead).
    members: tuple[Managed, ...] = ()


def _shares(item: Managed) -> int:
    """The sessions ``item`` shares its limit among, for an equal split (at least one)."""
    shares_fn = item.control.shares_fn
    return 1 if shares_fn is None else max(1, shares_fn(item.device.data))


class BudgetController:
    """One budget entry's state and loop; the Site device's entities read it."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Read the configuration (options override data)."""
        self.hass = hass
        self.entry = entry
        config: dict[str, Any] = {**entry.data, **entry.options}
        #: A power sensor, or (empty) a current sensor per phase.
        self.measurement: str = config.get(CONF_MEASUREMENT) or ""
        self.phase_currents: list[str] = list(config.get(CONF_PHASE_CURRENTS) or [])
        self.limit_unit = LimitUnit(config[CONF_LIMIT_UNIT])
        self.phases = int(config[CONF_PHASES])
        #: The configured limit and strategy; an automation may set others at run time.
        self.configured_limit = float(config[CONF_LIMIT])
        self.configured_strategy = Strategy(config[CONF_STRATEGY])
        self.limit: float = self.configured_limit
        self.margin: float = float(config.get(CONF_MARGIN, 0.0))
        self.strategy = self.configured_strategy
        self.device_ids: list[str] = list(config[CONF_DEVICES])
        #: Priority tier per managed device: high 2, unlisted 1, low 0.
        self.priorities: dict[str, int] = {
            **dict.fromkeys(config.get(CONF_PRIORITY_LOW, []), 0),
            **dict.fromkeys(config.get(CONF_PRIORITY_HIGH, []), 2),
        }
        #: Tier per tag of a session (normalised: ids and pseudonyms, any letter case).
        self.tag_tiers: dict[str, int] = {
            normalised(tag): tier
            for key, tier in ((CONF_PRIORITY_TAGS_LOW, 0), (CONF_PRIORITY_TAGS_HIGH, 2))
            for tag in config.get(key) or []
            if tag.strip()
        }
        #: Boosted devices and until when (seconds of ``_now``).
        self.boosts: dict[str, float] = {}
        self.stale_s = float(config.get(CONF_STALE_S, DEFAULT_STALE_S))
        self.write_budget = int(config.get(CONF_WRITE_BUDGET, DEFAULT_WRITE_BUDGET))
        self.period = timedelta(
            seconds=float(config.get(CONF_CONTROL_PERIOD, DEFAULT_CONTROL_PERIOD_S))
        )
        failsafe = config.get(CONF_FAILSAFE_TOTAL)
        self.allocator = Allocator(
            Settings(
                limit_w=0.0,
                failsafe_total_w=None if failsafe is None else self.to_w(float(failsafe)),
            )
        )
        self.active = True
        self.measured_w: float | None = None
        self.decision: Decision | None = None
        self.write_refused = False
        #: Per device id, the allocation in W and the limit last written (device unit).
        self.allocations: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self._written: dict[str, float] = {}
        #: (monotonic time, device id, whether an increase) of every limit written.
        self._writes: deque[tuple[float, str, bool]] = deque()
        self._listeners: list[CALLBACK_TYPE] = []
        self._lock = asyncio.Lock()
        self._last_step = -math.inf

    def to_w(self, value: float, unit: LimitUnit | None = None) -> float:
        """A limit in ``unit`` (default: the site's) in W."""
        if (unit or self.limit_unit) is LimitUnit.KILOWATT:
            return value * 1000
        return value * PHASE_VOLTAGE * self.phases

    def from_w(self, watts: float, unit: LimitUnit) -> float:
        """W as a limit in ``unit`` (A per phase with the site's phases)."""
        if unit is LimitUnit.KILOWATT:
            return watts / 1000
        return watts / (PHASE_VOLTAGE * self.phases)

    # --- what the entities read ----------------------------------------------------------

    @property
    def not_following(self) -> list[str]:
        """Names of the managed devices that draw more than their allocation."""
        keys = () if self.decision is None else self.decision.not_following
        return sorted(self.names[key] for key in keys if key in self.names)

    @property
    def degraded(self) -> bool:
        """Measurement lost, a device not following, or a write refused."""
        if self.decision is None:
            return False
        return self.decision.failsafe or bool(self.decision.not_following) or self.write_refused

    def writes_last_hour(self) -> int:
        """Limits written in the last hour, decreases included."""
        self._forget_old_writes()
        return len(self._writes)

    def boosted_until(self) -> dict[str, datetime]:
        """Names of the boosted devices and when their boost ends."""
        return {
            self.names.get(key, key): dt_util.utc_from_timestamp(until)
            for key, until in self.boosts.items()
        }

    async def async_boost(self, device_id: str, duration: timedelta) -> None:
        """Give ``device_id`` up to its maximum for ``duration`` (zero ends a boost)."""
        if duration:
            self.boosts[device_id] = _now() + duration.total_seconds()
        else:
            self.boosts.pop(device_id, None)
        await self.async_step()

    def restore_boosts(self, boosts: dict[str, float]) -> None:
        """Take the boosts stored before a restart that have not ended, of managed devices."""
        now = _now()
        self.boosts.update(
            {
                key: until
                for key, until in boosts.items()
                if key in self.device_ids and now < until <= now + MAX_BOOST_MIN * 60
            }
        )

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after every step; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- the loop --------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Step on measurement changes (at most every few seconds) and every period."""
        entry = self.entry
        entry.async_on_unload(
            async_track_state_change_event(
                self.hass, self.phase_currents or [self.measurement], self._measurement_changed
            )
        )
        entry.async_on_unload(async_track_time_interval(self.hass, self._tick, self.period))
        self._schedule()

    @callback
    def _measurement_changed(self, event: Event[EventStateChangedData]) -> None:
        if _now() - self._last_step >= MIN_STEP_INTERVAL_S:
            self._schedule()

    @callback
    def _tick(self, _: datetime) -> None:
        self._schedule()

    @callback
    def _schedule(self) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_step(), f"evse_bridge site budget {self.entry.entry_id}"
        )

    def _reading(self, entity_id: str) -> tuple[float, str | None] | None:
        """A sensor's fresh value and unit; None if it is missing, unavailable or stale."""
        state = self.hass.states.get(entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return None
        if (dt_util.utcnow() - state.last_reported).total_seconds() > self.stale_s:
            return None
        try:
            value = float(state.state)
        except ValueError:
            return None
        return value, state.attributes.get("unit_of_measurement")

    def _measured_w(self) -> float | None:
        if self.phase_currents:
            return self._phase_currents_w()
        reading = self._reading(self.measurement)
        if reading is None:
            return None
        value, unit = reading
        return value * 1000 if unit == UnitOfPower.KILO_WATT else value

    def _phase_currents_w(self) -> float | None:
        """The most loaded phase's current, as power on every phase.

        The managed chargers draw on all phases alike: a limit per phase binds on the most
        loaded one first.
        """
        readings = [self._reading(entity_id) for entity_id in self.phase_currents]
        if any(reading is None for reading in readings):
            return None
        currents = [
            value / 1000 if unit == "mA" else value for value, unit in filter(None, readings)
        ]
        return max(currents) * PHASE_VOLTAGE * self.phases

    def _managed(self) -> Iterator[Managed]:
        for device_id in self.device_ids:
            device_entry = get_device(self.hass, device_id)
            if device_entry is None:
                continue
            for entry_id in config_entry_ids(device_entry):
                entry = self.hass.config_entries.async_get_entry(entry_id)
                if entry is None or entry.state is not ConfigEntryState.LOADED:
                    continue
                runtime = entry.runtime_data
                if not isinstance(runtime, EvseBridgeRuntimeData):
                    continue
                found = _find(runtime, device_entry.identifiers)
                if found is None:
                    continue
                device, description, control = found
                name = device_entry.name_by_user or device_entry.name or device.identity.name
                yield Managed(
                    device_id,
                    name,
                    runtime,
                    device,
                    description,
                    control,
                    runtime.coordinator.last_update_success,
                )

    def _in_groups(self, managed: dict[str, Managed]) -> dict[str, Managed]:
        """The managed devices, those that share a group limit as that one group.

        A group (``LimitControl.members_fn``) stands in for its members where the budget
        manages it, or every one of its members (the member itself or a device below
        it): its limit is written once, theirs not at all. Where only some members are
        managed, they keep their own limits and the group's stays as it is. The largest
        group goes first, so a group holding subgroups wins over them.
        """
        result = dict(managed)
        taken: set[str] = set()
        for runtime, device, description, members in sorted(
            _groups(managed.values()), key=lambda found: -len(found[3])
        ):
            assert description.limit_control is not None
            covered = [
                item
                for item in managed.values()
                if item.runtime is runtime
                and item.device_id not in taken
                and members & _stands_for(item)
            ]
            registry_entry = entry_devices(
                self.hass, runtime.coordinator.config_entry.entry_id
            ).get(runtime.site.registry_identifier(device.key))
            if registry_entry is None:
                continue
            standing = managed.get(registry_entry.id)
            whole = members <= {key for item in covered for key in _stands_for(item)}
            if standing is None and not whole:
                continue
            taken.update(item.device_id for item in covered)
            for item in covered:
                result.pop(item.device_id, None)
            result[registry_entry.id] = Managed(
                registry_entry.id,
                registry_entry.name_by_user or registry_entry.name or device.identity.name,
                runtime,
                device,
                description,
                description.limit_control,
                runtime.coordinator.last_update_success,
                tuple(covered),
            )
        return result

    def _may_increase(self, device_id: str, device_cap: int | None) -> bool:
        """Within the budget's increases per hour, and the writes the device stands."""
        self._forget_old_writes()
        writes = [up for _, key, up in self._writes if key == device_id]
        if device_cap is not None and len(writes) >= device_cap:
            return False
        return sum(writes) < self.write_budget

    def _forget_old_writes(self) -> None:
        now = _now()
        while self._writes and now - self._writes[0][0] > HOUR:
            self._writes.popleft()

    async def async_step(self) -> None:
        """One control step: measure, allocate, write what changed."""
        async with self._lock:
            self._last_step = _now()
            if self.active:
                await self._async_step()
            for listener in list(self._listeners):
                listener()

    async def _async_step(self) -> None:
        self.allocator.settings = replace(
            self.allocator.settings,
            limit_w=self.to_w(self.limit),
            margin_w=self.to_w(self.margin),
            strategy=self.strategy,
        )
        now = _now()
        self.boosts = {key: until for key, until in self.boosts.items() if until > now}
        managed = self._in_groups({item.device_id: item for item in self._managed()})
        self.names = {key: item.name for key, item in managed.items()}
        consumers = []
        trackers = self._trackers() if self.tag_tiers else []
        for key, item in managed.items():
            data, control = item.device.data, item.control
            unit = control.unit_fn(data)
            power = control.power_fn(data) if item.online else None
            consumers.append(
                Consumer(
                    key=key,
                    minimum_w=self.to_w(control.minimum_fn(data), unit),
                    maximum_w=self.to_w(control.maximum_fn(data), unit),
                    measured_w=(power or 0.0) if item.online else None,
                    may_increase=self._may_increase(key, control.writes_per_hour),
                    pausable=control.pausable_fn(data),
                    priority=max(
                        self._priority(member, trackers) for member in item.members or (item,)
                    ),
                    boosted=key in self.boosts
                    or any(member.device_id in self.boosts for member in item.members),
                    shares=sum(map(_shares, item.members)) if item.members else _shares(item),
                )
            )
        self.measured_w = self._measured_w()
        self.decision = self.allocator.step(_now(), self.measured_w, consumers)
        self.allocations = dict(self.decision.allocations)
        refused = False
        for key, item in managed.items():
            if item.online and not await self._async_write(item, self.allocations[key]):
                refused = True
        self.write_refused = refused

    def _priority(self, item: Managed, trackers: list[SessionTracker]) -> int:
        """The tier of the tag groups of the sessions on it, else the charger's own tier.

        A card is known by its id and by the pseudonym of every entry in ``trackers``: each
        entry shows its own, and a card seen at one controller charges at another.
        """
        if not self.tag_tiers:
            return self.priorities.get(item.device_id, 1)
        tiers = [
            tier
            for tag in _session_tags(item.runtime, item.device)
            for name in (tag, *(tracker.pseudonym(tag) for tracker in trackers))
            if (tier := self.tag_tiers.get(normalised(name))) is not None
        ]
        return max(tiers, default=self.priorities.get(item.device_id, 1))

    def _trackers(self) -> list[SessionTracker]:
        """The session trackers of the loaded charger entries, whose pseudonyms name cards."""
        return [
            entry.runtime_data.sessions
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
            and isinstance(entry.runtime_data, EvseBridgeRuntimeData)
        ]

    async def _async_write(self, item: Managed, allocation_w: float) -> bool:
        """Write the device's limit if it changed; False if the device refused it."""
        data, control, description = item.device.data, item.control, item.description
        unit = control.unit_fn(data)
        # Rounded down to the device's step: a limit is never written above the allocation.
        step = control.step_fn(data)
        limit = round(math.floor(self.from_w(allocation_w, unit) / step + 1e-9) * step, 1)
        previous = self._written.get(item.device_id)
        if previous == limit:
            return True
        # Not known what is in force before the first write: sent at once like a decrease.
        urgent = previous is None or limit < previous
        value = control.setting_fn(data, limit)
        site, device, set_fn = item.runtime.site, item.device, description.set_fn

        async def send() -> None:
            await set_fn(site, device, value)

        try:
            await item.runtime.writes.async_write(
                f"{device.key}/{description.key}", value, send, urgent=urgent
            )
        except Exception as err:  # a refused write degrades the budget, the loop goes on
            LOGGER.warning("Site budget: %s refused limit %s: %s", item.name, limit, err)
            return False
        self._written[item.device_id] = limit
        self._writes.append((_now(), item.device_id, not urgent))
        await item.runtime.coordinator.async_request_refresh()
        return True


def _find(
    runtime: EvseBridgeRuntimeData, identifiers: set[tuple[str, str]]
) -> tuple[DeviceData, EvseBridgeNumberEntityDescription, LimitControl] | None:
    """The device of ``runtime`` with one of ``identifiers``, and the limit it declares."""
    for key, device in runtime.coordinator.data.devices.items():
        if runtime.site.registry_identifier(key) not in identifiers:
            continue
        for description in runtime.vendor.descriptions:
            if (
                isinstance(description, EvseBridgeNumberEntityDescription)
                and description.limit_control is not None
                and description.device_kind == device.kind
                and description.exists_fn(device.data)
            ):
                return device, description, description.limit_control
    return None


def _groups(
    managed: Iterable[Managed],
) -> Iterator[
    tuple[EvseBridgeRuntimeData, DeviceData, EvseBridgeNumberEntityDescription, frozenset[str]]
]:
    """The devices with a group limit that names its members, in the managed devices' entries.

    Each with its limit's description and its members' device keys (none: left out).
    """
    seen: set[int] = set()
    for item in managed:
        runtime = item.runtime
        if id(runtime) in seen:
            continue
        seen.add(id(runtime))
        shared = [
            (description, control.members_fn)
            for description in runtime.vendor.descriptions
            if isinstance(description, EvseBridgeNumberEntityDescription)
            and (control := description.limit_control) is not None
            and control.members_fn is not None
        ]
        if not shared:
            continue
        for device in runtime.coordinator.data.devices.values():
            for description, members_fn in shared:
                if (
                    description.device_kind == device.kind
                    and description.exists_fn(device.data)
                    and (members := members_fn(device.data))
                ):
                    yield runtime, device, description, members


def _stands_for(item: Managed) -> set[str]:
    """The device keys a managed device stands for: its own and its parent's (a station)."""
    via_key = item.device.identity.via_key
    return {item.device.key} if via_key is None else {item.device.key, via_key}


def _session_tags(runtime: EvseBridgeRuntimeData, device: DeviceData) -> Iterator[str]:
    """The tags of the sessions running on ``device`` and on the devices linked to it."""
    sessions = [d for d in runtime.vendor.descriptions if isinstance(d, SessionEventDescription)]
    for other in runtime.coordinator.data.devices.values():
        if device.key not in (other.key, other.identity.via_key):
            continue
        for description in sessions:
            if description.device_kind == other.kind and description.exists_fn(other.data):
                record = description.record_fn(other.data)
                if isinstance(record, SessionRecord) and record.tag and not record.ended:
                    yield record.tag


def _now() -> float:
    """Seconds of Home Assistant's clock (tests move it)."""
    return dt_util.utcnow().timestamp()
