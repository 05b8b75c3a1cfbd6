"""Share a building's headroom among chargers: pure, in watts, no Home Assistant.

Each control step: headroom = limit - margin - (measured - managed charging power).
It is split by the strategy, each share clamped to the device's minimum and maximum
(a device that cannot get its minimum gets 0: paused, never starved below it).
Decreases take effect at once; an increase waits ``increase_delay_s`` (and is dropped
while the device's write budget is spent); changes below ``hysteresis_w`` are not made.
A device drawing more than its allocation is flagged and its draw is taken from the
others; an offline device keeps its last allocation counted. An idle device (no car
drawing) keeps its minimum so that a car plugged in starts at once, but all idle devices
together keep only one such minimum from the others. Without a fresh
measurement every device gets the failsafe allocation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import math


class Strategy(StrEnum):
    """How the headroom is split."""

    EQUAL = "equal"
    PRIORITY = "priority"
    MINIMUM_FIRST = "minimum_first"


@dataclass(frozen=True, slots=True, kw_only=True)
class Consumer:
    """One managed device as the allocator sees it."""

    key: str
    minimum_w: float
    maximum_w: float
    #: What it draws now; None when it is offline (its last allocation stays counted).
    measured_w: float | None
    #: Higher first in the priority strategy; the order given breaks ties.
    priority: int = 0
    #: False once its write budget for the hour is spent: it may only decrease.
    may_increase: bool = True
    #: False where the device takes no limit below its minimum: its minimum is always
    #: reserved, before any other device's.
    pausable: bool = True
    #: Boosted (for a while, by the operator): it gets up to its maximum before the others
    #: share what is left.
    boosted: bool = False
    #: The sessions it serves (an EVCE zone, a power group): its share of what is split
    #: equally is this many connectors' shares.
    shares: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What the operator configured, in watts."""

    limit_w: float
    margin_w: float = 0.0
    strategy: Strategy = Strategy.EQUAL
    #: Per device without a measurement; None: each device's minimum.
    failsafe_total_w: float | None = None
    hysteresis_w: float = 300.0
    increase_delay_s: float = 30.0
    #: How far above its allocation a device may draw before it counts as not following.
    tolerance_w: float = 500.0
    #: Below this a device with an allocation of at least its minimum is idle (no car):
    #: it keeps its minimum, so that a car plugged in can start, and no more.
    idle_w: float = 100.0
    #: A device has this long after a decrease to follow it (a controller ramps down, a
    #: hub is polled every 30 s) before drawing more counts as not following.
    follow_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Decision:
    """One step's outcome."""

    allocations: Mapping[str, float]
    #: What the chargers could draw in total (None: no measurement, failsafe).
    available_w: float | None
    not_following: frozenset[str] = frozenset()

    @property
    def failsafe(self) -> bool:
        """Whether the failsafe allocation is in force."""
        return self.available_w is None

    @property
    def total_w(self) -> float:
        """The allocations' sum."""
        return sum(self.allocations.values())


def _level(
    available: float, bounds: list[tuple[float, float]], weights: list[float] | None = None
) -> list[float]:
    """Amounts within ``bounds`` (low, high) at one common level, summing to ``available``.

    With ``weights``, each amount is its weight times the level (within its bounds).
    """
    if not bounds:
        return []
    weights = weights or [1.0] * len(bounds)
    low_total = sum(low for low, _ in bounds)
    if available <= low_total:
        return [low for low, _ in bounds]
    lo, hi = 0.0, max(high / weight for (_, high), weight in zip(bounds, weights, strict=True))
    for _ in range(60):
        mid = (lo + hi) / 2
        total = sum(
            min(max(mid * weight, low), high)
            for (low, high), weight in zip(bounds, weights, strict=True)
        )
        if total > available:
            hi = mid
        else:
            lo = mid
    return [
        min(max(lo * weight, low), high)
        for (low, high), weight in zip(bounds, weights, strict=True)
    ]


