"""A simulated day of a mixed site under the site power budget's allocator.

Simulated time, no Home Assistant: the allocator the budget entry runs (``budget.allocator``)
steps every control period; each charger follows its written limit one tick later (the
simulator's charging model: a car draws at most its limit and its own maximum until its
energy is charged). The writes are counted as the budget entry sends them: a limit rounded
down to the device's step, written when it changes, increases within the write budget.

The site: 8 ChargEye AC connectors (6-32 A), 2 EVCE zones of 6 stations each (one limit per
zone; its minimum 6 A, and its part of an equal split one share, for each car plugged in), 2
Bender v1 controllers (6-32 A, whole amperes, not pausable, 4 writes an hour), 2 Legacy
controllers as uncontrolled load, a building base load with steps and a lunchtime peak,
arrivals and departures, a 2-minute measurement dropout at 15:00 and one connector that ignores
its limit from 10:00 to 10:10. Compared with first-come-first-served (what a circuit without
load balancing does) and with no management. Figures are reported, never asserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random

from custom_components.evse_bridge.budget.allocator import Allocator, Consumer, Settings

TICK_S = 5
PERIOD_S = 10
DAY_S = 24 * 3600
VOLTAGE = 230.0
PHASE_W = VOLTAGE * 3
LIMIT_W = 200_000.0
WRITE_BUDGET = 12
DROPOUT = (15 * 3600, 15 * 3600 + 120)
IGNORES = ("chargeye_3", 10 * 3600, 10 * 3600 + 600)
#: The failsafe total: what all managed chargers together get without a measurement.
FAILSAFE_W = 80_000.0


def base_load_w(t: float) -> float:
    """The building: 40 kW at night, 110 kW in working hours, a lunchtime peak of 150 kW."""
    hour = t / 3600
    load = 40_000.0
    if 7 <= hour < 19:
        load += 70_000.0
    if 11.5 <= hour < 13:
        load += 40_000.0
    return load


@dataclass
class Car:
    """A car plugged in from ``arrival`` to ``departure`` that wants ``energy_wh``."""

    arrival: float
    departure: float
    energy_wh: float
    charged_wh: float = 0.0


@dataclass
class Charger:
    """One managed device (a zone: several cars behind one limit) or an uncontrolled one."""

    key: str
    minimum_w: float
    maximum_w: float
    car_max_w: float
    step_a: float = 0.1
    pausable: bool = True
    writes_per_hour: int | None = None
    managed: bool = True
    #: A zone: ``minimum_w`` for each car plugged in (the hub shares the zone's limit among
    #: its sessions), none without a car.
    minimum_per_car: bool = False
    cars: list[Car] = field(default_factory=list)
    limit_w: float = math.inf
    written_a: float | None = None
    writes: list[tuple[float, bool]] = field(default_factory=list)
    draw_w: float = 0.0
    total_writes: int = 0
    total_decreases: int = 0
    #: The most limits written within one hour.
    busiest_hour: int = 0

    def present(self, t: float) -> list[Car]:
        """The cars plugged in and still charging."""
        return [c for c in self.cars if c.arrival <= t < c.departure and c.charged_wh < c.energy_wh]

    def minimum_at(self, t: float) -> float:
        """What the budget reserves for it now (a zone's minimum follows its cars)."""
        if not self.minimum_per_car:
            return self.minimum_w
        return min(self.maximum_w, self.minimum_w * len(self.present(t)))

    def demand_w(self, t: float) -> float:
        """What its cars would draw without a limit."""
        return min(self.maximum_w, self.car_max_w * len(self.present(t)))


def site(seed: int = 7) -> list[Charger]:
    """The mixed site, with a day of arrivals (the same for every strategy)."""
    rng = random.Random(seed)
    chargers = [Charger(f"chargeye_{i}", 6 * PHASE_W, 32 * PHASE_W, 22_000.0) for i in range(8)]
    chargers += [
        Charger(f"zone_{i}", 6 * PHASE_W, 6 * 11_000.0, 11_000.0, minimum_per_car=True)
        for i in range(2)
    ]
    chargers += [
        Charger(
            f"v1_{i}",
            6 * PHASE_W,
            32 * PHASE_W,
            11_000.0,
            step_a=1,
            pausable=False,
            writes_per_hour=4,
        )
        for i in range(2)
    ]
    chargers += [Charger(f"legacy_{i}", 0, 11_000.0, 11_000.0, managed=False) for i in range(2)]
    for charger in chargers:
        slots = 6 if charger.key.startswith("zone") else 1
        for _ in range(slots):
            t = rng.uniform(6, 9) * 3600
            while t < 21 * 3600:
                stay = rng.uniform(1.5, 8) * 3600
                charger.cars.append(Car(t, t + stay, rng.uniform(10_000, 45_000)))
                t += stay + rng.uniform(0.2, 3) * 3600
    return chargers


@dataclass
class Result:
    """What one strategy did over the day."""

    name: str
    charged_wh: float = 0.0
    above_wh: float = 0.0
    longest_above_s: float = 0.0
    jain: list[float] = field(default_factory=list)
    writes_per_hour: float = 0.0
    decreases_per_hour: float = 0.0
    max_writes_per_hour: int = 0
    failsafe_s: float | None = None
    peak_w: float = 0.0


def _jain(values: list[float]) -> float:
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))


