"""The allocator alone: shares, clamps, hysteresis, ramps, failsafe, offline, not following."""

from __future__ import annotations

import pytest

from custom_components.evse_bridge.budget.allocator import (
    Allocator,
    Consumer,
    Settings,
    Strategy,
    distribute,
)


def consumer(key: str, measured: float | None = 0.0, **kwargs: float | int | bool) -> Consumer:
    """A charger allowed 4 140 W (6 A three-phase) to 22 000 W."""
    values: dict = {"minimum_w": 4140.0, "maximum_w": 22000.0, **kwargs}
    return Consumer(key=key, measured_w=measured, **values)


def test_equal_share_clamps_to_the_maximum_and_gives_the_rest_to_others() -> None:
    shares = distribute(
        30000, [("a", 4000, 10000, 0), ("b", 4000, 22000, 0), ("c", 4000, 22000, 0)], Strategy.EQUAL
    )
    assert shares["a"] == pytest.approx(10000)
    assert shares["b"] == pytest.approx(10000)
    assert shares["c"] == pytest.approx(10000)
    shares = distribute(40000, [("a", 4000, 10000, 0), ("b", 4000, 22000, 0)], Strategy.EQUAL)
    assert shares == pytest.approx({"a": 10000, "b": 22000})


def test_a_device_that_cannot_get_its_minimum_is_paused() -> None:
    shares = distribute(10000, [(k, 4140, 22000, 0) for k in "abc"], Strategy.EQUAL)
    assert shares["c"] == 0.0
    assert shares["a"] == pytest.approx(5000)
    assert sum(shares.values()) == pytest.approx(10000)


def test_priority_fills_the_higher_tier_first() -> None:
    shares = distribute(
        30000, [("visitor", 4000, 22000, 0), ("fleet", 4000, 22000, 1)], Strategy.PRIORITY
    )
    assert shares == pytest.approx({"fleet": 22000, "visitor": 8000})
    shares = distribute(
        6000, [("visitor", 4000, 22000, 0), ("fleet", 4000, 22000, 1)], Strategy.PRIORITY
    )
    assert shares == pytest.approx({"fleet": 6000, "visitor": 0})


def test_minimum_first_then_the_remainder_equally() -> None:
    shares = distribute(
        20000, [("small", 2000, 22000, 0), ("big", 8000, 22000, 0)], Strategy.MINIMUM_FIRST
    )
    assert shares == pytest.approx({"small": 7000, "big": 13000})
    # Equal share puts both at one level instead.
    assert distribute(
        20000, [("small", 2000, 22000, 0), ("big", 8000, 22000, 0)], Strategy.EQUAL
    ) == pytest.approx({"small": 10000, "big": 10000})


def test_a_device_behind_several_sessions_gets_a_share_per_session() -> None:
    """A zone with three cars beside a connector with one: each car gets a quarter."""
    demands = [("zone", 3 * 4140, 66000, 0), ("connector", 4140, 22000, 0)]
    for strategy in (Strategy.EQUAL, Strategy.MINIMUM_FIRST):
        shares = distribute(40000, demands, strategy, shares={"zone": 3})
        assert shares == pytest.approx({"zone": 30000, "connector": 10000})
    # Capped: the connector's car cannot take more than 22 kW, the zone gets the rest.
    shares = distribute(100000, demands, Strategy.EQUAL, shares={"zone": 3})
    assert shares == pytest.approx({"zone": 66000, "connector": 22000})
    # Through the allocator: the consumer says how many sessions it serves.
    allocator = Allocator(Settings(limit_w=40000, increase_delay_s=0))
    decision = allocator.step(
        0,
        0,
        [
            consumer("zone", 0.0, minimum_w=3 * 4140, maximum_w=66000, shares=3),
            consumer("connector"),
        ],
    )
    assert decision.allocations == pytest.approx({"zone": 30000, "connector": 10000})


def test_headroom_counts_only_what_is_not_managed() -> None:
    allocator = Allocator(Settings(limit_w=30000, margin_w=1000))
    # 20 kW measured, of which the two chargers draw 12 kW: 8 kW uncontrolled.
    decision = allocator.step(0, 20000, [consumer("a", 6000), consumer("b", 6000)])
    assert decision.available_w == pytest.approx(21000)
    assert decision.allocations == pytest.approx({"a": 10500, "b": 10500})
    assert not decision.failsafe