def distribute(
    available_w: float,
    demands: list[tuple[str, float, float, int]],
    strategy: Strategy,
    *,
    unpausable: frozenset[str] = frozenset(),
    boosted: frozenset[str] = frozenset(),
    idle: frozenset[str] = frozenset(),
    shares: Mapping[str, int] | None = None,
) -> dict[str, float]:
    """Split ``available_w`` among (key, minimum, cap, priority) by ``strategy``.

    Devices are admitted while their minimums fit: ``unpausable`` ones always, first,
    then ``boosted`` ones, then the others (in priority order for ``PRIORITY``, else as
    given); the others get 0. Boosted devices get up to their cap before the rest is split.
    ``idle`` devices (no car drawing) get their minimum, so that a car plugged in starts,
    but they are admitted at the cost of one reserve, the largest of their minimums: cars
    are plugged in one at a time, and the next step makes room for the next one.
    What is shared equally is shared by ``shares`` (the sessions behind a device; 1 where
    not given), so a zone with three cars gets three connectors' shares.
    """
    shares = shares or {}

    def weights(items: list[tuple[str, float, float, int]]) -> list[float]:
        return [float(max(1, shares.get(item[0], 1))) for item in items]

    order = demands
    if strategy is Strategy.PRIORITY:
        order = sorted(demands, key=lambda item: -item[3])
    order = sorted(order, key=lambda item: (item[0] not in unpausable, item[0] not in boosted))
    admitted: list[tuple[str, float, float, int]] = []
    reserved = 0.0
    #: The largest minimum of the idle devices admitted: kept once for all of them.
    reserve = 0.0
    result = {key: 0.0 for key, *_ in demands}
    for item in order:
        key, minimum = item[0], item[1]
        cost = max(0.0, minimum - reserve) if key in idle else minimum
        if key in unpausable or reserved + cost <= available_w:
            reserved += cost
            if key in idle:
                reserve = max(reserve, minimum)
                result[key] = minimum
            else:
                admitted.append(item)
    available_w -= reserve
    reserved -= reserve
    first = [item for item in admitted if item[0] in boosted]
    extras = _level(
        max(0.0, available_w - reserved),
        [(0.0, cap - minimum) for _, minimum, cap, _ in first],
        weights(first),
    )
    for (key, minimum, _, _), extra in zip(first, extras, strict=True):
        result[key] = minimum + extra
    available_w -= sum(result[item[0]] for item in first)
    admitted = [item for item in admitted if item[0] not in boosted]
    if strategy is Strategy.EQUAL:
        amounts = _level(
            available_w, [(minimum, cap) for _, minimum, cap, _ in admitted], weights(admitted)
        )
        result.update({item[0]: amount for item, amount in zip(admitted, amounts, strict=True)})
        return result
    # Minimums first; the remainder equally (or tier by tier, highest first).
    remainder = available_w - sum(item[1] for item in admitted)
    tiers: list[list[tuple[str, float, float, int]]]
    if strategy is Strategy.PRIORITY:
        tiers = []
        for item in admitted:
            if tiers and tiers[-1][0][3] == item[3]:
                tiers[-1].append(item)
            else:
                tiers.append([item])
    else:
        tiers = [admitted]
    for tier in tiers:
        extras = _level(
            max(0.0, remainder),
            [(0.0, cap - minimum) for _, minimum, cap, _ in tier],
            weights(tier),
        )
        for (key, minimum, _, _), extra in zip(tier, extras, strict=True):
            result[key] = minimum + extra
        remainder = max(0.0, remainder - sum(extras))
    return result