def _may_increase(charger: Charger, t: float) -> bool:
    """As the budget entry decides it: within the budget and what the device stands."""
    writes = [up for at, up in charger.writes if t - at <= 3600]
    if charger.writes_per_hour is not None and len(writes) >= charger.writes_per_hour:
        return False
    return sum(writes) < WRITE_BUDGET


def _write(charger: Charger, t: float, allocation_w: float) -> None:
    """As the budget entry writes: rounded down to the step, increases within budget."""
    limit_a = math.floor(allocation_w / PHASE_W / charger.step_a + 1e-9) * charger.step_a
    if charger.written_a == limit_a:
        return
    increase = charger.written_a is not None and limit_a > charger.written_a
    charger.writes = [(at, up) for at, up in charger.writes if t - at <= 3600]
    if increase:
        ups = sum(1 for _, up in charger.writes if up)
        if ups >= WRITE_BUDGET or (
            charger.writes_per_hour is not None and len(charger.writes) >= charger.writes_per_hour
        ):
            return
    if charger.written_a is not None and not increase:
        charger.total_decreases += 1
    charger.written_a = limit_a
    charger.writes.append((t, increase))
    charger.total_writes += 1
    charger.busiest_hour = max(charger.busiest_hour, len(charger.writes))
    charger.limit_w = limit_a * PHASE_W