def test_decreases_at_once_increases_after_the_delay_and_hysteresis() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=30, hysteresis_w=300))
    allocator.step(0, 20000, [consumer("a", 10000), consumer("b", 10000)])
    assert allocator.allocations == pytest.approx({"a": 15000, "b": 15000})
    # A step in the building's load: down at once.
    decision = allocator.step(5, 30000, [consumer("a", 10000), consumer("b", 10000)])
    assert decision.allocations == pytest.approx({"a": 10000, "b": 10000})
    # The load is gone: the increase waits.
    assert allocator.step(10, 20000, [consumer("a", 10000), consumer("b", 10000)]).allocations == (
        pytest.approx({"a": 10000, "b": 10000})
    )
    assert allocator.step(39, 20000, [consumer("a", 10000), consumer("b", 10000)]).allocations == (
        pytest.approx({"a": 10000, "b": 10000})
    )
    assert allocator.step(41, 20000, [consumer("a", 10000), consumer("b", 10000)]).allocations == (
        pytest.approx({"a": 15000, "b": 15000})
    )
    # Less than the hysteresis: nothing changes.
    assert allocator.step(100, 19800, [consumer("a", 10000), consumer("b", 10000)]).allocations == (
        pytest.approx({"a": 15000, "b": 15000})
    )


def test_no_increase_once_the_write_budget_is_spent() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    allocator.step(0, 30000, [consumer("a", 10000), consumer("b", 10000)])
    decision = allocator.step(
        1, 20000, [consumer("a", 10000, may_increase=False), consumer("b", 10000)]
    )
    assert decision.allocations == pytest.approx({"a": 10000, "b": 20000})


def test_a_device_that_does_not_follow_is_flagged_and_its_excess_taken_from_others() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=1000, follow_s=60))
    allocator.step(0, 20000, [consumer("a", 10000), consumer("b", 10000)])
    # Drawing more right after the allocation was set is not yet "not following".
    early = allocator.step(10, 30000, [consumer("a", 20000), consumer("b", 10000)])
    assert early.not_following == frozenset()
    # "a" is allowed 15 kW but still draws 20 kW: 10 kW remain for "b".
    decision = allocator.step(70, 30000, [consumer("a", 20000), consumer("b", 10000)])
    assert decision.not_following == {"a"}
    assert decision.allocations["a"] == pytest.approx(15000)
    assert decision.allocations["b"] == pytest.approx(10000)


def test_an_offline_device_keeps_its_last_allocation_counted() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    allocator.step(0, 20000, [consumer("a", 10000), consumer("b", 10000)])
    decision = allocator.step(10, 20000, [consumer("a", None), consumer("b", 10000)])
    assert decision.allocations == pytest.approx({"a": 15000, "b": 15000})
    assert decision.total_w == pytest.approx(30000)


def test_failsafe_without_a_measurement_and_recovery() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    allocator.step(0, 20000, [consumer("a", 10000), consumer("b", 10000)])
    decision = allocator.step(10, None, [consumer("a", 10000), consumer("b", 10000)])
    assert decision.failsafe
    assert decision.allocations == {"a": 4140.0, "b": 4140.0}
    assert allocator.step(20, 8280, [consumer("a", 4140), consumer("b", 4140)]).allocations == (
        pytest.approx({"a": 15000, "b": 15000})
    )
    safe_total = Allocator(Settings(limit_w=30000, failsafe_total_w=10000))
    assert safe_total.step(0, None, [consumer("a"), consumer("b")]).allocations == pytest.approx(
        {"a": 5000, "b": 5000}
    )


def test_an_idle_charger_keeps_only_its_minimum() -> None:
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    allocator.step(0, 10000, [consumer("a", 5000), consumer("b", 5000)])
    decision = allocator.step(10, 10000, [consumer("a", 10000), consumer("b", 0)])
    assert decision.allocations == pytest.approx({"a": 22000, "b": 4140})