@dataclass(slots=True)
class Allocator:
    """The allocations in force and the increases waiting, across steps."""

    settings: Settings
    allocations: dict[str, float] = field(default_factory=dict)
    _increase_since: dict[str, float] = field(default_factory=dict)
    _decreased_at: dict[str, float] = field(default_factory=dict)

    def step(self, now: float, measured_w: float | None, consumers: Iterable[Consumer]) -> Decision:
        """The allocations for this step (``now`` in seconds, any monotonic origin)."""
        devices = list(consumers)
        if measured_w is None:
            return self._failsafe(now, devices)
        settings = self.settings
        online = [device for device in devices if device.measured_w is not None]
        offline_w = sum(
            self.allocations.get(d.key, d.maximum_w) for d in devices if d.measured_w is None
        )
        managed_w = sum(device.measured_w or 0.0 for device in online)
        uncontrolled_w = max(0.0, measured_w - managed_w - offline_w)
        available_w = settings.limit_w - settings.margin_w - uncontrolled_w
        distributable = available_w - offline_w
        suspects: set[str] = set()
        demands: list[tuple[str, float, float, int]] = []
        idle_keys: set[str] = set()
        for device in online:
            drawn = device.measured_w or 0.0
            previous = self.allocations.get(device.key)
            following = now - self._decreased_at.get(device.key, -math.inf) < settings.follow_s
            if previous is not None and drawn > previous + settings.tolerance_w and not following:
                suspects.add(device.key)
            idle = previous is not None and previous >= device.minimum_w and drawn < settings.idle_w
            cap = device.minimum_w if idle else device.maximum_w
            if previous is not None and not device.may_increase:
                cap = min(cap, previous)
            if idle:
                idle_keys.add(device.key)
            demands.append((device.key, device.minimum_w, cap, device.priority))
        targets = self._distribute(distributable, demands, online, idle_keys)
        # Drawing more than it was told is not following only if this step's share does not
        # cover it either; then its draw is taken from the others' shares.
        by_key = {device.key: device for device in online}
        not_following = {
            key
            for key in suspects
            if targets[key] + settings.tolerance_w < (by_key[key].measured_w or 0.0)
        }
        if not_following:
            distributable -= sum(by_key[key].measured_w or 0.0 for key in not_following)
            demands = [item for item in demands if item[0] not in not_following]
            targets = self._distribute(distributable, demands, online, idle_keys)
        allocations = {d.key: self.allocations.get(d.key, d.maximum_w) for d in devices}
        for key in not_following:
            # It keeps being told its allocation; its excess is already taken from the others.
            allocations[key] = self.allocations[key]
        for key, target in targets.items():
            allocations[key] = self._apply(now, by_key[key], target)
        self.allocations = allocations
        return Decision(allocations, available_w, frozenset(not_following))

    def _distribute(
        self,
        distributable: float,
        demands: list[tuple[str, float, float, int]],
        online: list[Consumer],
        idle: set[str],
    ) -> dict[str, float]:
        return distribute(
            max(0.0, distributable),
            demands,
            self.settings.strategy,
            unpausable=frozenset(d.key for d in online if not d.pausable),
            boosted=frozenset(d.key for d in online if d.boosted),
            idle=frozenset(idle),
            shares={d.key: d.shares for d in online},
        )

    def _apply(self, now: float, device: Consumer, target: float) -> float:
        settings = self.settings
        previous = self.allocations.get(device.key)
        if previous is None or target < previous:
            self._increase_since.pop(device.key, None)
            self._decreased_at[device.key] = now
            return target
        if target - previous < settings.hysteresis_w or not device.may_increase:
            self._increase_since.pop(device.key, None)
            return previous
        since = self._increase_since.setdefault(device.key, now)
        if now - since < settings.increase_delay_s:
            return previous
        del self._increase_since[device.key]
        return target

    def _failsafe(self, now: float, devices: list[Consumer]) -> Decision:
        total = self.settings.failsafe_total_w
        if total is None:
            allocations = {d.key: min(d.minimum_w, d.maximum_w) for d in devices}
        else:
            demands = [(d.key, d.minimum_w, d.maximum_w, d.priority) for d in devices]
            allocations = distribute(
                total,
                demands,
                Strategy.EQUAL,
                unpausable=frozenset(d.key for d in devices if not d.pausable),
            )
        self._increase_since.clear()
        for key, allocation in allocations.items():
            if allocation < self.allocations.get(key, math.inf):
                self._decreased_at[key] = now
        self.allocations = dict(allocations)
        return Decision(allocations, None)