def run(name: str) -> Result:
    """One simulated day: ``budget``, ``fcfs``, ``none`` or ``ideal``."""
    chargers = site()
    managed = [c for c in chargers if c.managed]
    result = Result(name)
    allocator = Allocator(Settings(limit_w=LIMIT_W, failsafe_total_w=FAILSAFE_W))
    above_since: float | None = None
    lost_at: float | None = None
    fcfs_order: list[str] = []
    for tick in range(DAY_S // TICK_S):
        t = tick * TICK_S
        # The chargers draw what their limit (set one tick ago) and their cars allow.
        for charger in chargers:
            demand = charger.demand_w(t)
            ignoring = charger.key == IGNORES[0] and IGNORES[1] <= t < IGNORES[2]
            charger.draw_w = (
                demand if ignoring or not charger.managed else min(demand, charger.limit_w)
            )
            cars = charger.present(t)
            for car in cars:
                car.charged_wh += charger.draw_w / len(cars) * TICK_S / 3600
            result.charged_wh += charger.draw_w * TICK_S / 3600 if charger.managed else 0.0
        grid_w = base_load_w(t) + sum(c.draw_w for c in chargers)
        result.peak_w = max(result.peak_w, grid_w)
        if grid_w > LIMIT_W:
            result.above_wh += (grid_w - LIMIT_W) * TICK_S / 3600
            above_since = t if above_since is None else above_since
            result.longest_above_s = max(result.longest_above_s, t - above_since + TICK_S)
        else:
            above_since = None
        active = [
            c.draw_w for c in managed if c.key.startswith(("chargeye", "v1")) and c.present(t)
        ]
        if name in ("budget", "fcfs") and len(active) >= 2 and sum(active) > 0:
            result.jain.append(_jain(active))
        if t % PERIOD_S:
            continue
        measured = None if DROPOUT[0] <= t < DROPOUT[1] else grid_w
        if name == "none":
            continue
        if name == "ideal":
            # Instant, exact: the headroom split among demands, no minimums, no delay.
            headroom = LIMIT_W - base_load_w(t) - sum(c.draw_w for c in chargers if not c.managed)
            demands = {c.key: c.demand_w(t) for c in managed}
            level = _water_level(headroom, list(demands.values()))
            for charger in managed:
                charger.limit_w = min(demands[charger.key], level)
            continue
        if name == "fcfs":
            present = [c for c in managed if c.present(t)]
            fcfs_order = [k for k in fcfs_order if any(c.key == k for c in present)]
            fcfs_order += [c.key for c in present if c.key not in fcfs_order]
            headroom = LIMIT_W - (grid_w - sum(c.draw_w for c in managed))
            by_key = {c.key: c for c in managed}
            for key in fcfs_order:
                charger = by_key[key]
                give = max(0.0, min(charger.maximum_w, headroom))
                give = give if give >= charger.minimum_at(t) else 0.0
                _write(charger, t, give)
                headroom -= charger.limit_w
            continue
        decision = allocator.step(
            t,
            measured,
            [
                Consumer(
                    key=c.key,
                    minimum_w=c.minimum_at(t),
                    shares=len(c.present(t)) if c.minimum_per_car else 1,
                    maximum_w=c.maximum_w,
                    measured_w=c.draw_w,
                    pausable=c.pausable,
                    may_increase=_may_increase(c, t),
                )
                for c in managed
            ],
        )
        if measured is None and lost_at is None:
            lost_at = t
        for charger in managed:
            _write(charger, t, decision.allocations[charger.key])
        if lost_at is not None and result.failsafe_s is None and decision.failsafe:
            result.failsafe_s = t - lost_at
    hours = DAY_S / 3600
    if name in ("budget", "fcfs"):
        result.writes_per_hour = sum(c.total_writes for c in managed) / len(managed) / hours
        result.decreases_per_hour = sum(c.total_decreases for c in managed) / len(managed) / hours
        result.max_writes_per_hour = max(c.busiest_hour for c in managed)
    return result


def _water_level(available: float, demands: list[float]) -> float:
    """The common level at which ``demands`` capped by it sum to ``available``."""
    if sum(demands) <= available:
        return math.inf
    lo, hi = 0.0, max(demands)
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(min(d, mid) for d in demands) > available:
            hi = mid
        else:
            lo = mid
    return lo


def test_site_budget_day() -> None:
    """Print the table of the README's performance section."""
    results = {name: run(name) for name in ("budget", "fcfs", "none", "ideal")}
    ideal = results["ideal"].charged_wh
    print("\n| | site power budget | first come, first served | no management |")
    print("|---|---|---|---|")
    rows = {
        "energy charged (kWh)": lambda r: f"{r.charged_wh / 1000:.0f}",
        "utilisation (vs. a perfect allocator)": lambda r: f"{r.charged_wh / ideal:.1%}",
        "energy above the limit (% of charged)": lambda r: f"{r.above_wh / r.charged_wh:.3%}",
        "highest grid power (kW, limit 200)": lambda r: f"{r.peak_w / 1000:.0f}",
        "longest time above the limit (s)": lambda r: f"{r.longest_above_s:.0f}",
        "fairness, Jain's index (mean)": lambda r: (
            f"{sum(r.jain) / len(r.jain):.3f}" if r.jain else "-"
        ),
        "limit writes per charger per hour (mean)": lambda r: f"{r.writes_per_hour:.2f}",
        "of them decreases": lambda r: f"{r.decreases_per_hour:.2f}",
        "most writes of one charger in one hour": lambda r: f"{r.max_writes_per_hour}",
        "failsafe engaged after (s)": lambda r: "-"
        if r.failsafe_s is None
        else f"{r.failsafe_s:.0f}",
    }
    for label, value in rows.items():
        cells = [value(results[name]) for name in ("budget", "fcfs", "none")]
        print(f"| {label} | " + " | ".join(cells) + " |")