def test_idle_chargers_share_one_reserve_and_a_car_plugged_in_starts() -> None:
    """Three idle chargers keep 6 A each, but only one 6 A is kept from the charging one."""
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    allocator.step(0, 20000, [consumer(k, 5000) for k in "abcd"])
    idle = allocator.step(
        10, 10000, [consumer("a", 10000, maximum_w=30000), *(consumer(k, 0) for k in "bcd")]
    )
    assert idle.allocations == pytest.approx({"a": 25860, "b": 4140, "c": 4140, "d": 4140})
    # A car plugged in at "b" starts at its 6 A; the next step makes room for it.
    plugged = [
        consumer("a", 25860, maximum_w=30000),
        consumer("b", 4140),
        consumer("c", 0),
        consumer("d", 0),
    ]
    decision = allocator.step(20, 30000, plugged)
    assert decision.allocations == pytest.approx({"a": 12930, "b": 12930, "c": 4140, "d": 4140})
    assert decision.allocations["a"] + decision.allocations["b"] + 4140 == pytest.approx(30000)


def test_an_idle_charger_that_does_not_fit_stays_paused() -> None:
    """Where the reserve does not fit after the others' minimums, an idle charger gets 0,
    and keeps 0 in the next steps instead of taking a charging car's place."""
    allocator = Allocator(Settings(limit_w=10000, increase_delay_s=0))
    allocator.step(0, 10000, [consumer("a", 5000), consumer("b", 5000), consumer("c", 0)])
    for now in (10, 20, 30):
        decision = allocator.step(
            now, 10000, [consumer("a", 5000), consumer("b", 5000), consumer("c", 0)]
        )
        assert decision.allocations == pytest.approx({"a": 5000, "b": 5000, "c": 0}), now
    assert distribute(
        10000,
        [("idle", 4140, 4140, 2), ("car", 4140, 22000, 0)],
        Strategy.PRIORITY,
        idle=frozenset({"idle"}),
    ) == pytest.approx({"idle": 4140, "car": 5860})


def test_a_device_that_cannot_be_paused_keeps_its_minimum_first() -> None:
    """Its setting starts at its minimum: it is admitted before the others, even over."""
    demands = [(k, 4140, 22000, 0) for k in "abc"]
    shares = distribute(10000, demands, Strategy.EQUAL, unpausable=frozenset("c"))
    assert shares["c"] >= 4140
    assert shares["b"] == 0.0
    assert sum(shares.values()) == pytest.approx(10000)
    # Even where the headroom does not cover it: never below its range.
    assert distribute(2000, demands, Strategy.EQUAL, unpausable=frozenset("c")) == {
        "a": 0.0,
        "b": 0.0,
        "c": 4140,
    }
    allocator = Allocator(Settings(limit_w=2000, failsafe_total_w=0))
    decision = allocator.step(0, None, [consumer("a"), consumer("b", pausable=False)])
    assert decision.allocations == {"a": 0.0, "b": 4140}


def test_a_boosted_device_gets_up_to_its_maximum_first() -> None:
    demands = [("a", 4000, 22000, 1), ("b", 4000, 22000, 0), ("c", 4000, 10000, 0)]
    for strategy in Strategy:
        shares = distribute(30000, demands, strategy, boosted=frozenset("b"))
        assert shares == pytest.approx({"a": 4000, "b": 22000, "c": 4000}), strategy
    # Two boosted share what is left after the others' minimums.
    shares = distribute(30000, demands, Strategy.EQUAL, boosted=frozenset("ab"))
    assert shares == pytest.approx({"a": 13000, "b": 13000, "c": 4000})


def test_drawing_more_than_before_is_following_when_the_new_share_covers_it() -> None:
    """Lowered to 5 kW, it still draws 8 kW; once its share is 11 kW again it follows."""
    allocator = Allocator(Settings(limit_w=30000, increase_delay_s=0))
    drawing = [consumer("a", 15000), consumer("b", 15000)]
    allocator.step(0, 30000, drawing)
    allocator.settings = Settings(limit_w=10000, increase_delay_s=0)
    allocator.step(1, 30000, drawing)
    assert allocator.allocations == pytest.approx({"a": 5000, "b": 5000})
    late = allocator.step(100, 16000, [consumer("a", 8000), consumer("b", 8000)])
    assert late.not_following == {"a", "b"}
    allocator.settings = Settings(limit_w=22000, increase_delay_s=0)
    recovered = allocator.step(101, 16000, [consumer("a", 8000), consumer("b", 8000)])
    assert recovered.not_following == frozenset()
    assert recovered.allocations == pytest.approx({"a": 11000, "b": 11000})
