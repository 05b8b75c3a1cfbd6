"""The session core: plain data in, decisions and payloads out, no Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import random
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from custom_components.evse_bridge.contract.records import SessionRecord
from custom_components.evse_bridge.sessions import core
from custom_components.evse_bridge.sessions.core import (
    JOURNAL_SIZE,
    KEEP,
    UNDATED,
    Decision,
    Next,
    OpenSession,
    SessionBook,
    by_month,
    children_of,
    completion_payload,
    counted_since,
    decide,
    parse_time,
    prune,
    same_session,
    stored_month,
    to_iso,
)
from custom_components.evse_bridge.sessions.history import (
    group_key,
    sessions_answer,
    stored_history,
    totals,
)
from custom_components.evse_bridge.sessions.tags import display_tag, pseudonym

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NAMES = {"device_id": "dev1", "station": "Garage", "connector": "Left"}


def _keep(tag: str | None) -> str | None:
    return tag


def _lower(tag: str | None) -> str | None:
    return None if tag is None else tag.lower()


def _open(**values: Any) -> OpenSession:
    fields: dict[str, Any] = {
        "uid": "u1",
        "device_id": None,
        "device_key": "c1",
        "start": to_iso(NOW - timedelta(hours=1)),
        "energy_kwh": 5.0,
        "duration_s": 3600.0,
        "peak_power_w": 7000.0,
        "tag": None,
        "vehicle_soc": None,
        "stop_reason": None,
        "last_seen": NOW.isoformat(),
    }
    return OpenSession(**(fields | values))


class TestSameSession:
    def test_device_ids_decide_when_both_have_one(self) -> None:
        open_ = _open(device_id="tx1")
        assert same_session(open_, SessionRecord(id="tx1", energy_kwh=0.0))
        assert not same_session(open_, SessionRecord(id="tx2", energy_kwh=6.0))

    def test_energy_going_backwards_is_another_session(self) -> None:
        open_ = _open()
        assert not same_session(open_, SessionRecord(energy_kwh=4.0))
        # A rounding step down is still the same session.
        assert same_session(open_, SessionRecord(energy_kwh=4.995))

    def test_duration_going_backwards_is_another_session(self) -> None:
        assert not same_session(_open(), SessionRecord(duration_s=60.0))
        assert same_session(_open(), SessionRecord(duration_s=3660.0))

    def test_starts_within_the_tolerance_are_the_same(self) -> None:
        start = NOW - timedelta(hours=1)
        assert same_session(_open(), SessionRecord(start=start + timedelta(minutes=4)))
        assert not same_session(_open(), SessionRecord(start=start + timedelta(minutes=6)))

    def test_a_register_that_counted_more_than_the_session_gained_is_another_car(self) -> None:
        """A car swap unseen: the new car has charged more than the old one had."""
        open_ = _open(meter_kwh=100.0)  # 5 kWh at a register of 100 kWh
        # The old car charged 2 kWh more, then a new one 6 kWh: the register reads 108.
        assert not same_session(open_, SessionRecord(energy_kwh=6.0), 108.0)
        # The same car charged 1 kWh more: so did the register.
        assert same_session(open_, SessionRecord(energy_kwh=6.0), 101.0)
        assert same_session(open_, SessionRecord(energy_kwh=6.0), None)

    def test_nothing_to_compare_is_the_same(self) -> None:
        assert same_session(_open(start=None, energy_kwh=None, duration_s=None), SessionRecord())


class TestCountedSince:
    def test_what_the_register_counted_since_belongs_to_the_ended_session(self) -> None:
        final = counted_since(_open(meter_kwh=100.0), None, 102.5)
        assert final == SessionRecord(energy_kwh=7.5)

    def test_a_new_session_keeps_its_own_energy(self) -> None:
        final = counted_since(_open(meter_kwh=100.0), SessionRecord(energy_kwh=1.5), 102.5)
        assert final == SessionRecord(energy_kwh=6.0)

    def test_a_reset_register_leaves_the_last_reading(self) -> None:
        assert counted_since(_open(meter_kwh=100.0), None, 3.0) is None

    def test_nothing_counted_or_no_register(self) -> None:
        assert counted_since(_open(meter_kwh=100.0), None, 100.005) is None
        assert counted_since(_open(meter_kwh=None), None, 102.0) is None
        assert counted_since(_open(meter_kwh=100.0), None, None) is None


class TestDecide:
    def test_idle_without_an_open_session(self) -> None:
        assert decide(None, None, completed_ids=set(), since=NOW) == Decision()

    def test_a_new_session_starts(self) -> None:
        decision = decide(None, SessionRecord(energy_kwh=0.1), completed_ids=set(), since=NOW)
        assert decision == Decision(None, Next.START)

    def test_the_same_session_updates_or_completes(self) -> None:
        open_ = _open()
        assert decide(open_, SessionRecord(energy_kwh=6.0), completed_ids=set(), since=NOW) == (
            Decision(None, Next.UPDATE)
        )
        ended = SessionRecord(energy_kwh=6.0, ended=True)
        assert decide(open_, ended, completed_ids=set(), since=NOW) == (
            Decision(None, Next.COMPLETE)
        )

    def test_idle_ends_the_open_session(self) -> None:
        open_ = _open()
        assert decide(open_, None, completed_ids=set(), since=NOW) == Decision(open_)

    def test_another_session_completes_the_open_one_then_starts(self) -> None:
        open_ = _open(device_id="tx1")
        decision = decide(open_, SessionRecord(id="tx2"), completed_ids=set(), since=NOW)
        assert decision == Decision(open_, Next.START)

    def test_a_completed_session_is_not_reported_again(self) -> None:
        record = SessionRecord(id="tx1", ended=True, end=NOW)
        assert decide(None, record, completed_ids={"tx1"}, since=NOW) == Decision()

    def test_an_unseen_session_completes_only_if_it_ended_while_watched(self) -> None:
        record = SessionRecord(id="tx1", ended=True, end=NOW)
        since = NOW - timedelta(days=1)
        assert decide(None, record, completed_ids=set(), since=since) == (
            Decision(None, Next.COMPLETE_UNSEEN)
        )
        assert decide(None, record, completed_ids=set(), since=NOW + timedelta(seconds=1)) == (
            Decision()
        )
        # Without a device id it cannot be told from one reported already.
        anonymous = SessionRecord(ended=True, end=NOW)
        assert decide(None, anonymous, completed_ids=set(), since=since) == Decision()


class TestCompletionPayload:
    def test_duration_from_start_and_end(self) -> None:
        open_ = _open(duration_s=None, energy_kwh=7.12345, tag="tag_x")
        final = SessionRecord(end=NOW + timedelta(minutes=30))
        payload = completion_payload(open_, final, NOW, NAMES, _keep)
        assert payload == {
            "session_id": "u1",
            "start": "2025-03-10T11:00:00+00:00",
            "end": "2025-03-10T12:30:00+00:00",
            "duration_s": 5400,
            "energy_kwh": 7.123,
            "peak_power_w": 7000.0,
            "tag": "tag_x",
            "vehicle_soc": None,
            "stop_reason": None,
            "partial": False,
            "device_id": "dev1",
            "station": "Garage",
            "connector": "Left",
        }

    def test_start_from_duration_and_last_seen(self) -> None:
        open_ = _open(start=None, duration_s=1800.4, energy_kwh=None)
        payload = completion_payload(open_, None, NOW, NAMES, _keep)
        assert payload["start"] == "2025-03-10T11:29:59.600000+00:00"
        assert payload["end"] == NOW.isoformat()
        assert payload["duration_s"] == 1800
        assert payload["energy_kwh"] == 0.0

    def test_the_final_record_wins(self) -> None:
        open_ = _open(start=None)
        final = SessionRecord(
            start=NOW - timedelta(hours=2),
            energy_kwh=9.0,
            power_w=11000.0,
            tag="CARD",
            stop_reason="ev",
            ended=True,
        )
        payload = completion_payload(open_, final, NOW, NAMES, _lower)
        assert payload["start"] == "2025-03-10T10:00:00+00:00"
        assert payload["energy_kwh"] == 9.0
        assert payload["peak_power_w"] == 11000.0
        assert payload["tag"] == "card"
        assert payload["stop_reason"] == "ev"


class TestSessionBook:
    def test_a_session_runs_and_completes_into_the_history(self) -> None:
        book = SessionBook(NOW - timedelta(days=1), _keep)
        record = SessionRecord(id="tx1", start=NOW, energy_kwh=1.0, power_w=3000.0)
        assert book.decide("c1", record) == Decision(None, Next.START)
        book.start("c1", record, NOW, 10.0)
        later = NOW + timedelta(minutes=10)
        book.update("c1", SessionRecord(id="tx1", energy_kwh=2.0, power_w=7000.0), later, 11.0)
        assert book.delivered_kwh("c1", {}) == 2.0
        assert book.open["c1"].peak_power_w == 7000.0
        assert book.open["c1"].meter_kwh == 11.0

        decision = book.decide("c1", None)
        assert decision.ended is not None
        assert "c1" not in book.open
        payload = book.complete(decision.ended, None, later, NAMES, "station1")
        assert payload["energy_kwh"] == 2.0
        assert book.completed == [{**payload, "device_key": "c1", "parent_key": "station1"}]
        assert book.completed_ids == {"tx1"}
        via = children_of([("c1", "station1"), ("station1", None)])
        assert book.delivered_kwh("station1", via) == 2.0

    def test_the_lifetime_counter_never_decreases_when_the_reading_does(self) -> None:
        """A cloud recomputes a capped session lower: the counter holds, then rises again."""
        book = SessionBook(NOW - timedelta(hours=1), _keep)
        book.start("c1", SessionRecord(id="tx1", start=NOW, energy_kwh=30.0), NOW, None)
        counts = [book.delivered_kwh("c1", {})]
        for minute, energy in enumerate((83.9, 48.3, 60.0, 84.5, 90.0), start=1):
            later = NOW + timedelta(minutes=minute)
            book.update("c1", SessionRecord(id="tx1", energy_kwh=energy), later, None)
            counts.append(book.delivered_kwh("c1", {}))
        assert counts == [30.0, 83.9, 83.9, 83.9, 84.5, 90.0]

        # The device's final record is lower again: the completed session keeps its credit,
        # while its event reports what the device says.
        decision = book.decide("c1", None)
        assert decision.ended is not None
        final = SessionRecord(id="tx1", energy_kwh=70.0, ended=True)
        payload = book.complete(decision.ended, final, NOW + timedelta(hours=1), NAMES, None)
        assert payload["energy_kwh"] == 70.0
        assert book.delivered_kwh("c1", {}) == 90.0

    def test_a_session_under_way_before_the_entry_counts_from_its_first_reading(self) -> None:
        book = SessionBook(NOW, _keep)
        earlier = NOW - timedelta(minutes=30)
        book.start("c1", SessionRecord(id="tx1", start=earlier, energy_kwh=58.0), NOW, None)
        assert book.delivered_kwh("c1", {}) == 0.0
        later = NOW + timedelta(minutes=5)
        book.update("c1", SessionRecord(id="tx1", energy_kwh=59.5), later, None)
        assert book.delivered_kwh("c1", {}) == 1.5

        # Across a restart (the store) it is still counted from there.
        loaded = SessionBook(NOW, _keep)
        loaded.load({**book.open_to_store(), **book.journal_to_store()}, [], later)
        assert loaded.delivered_kwh("c1", {}) == 1.5
        decision = loaded.decide("c1", None)
        assert decision.ended is not None
        payload = loaded.complete(decision.ended, None, later, NAMES, None)
        assert payload["energy_kwh"] == 59.5
        assert loaded.delivered_kwh("c1", {}) == 1.5
        # Marked: its peak is only what the entry saw.
        assert payload["partial"] is True

    def test_a_session_without_a_start_is_partial_if_it_had_charged_when_first_seen(
        self,
    ) -> None:
        book = SessionBook(NOW - timedelta(hours=1), _keep)
        book.start("c1", SessionRecord(energy_kwh=12.0), NOW, None)
        book.start("c2", SessionRecord(energy_kwh=0.0), NOW, None)
        assert book.open["c1"].partial is True
        assert book.open["c2"].partial is False

    def test_a_session_seen_only_at_0_w_has_no_peak(self) -> None:
        """An ended transaction's 0 W is the power after its end: the peak is unknown."""
        book = SessionBook(NOW - timedelta(hours=1), _keep)
        record = SessionRecord(id="tx1", start=NOW, energy_kwh=4.0, power_w=0.0, ended=True)
        assert book.decide("c1", record) == Decision(None, Next.COMPLETE_UNSEEN)
        unseen = book.unseen("c1", record, NOW)
        payload = book.complete(unseen, record, NOW, NAMES, None)
        assert payload["peak_power_w"] is None
        assert payload["partial"] is False
        # A session seen running keeps the peak it reached, whatever its ended record says.
        book.start("c2", SessionRecord(id="tx2", start=NOW, power_w=7400.0), NOW, None)
        final = SessionRecord(id="tx2", energy_kwh=3.0, power_w=0.0, ended=True)
        decision = book.decide("c2", final)
        assert decision.next is Next.COMPLETE
        payload = book.complete(book.open.pop("c2"), final, NOW, NAMES, None)
        assert payload["peak_power_w"] == 7400.0
        # Seen only finishing (0 W) after it charged: unknown; one that never drew: 0 W.
        book.start("c3", SessionRecord(id="tx3", start=NOW, energy_kwh=9.0, power_w=0.0), NOW, None)
        book.start("c4", SessionRecord(id="tx4", start=NOW, energy_kwh=0.0, power_w=0.0), NOW, None)
        assert book.complete(book.open.pop("c3"), None, NOW, NAMES, None)["peak_power_w"] is None
        assert book.complete(book.open.pop("c4"), None, NOW, NAMES, None)["peak_power_w"] == 0.0

    def test_a_session_started_after_the_entry_counts_in_full(self) -> None:
        book = SessionBook(NOW - timedelta(hours=1), _keep)
        started = NOW - timedelta(minutes=2)
        book.start("c1", SessionRecord(id="tx1", start=started, energy_kwh=0.4), NOW, None)
        assert book.delivered_kwh("c1", {}) == 0.4

    def test_an_open_session_stored_before_credits_counts_its_reading(self) -> None:
        book = SessionBook(NOW, _keep)
        stored_open = {"uid": "u1", "device_key": "c1", "energy_kwh": 3.0, "last_seen": "x"}
        book.load({"since": to_iso(NOW), "open": {"c1": stored_open}}, [], NOW)
        assert book.delivered_kwh("c1", {}) == 3.0

    def test_the_store_round_trips(self) -> None:
        book = SessionBook(NOW - timedelta(days=1), _keep)
        book.start("c1", SessionRecord(energy_kwh=1.0), NOW, None)
        stored = {**book.open_to_store(), **book.journal_to_store()}
        assert stored["since"] == "2025-03-09T12:00:00+00:00"
        assert stored["open"]["c1"]["start"] == NOW.isoformat()
        loaded = SessionBook(NOW, _keep)
        assert not loaded.load(stored, [], NOW)
        assert {**loaded.open_to_store(), **loaded.journal_to_store()} == stored

    def test_loading_prunes_and_keeps_the_ids(self) -> None:
        old = {"session_id": "tx0", "end": to_iso(NOW - KEEP - timedelta(days=1))}
        kept = {"session_id": "tx1", "end": to_iso(NOW - KEEP + timedelta(days=1))}
        book = SessionBook(NOW, _keep)
        assert book.load({}, [old, kept], NOW)  # pruned: the history is to be written
        assert book.completed == [kept]
        assert book.completed_ids == {"tx1"}
        assert book.since == NOW

    def test_the_single_store_of_old_moves_into_the_history(self) -> None:
        kept = {"session_id": "tx1", "end": to_iso(NOW)}
        book = SessionBook(NOW, _keep)
        assert book.load({"completed": [kept], "open": {}}, [], NOW)
        assert book.history == [kept]
        assert book.journal == []
        assert "completed" not in {**book.open_to_store(), **book.journal_to_store()}

    def test_completions_wait_in_the_journal_until_the_history_is_written(self) -> None:
        book = SessionBook(NOW - timedelta(days=1), _keep)
        for number in range(JOURNAL_SIZE):
            key = f"c{number}"
            book.start(key, SessionRecord(id=f"tx{number}", energy_kwh=1.0), NOW, None)
            ended = book.decide(key, None).ended
            assert ended is not None
            assert not book.journal_full
            book.complete(ended, None, NOW, NAMES, None)
        assert book.journal_full
        assert book.history == []
        assert len(book.journal_to_store()["journal"]) == JOURNAL_SIZE

        move = book.history_to_store(NOW)
        # A completion while the history is written stays in the journal.
        book.start("late", SessionRecord(id="late", energy_kwh=1.0), NOW, None)
        late = book.decide("late", None).ended
        assert late is not None
        book.complete(late, None, NOW, NAMES, None)
        book.history_written(move)
        assert len(book.history) == JOURNAL_SIZE
        assert [item["session_id"] for item in book.journal] == ["late"]
        assert len(book.completed_ids) == JOURNAL_SIZE + 1

    def test_a_crash_after_the_history_write_keeps_each_session_once(self) -> None:
        """The history holds the journal's sessions, the state still lists them."""
        done = {"session_id": "u1", "end": to_iso(NOW), "device_key": "c1"}
        state = {
            "journal": [done],
            "open": {"c1": {"uid": "u1", "device_key": "c1", "last_seen": to_iso(NOW)}},
        }
        book = SessionBook(NOW, _keep)
        book.load(state, [done], NOW)
        assert book.completed == [done]
        assert book.open == {}  # completed already: never completed again

    def test_history_is_capped_to_the_newest(self) -> None:
        items = [{"session_id": str(number), "end": to_iso(NOW)} for number in range(3)]
        with patch.object(core, "MAX_HISTORY", 2):
            assert core.prune(items, NOW) == items[1:]

    def test_the_completed_ids_are_those_of_the_sessions_kept(self) -> None:
        """They shrink with the history: a pruned session's id is not kept forever."""
        book = SessionBook(NOW - timedelta(days=1), _keep)
        for number in range(3):
            book.start(f"c{number}", SessionRecord(id=f"tx{number}", energy_kwh=1.0), NOW, None)
            ended = book.decide(f"c{number}", None).ended
            assert ended is not None
            book.complete(ended, None, NOW, NAMES, None)
        assert book.completed_ids == {"tx0", "tx1", "tx2"}
        with patch.object(core, "MAX_HISTORY", 2):
            book.history_written(book.history_to_store(NOW))
        assert book.completed_ids == {"tx1", "tx2"}
        assert book.journal == []

    def test_energy_since_the_start_of_the_day(self) -> None:
        midnight = NOW.replace(hour=0)
        yesterday = {
            "session_id": "y",
            "end": to_iso(midnight - timedelta(minutes=1)),
            "energy_kwh": 4.0,
        }
        today = {"session_id": "t", "end": to_iso(midnight), "energy_kwh": 1.0}
        book = SessionBook(NOW - timedelta(days=2), _keep)
        book.load({"journal": [today]}, [yesterday], NOW)
        assert book.energy_since(midnight) == 1.0
        # A completion and a running session count at once.
        book.start("c1", SessionRecord(id="tx1", energy_kwh=2.0), NOW, None)
        ended = book.decide("c1", None).ended
        assert ended is not None
        book.complete(ended, None, NOW, NAMES, None)
        book.start("c2", SessionRecord(id="tx2", energy_kwh=0.25), NOW, None)
        assert book.energy_since(midnight) == 3.25
        # The next day counts only what ends from then on; a day back reads the history again.
        assert book.energy_since(midnight + timedelta(days=1)) == 0.25
        assert book.energy_since(midnight - timedelta(days=1)) == 7.25

    def test_energy_since_forgets_what_the_count_cap_pruned(self) -> None:
        items = [
            {"session_id": str(number), "end": to_iso(NOW), "energy_kwh": 1.0}
            for number in range(3)
        ]
        book = SessionBook(NOW - timedelta(days=1), _keep)
        book.load({}, items, NOW)
        assert book.energy_since(NOW) == 3.0
        with patch.object(core, "MAX_HISTORY", 2):
            book.history_written(book.history_to_store(NOW))
        assert book.energy_since(NOW) == 2.0

    def test_a_station_totals_its_connectors_through_the_index(self) -> None:
        book = SessionBook(NOW - timedelta(days=1), _keep)
        book.delivered.update({"c1": 1.0, "c2": 2.0, "station1": 0.5})
        via = children_of([("c1", "station1"), ("c2", "station1"), ("station1", None)])
        assert book.delivered_kwh("station1", via) == 3.5
        assert book.delivered_kwh("c2", via) == 2.0


def test_prune_keeps_13_months_and_sessions_without_end() -> None:
    edge = {"end": to_iso(NOW - KEEP)}
    old = {"end": to_iso(NOW - KEEP - timedelta(seconds=1))}
    endless: dict[str, Any] = {"end": None}
    assert timedelta(days=396) == KEEP
    assert prune([edge, old, endless], NOW) == [edge, endless]


def test_times_as_the_store_writes_them() -> None:
    local = datetime(2025, 3, 10, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert to_iso(local) == "2025-03-10T12:00:00+00:00"
    assert parse_time("2025-03-10T12:00:00+00:00") == NOW
    assert parse_time("not a time") is None
    assert parse_time(None) is None


class TestTags:
    def test_pseudonym_is_stable_per_secret_whatever_the_case_and_space(self) -> None:
        first = pseudonym(b"a" * 32, "04ab12")
        assert first == pseudonym(b"a" * 32, "  04AB12 ")
        assert first.startswith("tag_")
        assert len(first) == 20
        assert first != pseudonym(b"b" * 32, "04ab12")
        assert first != pseudonym(b"a" * 32, "04ab13")

    def test_display_tag(self) -> None:
        secret = b"s" * 32
        # Shown ids are upper case, as the pseudonyms are computed from.
        assert display_tag(" 04ab ", secret, include_ids=True) == "04AB"
        assert display_tag("04ab", secret, include_ids=False) == pseudonym(secret, "04ab")
        assert display_tag("  ", secret, include_ids=False) is None
        assert display_tag(None, secret, include_ids=True) is None


def _item(start: str | None, energy: float, **values: Any) -> dict[str, Any]:
    return {
        "session_id": values.get("session_id"),
        "start": start,
        "end": values.get("end"),
        "duration_s": values.get("duration_s", 600),
        "energy_kwh": energy,
        "tag": values.get("tag"),
        "station": values.get("station", "Garage"),
        "connector": values.get("connector", "Left"),
        "device_key": values.get("device_key", "c1"),
        "parent_key": values.get("parent_key", "s1"),
    }


class TestHistoryMove:
    """Moving the journal in works on the months it changes, with ``prune``'s result."""

    @staticmethod
    def _session(rng: random.Random, number: int, now: datetime) -> dict[str, Any]:
        kind = rng.random()
        if kind < 0.05:
            end = None  # kept whatever its start
        elif kind < 0.1:
            end = "garbage"
        else:
            end = to_iso(now - timedelta(hours=rng.uniform(-1, 24 * 420)))
        start = None if kind < 0.02 else to_iso(now - timedelta(days=rng.uniform(0, 430)))
        return {"session_id": f"s{number % 37}", "start": start, "end": end, "energy_kwh": 1.0}

    def test_a_move_is_prune_of_history_and_journal(self) -> None:
        rng = random.Random(20261202)
        for case in range(200):
            now = NOW + timedelta(days=rng.uniform(0, 60))
            history = [self._session(rng, number, now) for number in range(rng.randrange(60))]
            journal = [self._session(rng, 1000 + number, now) for number in range(rng.randrange(8))]
            book = SessionBook(NOW - timedelta(days=500), _keep)
            book.load({"journal": journal}, history, NOW)
            before = {month: list(items) for month, items in by_month(book.history).items()}
            cap = rng.choice([5, 20, 40, 1000])
            later = now + timedelta(days=rng.uniform(0, 40))
            with patch.object(core, "MAX_HISTORY", cap):
                expected = prune([*book.history, *book.journal], later)
                move = book.history_to_store(later)
            assert move.history == expected, case
            assert move.months == by_month(expected), case
            assert {
                month
                for month in {*before, *move.months}
                if before.get(month) != move.months.get(month)
            } <= move.changed, case
            # Worked out without changing the book.
            assert by_month(book.history) == before
            book.history_written(move)
            assert book.history == expected
            assert book.journal == []
            assert book.completed_ids == {item["session_id"] for item in expected}

    def test_moves_one_after_another_keep_the_months_and_ids_of_the_history(self) -> None:
        rng = random.Random(7)
        book = SessionBook(NOW - timedelta(days=1), _keep)
        now = NOW
        with patch.object(core, "MAX_HISTORY", 120):
            for round_ in range(40):
                now += timedelta(days=rng.uniform(0, 30))
                for number in range(rng.randrange(1, 12)):
                    key = f"c{round_}-{number}"
                    record = SessionRecord(id=f"tx{round_}-{number}", energy_kwh=1.0)
                    book.start(key, record, now - timedelta(hours=2), None)
                    ended = book.decide(key, None).ended
                    assert ended is not None
                    book.complete(ended, None, now, NAMES, None)
                move = book.history_to_store(now)
                book.history_written(move)
                assert book.history == prune(book.history, now)
                assert move.months == by_month(book.history)
                assert book.completed_ids == {item["session_id"] for item in book.history}
                assert len(book.history) <= 120
        assert book.energy_since(now - timedelta(hours=1)) == sum(
            1.0 for item in book.history if item["end"] >= to_iso(now - timedelta(hours=1))
        )

    def test_at_the_count_cap_a_move_takes_the_oldest_completions(self) -> None:
        old = [{"session_id": f"o{number}", "end": to_iso(NOW)} for number in range(4)]
        book = SessionBook(NOW - timedelta(days=1), _keep)
        book.load({}, old, NOW)
        book.start("c1", SessionRecord(id="new", energy_kwh=1.0), NOW, None)
        ended = book.decide("c1", None).ended
        assert ended is not None
        book.complete(ended, None, NOW, NAMES, None)
        with patch.object(core, "MAX_HISTORY", 3):
            move = book.history_to_store(NOW)
        assert [item["session_id"] for item in move.history] == ["o2", "o3", "new"]
        assert move.dropped == old[:2]
        assert move.changed == {stored_month(old[0])}
        book.history_written(move)
        assert book.completed_ids == {"o2", "o3", "new"}

    def test_a_rewritten_tag_is_a_new_item_everywhere_the_old_one_stays_as_it_was(self) -> None:
        """A month being serialised outside the event loop holds the old items."""
        shown = {"session_id": "a", "end": to_iso(NOW), "tag": "ABC", "energy_kwh": 1.0}
        other = {"session_id": "b", "end": to_iso(NOW), "tag": None, "energy_kwh": 1.0}
        waiting = {"session_id": "c", "end": to_iso(NOW), "tag": "ABC", "energy_kwh": 1.0}
        book = SessionBook(NOW - timedelta(days=1), _keep)
        book.load({"journal": [waiting]}, [shown, other], NOW)
        assert book.energy_since(NOW) == 3.0
        month = book.history_to_store(NOW).months[stored_month(shown)]
        before = list(month)

        assert book.replace_tags(lambda tag: None if tag is None else f"p-{tag}")
        assert shown["tag"] == waiting["tag"] == "ABC"
        assert before == [shown, other, waiting]
        assert [item["tag"] for item in book.completed] == ["p-ABC", None, "p-ABC"]
        assert book.completed[1] is other
        move = book.history_to_store(NOW)
        assert [item["tag"] for item in move.months[stored_month(shown)]] == [
            "p-ABC",
            None,
            "p-ABC",
        ]
        assert book.energy_since(NOW) == 3.0
        assert not book.replace_tags(lambda tag: tag)


class TestHistory:
    def test_stored_by_the_utc_month_of_the_end(self) -> None:
        local_march = _item("2025-02-28T23:00:00+00:00", 1.0, end="2025-03-01T00:30:00+01:00")
        february = _item("2025-02-28T20:00:00+00:00", 1.0, end=None)
        undated = _item(None, 1.0, end=None)
        assert [stored_month(item) for item in (local_march, february, undated)] == [
            "2025-02",
            "2025-02",
            UNDATED,
        ]
        late = _item("2025-03-09T10:00:00+00:00", 1.0, end="2025-03-09T11:00:00")
        assert by_month([local_march, late, february, undated]) == {
            "2025-02": [local_march, february],
            "2025-03": [late],
            UNDATED: [undated],
        }

    def test_stored_month_of_times_not_as_written_reads_them(self) -> None:
        """The month is read off a UTC time as the store writes it; any other is parsed."""
        compact = _item(None, 1.0, end="20250301T003000+00:00")
        not_a_month = _item(None, 1.0, end="2025-13-01T00:30:00+00:00")
        garbage = _item(None, 1.0, end="garbage+00:00")
        fraction = _item(None, 1.0, end="2025-03-31T23:59:59.999999+00:00")
        assert [stored_month(item) for item in (compact, not_a_month, garbage, fraction)] == [
            "2025-03",
            UNDATED,
            UNDATED,
            "2025-03",
        ]

    def test_stored_history_by_start_else_end(self) -> None:
        inside = _item("2025-03-10T10:00:00+00:00", 1.0)
        by_end = _item(None, 1.0, end="2025-03-10T11:00:00+00:00")
        before = _item("2025-03-09T10:00:00+00:00", 1.0)
        at_end = _item(NOW.isoformat(), 1.0)
        window = stored_history([inside, by_end, before, at_end], NOW - timedelta(hours=3), NOW)
        assert window == [inside, by_end]

    def test_totals(self) -> None:
        items = [_item(None, 1.2345, duration_s=None), _item(None, 2.0, duration_s=60)]
        assert totals(items) == {"energy_kwh": 3.234, "duration_s": 60, "count": 2}
        assert totals([]) == {"energy_kwh": 0, "duration_s": 0, "count": 0}

    def test_group_keys(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        late = _item("2025-03-31T22:30:00+00:00", 1.0, tag="tag_a")
        assert group_key(late, "day", berlin, NOW) == "2025-04-01"
        assert group_key(late, "month", berlin, NOW) == "2025-04"
        assert group_key(late, "month", UTC, NOW) == "2025-03"
        assert group_key(late, "tag", UTC, NOW) == "tag_a"
        assert group_key(_item(None, 1.0), "tag", UTC, NOW) == ""
        # By the device, not its (translatable, renamable) name.
        assert group_key(late, "connector", UTC, NOW) == "c1"
        assert group_key(_item(None, 1.0), "day", UTC, NOW) == "2025-03-10"

    def test_answer_filters_sorts_totals_and_groups(self) -> None:
        history = [
            _item("2025-03-02T10:00:00+00:00", 2.0, tag="tag_a", device_key="c2"),
            _item("2025-03-01T10:00:00+00:00", 1.0, tag="tag_b"),
            _item("2025-02-01T10:00:00+00:00", 4.0, tag="tag_a"),
            _item("2025-03-03T10:00:00+00:00", 8.0, tag="tag_a", device_key="x", parent_key="y"),
        ]
        answer = sessions_answer(
            history, device_keys={"s1"}, tags={"tag_a"}, group_by="month", time_zone=UTC, now=NOW
        )
        assert [item["start"] for item in answer["sessions"]] == [
            "2025-02-01T10:00:00+00:00",
            "2025-03-02T10:00:00+00:00",
        ]
        assert all("device_key" not in item for item in answer["sessions"])
        assert answer["totals"] == {"energy_kwh": 6.0, "duration_s": 1200, "count": 2}
        assert answer["groups"] == [
            {"group": "2025-02", "energy_kwh": 4.0, "duration_s": 600, "count": 1},
            {"group": "2025-03", "energy_kwh": 2.0, "duration_s": 600, "count": 1},
        ]

    def test_connector_groups_by_device_labelled_once_with_the_newest_name(self) -> None:
        history = [
            _item("2025-03-01T10:00:00+00:00", 1.0, station="Bay 1", connector="Bay 1 connector 1"),
            _item("2025-03-02T10:00:00+00:00", 2.0, station="Bay 1", connector="Bay 1 Anschluss 1"),
            _item(
                "2025-03-03T10:00:00+00:00",
                4.0,
                station="Garage",
                connector="Left",
                device_key="c2",
            ),
            _item(
                "2025-03-04T10:00:00+00:00",
                8.0,
                station=None,
                connector=None,
                device_key="c3",
                parent_key=None,
            ),
        ]
        answer = sessions_answer(
            history, device_keys=None, tags=None, group_by="connector", time_zone=UTC, now=NOW
        )
        assert answer["groups"] == [
            {"group": "", "energy_kwh": 8.0, "duration_s": 600, "count": 1},
            {"group": "Bay 1 Anschluss 1", "energy_kwh": 3.0, "duration_s": 1200, "count": 2},
            {"group": "Garage Left", "energy_kwh": 4.0, "duration_s": 600, "count": 1},
        ]

    def test_answer_of_a_hub_covers_the_devices_below_it(self) -> None:
        history = [
            _item("2025-03-01T10:00:00+00:00", 1.0, device_key="c1", parent_key="s1"),
            _item("2025-03-02T10:00:00+00:00", 2.0, device_key="s2", parent_key=None),
            _item("2025-03-03T10:00:00+00:00", 4.0, device_key="x", parent_key="y"),
        ]
        answer = sessions_answer(
            history,
            device_keys={"hub", "s1", "s2"},
            tags=None,
            group_by=None,
            time_zone=UTC,
            now=NOW,
        )
        assert answer["totals"]["energy_kwh"] == 3.0

    def test_answer_without_filters_has_no_groups(self) -> None:
        history = [_item("2025-03-01T10:00:00+00:00", 1.0)]
        answer = sessions_answer(
            history, device_keys=None, tags=None, group_by=None, time_zone=UTC, now=NOW
        )
        assert answer["totals"]["count"] == 1
        assert "groups" not in answer
