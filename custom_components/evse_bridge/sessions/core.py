"""Charging sessions across polls, decided without Home Assistant.

What one poll of one device means for the session held open for it
(``decide``), what a session that ended unseen delivered (``counted_since``),
what its completion reports (``completion_payload``), and the book of an
entry's sessions (``SessionBook``: open, completed for 13 months, energy
delivered per device) in the form the store keeps. Times come in as
arguments; they are aware datetimes, written as ISO 8601 in UTC.

The book is stored in three parts by how often they change: the open sessions
(tiny, written when a reading changes), the journal (sessions completed since
the history was last written, and the energy delivered per device; written on
each completion) and the history (every completed session, written only when the
journal is moved into it).
A completed session is a plain dict (``completion_payload`` plus its
``device_key`` and ``parent_key``) in ``history`` or ``journal``; the history is
also kept by the month it is stored in, so moving the journal in touches only the
months it changes. Items are never changed once made: a change to the stored sessions
(a tag rewritten) replaces the items it changes, so the months being serialised
outside the event loop can be lists of the book's own items.

The tracker (``tracker.py``) does the rest: the store, the events, the device
registry's names, and asking the device for its final record of a session.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from itertools import chain
import re
from typing import Any, Final
import uuid

from ..contract.records import SessionRecord

#: Completed sessions are kept this long (13 months: a year compared month by month).
KEEP: Final = timedelta(days=396)
#: And at most this many (the newest): about 50 MiB of store. A 300-connector site keeps
#: 13 months below it with up to 0.8 sessions per connector and day.
MAX_HISTORY: Final = 100_000
#: Completed sessions wait in the (small) state until this many, then move into the
#: history in one write: the history is rewritten once per this many completions.
JOURNAL_SIZE: Final = 50
#: Two readings without a device id are the same session when their starts are this close.
SAME_START_TOLERANCE: Final = timedelta(minutes=5)
#: Energy may read this much lower on a later poll of the same session (rounding).
ENERGY_TOLERANCE_KWH: Final = 0.01

#: How events and history show a tag (a pseudonym unless the entry's option says otherwise).
DisplayTag = Callable[[str | None], str | None]


def to_iso(value: datetime | None) -> str | None:
    """``value`` as the store, the events and the history write it: ISO 8601 in UTC."""
    return None if value is None else value.astimezone(UTC).isoformat()


def parse_time(value: str | None) -> datetime | None:
    """A time as ``to_iso`` wrote it; None if there is none or it cannot be read."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(slots=True, kw_only=True)
class OpenSession:
    """A session seen running: what the last poll said, kept across restarts."""

    uid: str
    #: The device's own id, if it has one.
    device_id: str | None
    device_key: str
    start: str | None
    energy_kwh: float | None
    duration_s: float | None
    peak_power_w: float | None
    tag: str | None = field(repr=False)
    vehicle_soc: float | None
    stop_reason: str | None
    last_seen: str
    #: The device's lifetime register at ``last_seen`` (``meter_fn``), in kWh.
    meter_kwh: float | None = None
    #: Energy the session had charged before the entry watched (not credited), in kWh.
    uncounted_kwh: float | None = None
    #: The most the delivered counter credited this session so far, in kWh: a later,
    #: lower reading (a cloud recomputing a capped session) never takes it back.
    credited_kwh: float | None = None
    #: The session began before the entry watched: its peak (and, where the device
    #: gives no session energy, its energy) covers only what the entry saw.
    partial: bool | None = None

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> OpenSession:
        """An open session as the store holds it (fields it lacks are None)."""
        known: dict[str, Any] = {key: value.get(key) for key in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def from_record(
        cls, key: str, record: SessionRecord, now: datetime, display_tag: DisplayTag
    ) -> OpenSession:
        """The session ``record`` describes on device ``key``, first seen at ``now``."""
        return cls(
            uid=record.id if record.id is not None else uuid.uuid4().hex,
            device_id=record.id,
            device_key=key,
            start=to_iso(record.start),
            energy_kwh=record.energy_kwh,
            duration_s=record.duration_s,
            peak_power_w=record.power_w,
            tag=display_tag(record.tag),
            vehicle_soc=record.vehicle_soc,
            stop_reason=record.stop_reason,
            last_seen=now.isoformat(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The open session as the store keeps it.

        Every field is a plain value, so a shallow copy is a copy (``asdict`` copies
        deeply, at several times the cost, on every poll of a running session).
        """
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def take(self, record: SessionRecord, now: datetime, display_tag: DisplayTag) -> None:
        """What a later reading of this session says (what it leaves out stands)."""
        if record.energy_kwh is not None:
            self.energy_kwh = record.energy_kwh
        if record.duration_s is not None:
            self.duration_s = record.duration_s
        self.peak_power_w = peak(self.peak_power_w, record.power_w)
        if record.vehicle_soc is not None:
            self.vehicle_soc = record.vehicle_soc
        if record.stop_reason is not None:
            self.stop_reason = record.stop_reason
        if self.tag is None and record.tag is not None:
            # Some devices report the tag only once the session is authorized.
            self.tag = display_tag(record.tag)
        self.last_seen = now.isoformat()
        self.credit(self.energy_kwh)

    def credit(self, energy_kwh: float | None) -> float:
        """What the delivered counter books for this session, at least as much as before."""
        counted = max(0.0, (energy_kwh or 0.0) - (self.uncounted_kwh or 0.0))
        self.credited_kwh = max(self.credited_kwh or 0.0, counted)
        return self.credited_kwh


def shown_peak(peak_power_w: float | None, energy_kwh: float | None) -> float | None:
    """The peak a session reports: unknown (None) where only 0 W was seen of one that charged.

    A session seen only before or after it drew power (first seen finished, or ended
    between polls) has no peak the entry knows; 0 W would claim it drew nothing.
    """
    if not peak_power_w and (energy_kwh or 0.0) > ENERGY_TOLERANCE_KWH:
        return None
    return peak_power_w


def peak(*values: float | None) -> float | None:
    """The highest of the known values, None if none is known."""
    known = [value for value in values if value is not None]
    return max(known) if known else None


def same_session(open_: OpenSession, record: SessionRecord, meter_kwh: float | None = None) -> bool:
    """Whether ``record`` continues ``open_`` (after a poll, a restart or a connection loss).

    Without a device id: not if its energy or duration went backwards, if the lifetime
    register (``meter_kwh``) counted more since than the session gained (another car
    charged in between), or if its start is not the open session's.
    """
    if open_.device_id is not None and record.id is not None:
        return open_.device_id == record.id
    if (
        meter_kwh is not None
        and open_.meter_kwh is not None
        and open_.energy_kwh is not None
        and record.energy_kwh is not None
        and (meter_kwh - open_.meter_kwh) - (record.energy_kwh - open_.energy_kwh)
        > ENERGY_TOLERANCE_KWH
    ):
        return False
    if (
        open_.energy_kwh is not None
        and record.energy_kwh is not None
        and record.energy_kwh < open_.energy_kwh - ENERGY_TOLERANCE_KWH
    ):
        return False
    if (
        open_.duration_s is not None
        and record.duration_s is not None
        and record.duration_s < open_.duration_s
    ):
        return False
    start = parse_time(open_.start)
    if start is not None and record.start is not None:
        return abs(record.start - start) <= SAME_START_TOLERANCE
    return True


def counted_since(
    open_: OpenSession, record: SessionRecord | None, meter_kwh: float | None
) -> SessionRecord | None:
    """The final energy of a session that ended unseen, from the lifetime register.

    What the register counted since the session's last reading, less what a session
    running now has charged, belongs to the one that ended. None when the register
    is unknown, or when it went backwards (a reset): the last reading stands.
    """
    if meter_kwh is None or open_.meter_kwh is None or open_.energy_kwh is None:
        return None
    since = meter_kwh - open_.meter_kwh
    if record is not None:
        since -= record.energy_kwh or 0.0
    if since <= ENERGY_TOLERANCE_KWH:
        return None
    return SessionRecord(energy_kwh=open_.energy_kwh + since)


class Next(Enum):
    """What a poll's record does, once the session it ended (if any) is completed."""

    #: Nothing to do: no session, one completed already, or one that ended before we watched.
    NOTHING = "nothing"
    #: The open session runs on: take the record's values.
    UPDATE = "update"
    #: The open session's record says it is over: complete it with the record's values.
    COMPLETE = "complete"
    #: A new session runs.
    START = "start"
    #: A session started and ended between polls: complete it from the record alone.
    COMPLETE_UNSEEN = "complete_unseen"


@dataclass(frozen=True, slots=True)
class Decision:
    """What one poll of one device means."""

    #: The open session that ended unseen (idle now, or another session runs): complete
    #: it with the device's final record, else with what the register counted since.
    ended: OpenSession | None = None
    next: Next = Next.NOTHING


def decide(
    open_: OpenSession | None,
    record: SessionRecord | None,
    *,
    completed_ids: Container[str],
    since: datetime,
    meter_kwh: float | None = None,
) -> Decision:
    """What ``record`` (None: no session) means for the session ``open_`` held open.

    ``completed_ids`` are the device ids of sessions completed already; ``since`` is
    when the entry began watching (a session that ended unseen before then is not ours);
    ``meter_kwh`` is the device's lifetime register now, if it has one.
    """
    ended = None
    if open_ is not None and (record is None or not same_session(open_, record, meter_kwh)):
        ended, open_ = open_, None
    if record is None:
        return Decision(ended)
    if open_ is not None:
        return Decision(ended, Next.COMPLETE if record.ended else Next.UPDATE)
    if record.id is not None and record.id in completed_ids:
        return Decision(ended)
    if record.ended:
        ended_at = record.end or record.start
        if record.id is None or ended_at is None or ended_at < since:
            return Decision(ended)
        return Decision(ended, Next.COMPLETE_UNSEEN)
    return Decision(ended, Next.START)


def completion_payload(
    open_: OpenSession,
    final: SessionRecord | None,
    now: datetime,
    names: Mapping[str, Any],
    display_tag: DisplayTag,
) -> dict[str, Any]:
    """The ``completed`` event of ``open_``, ended with the ``final`` values if known.

    The duration comes from start and end if the device gave none, the start from
    the end and the duration if it gave no start; the end is the final record's,
    else the last poll that saw the session. ``names`` are the device's (``device_id``,
    ``station``, ``connector``).
    """
    if final is not None:
        open_.take(final, now, display_tag)
        if final.start is not None and open_.start is None:
            open_.start = to_iso(final.start)
    start = parse_time(open_.start)
    end = (final.end if final is not None else None) or parse_time(open_.last_seen) or now
    duration = open_.duration_s
    if duration is None and start is not None:
        duration = max(0.0, (end - start).total_seconds())
    if start is None and duration is not None:
        start = end - timedelta(seconds=duration)
    return {
        "session_id": open_.uid,
        "start": to_iso(start),
        "end": to_iso(end),
        "duration_s": None if duration is None else round(duration),
        "energy_kwh": round(open_.energy_kwh or 0.0, 3),
        "peak_power_w": shown_peak(open_.peak_power_w, open_.energy_kwh),
        "tag": open_.tag,
        "vehicle_soc": open_.vehicle_soc,
        "stop_reason": open_.stop_reason,
        "partial": bool(open_.partial),
        **names,
    }


def prune(completed: Iterable[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The completed sessions that ended within ``KEEP`` of ``now`` (or have no end).

    At most the newest ``MAX_HISTORY`` (``completed`` is in order of completion).
    """
    oldest = now - KEEP
    kept = [item for item in completed if not _ended_before(item, oldest, now)]
    return kept[-MAX_HISTORY:]


def _ended_before(item: Mapping[str, Any], oldest: datetime, now: datetime) -> bool:
    """Whether ``prune`` takes ``item`` away for its age (one without an end stays)."""
    return (parse_time(item.get("end")) or now) < oldest


@dataclass(frozen=True, slots=True)
class HistoryMove:
    """The history with the journal's first ``moved`` sessions moved in, and pruned.

    ``SessionBook.history_to_store`` works it out without changing the book; once its
    months are written, ``SessionBook.history_written`` makes it the book's.
    """

    moved: int
    #: Every month of the history after the move (``stored_month``), each in order of
    #: completion; the lists of the months the move left alone are the book's own.
    months: dict[str, list[dict[str, Any]]]
    #: The months whose sessions the move changed (added to or pruned): to be written.
    changed: frozenset[str]
    #: The whole history after the move, in order of completion.
    history: list[dict[str, Any]]
    #: The sessions pruning took away (from the history or the journal).
    dropped: list[dict[str, Any]]


#: The part of the history that holds the sessions without end or start.
UNDATED: Final = "undated"
#: Whether an ISO 8601 time starts with its year and month ("2026-11-...").
_MONTH_PREFIX: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])-").match


def stored_month(item: Mapping[str, Any]) -> str:
    """The part of the history ``item`` is stored in: the UTC month of its end (else start).

    UTC, not the local zone: a changed time zone must not move a session to another part.
    """
    value = item.get("end") or item.get("start")
    if isinstance(value, str) and value.endswith("+00:00") and _MONTH_PREFIX(value):
        # As ``to_iso`` writes it: the month is the first seven characters (a history of
        # old is grouped by it when loaded, every session of a journal when it moves).
        return value[:7]
    moment = parse_time(value)
    if moment is None:
        return UNDATED
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m")


def by_month(items: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``items`` split by ``stored_month``, each part in the order of ``items``."""
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        months[stored_month(item)].append(item)
    return dict(months)


def _ended_since(item: Mapping[str, Any], moment: datetime) -> bool:
    return (end := parse_time(item.get("end"))) is not None and end >= moment


def children_of(via: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """The devices linked to each device, from (device key, parent key) pairs."""
    children: dict[str, list[str]] = defaultdict(list)
    for child_key, parent_key in via:
        if parent_key is not None and parent_key != child_key:
            children[parent_key].append(child_key)
    return children


class SessionBook:
    """An entry's sessions: open per device key, completed, energy delivered per device."""

    def __init__(self, since: datetime, display_tag: DisplayTag) -> None:
        """An empty book, watching from ``since``; ``display_tag`` shows a tag."""
        self.since = since
        self.display_tag = display_tag
        self.open: dict[str, OpenSession] = {}
        #: Completed sessions as the history lists them (with device and parent key), in
        #: order of completion: those the history store holds, then those since (journal).
        self.history: list[dict[str, Any]] = []
        #: The same sessions by the month they are stored in, each in order of completion.
        self._months: dict[str, list[dict[str, Any]]] = {}
        self.journal: list[dict[str, Any]] = []
        #: How many completed sessions kept (history and journal) have each id.
        self._id_counts: Counter[str] = Counter()
        #: Energy of the completed sessions per device key, in kWh.
        self.delivered: dict[str, float] = defaultdict(float)
        #: The completed sessions that ended at or after ``_recent_since`` (``energy_since``):
        #: a poll sums these, not the whole history. None: to be found in the history.
        self._recent_since: datetime | None = None
        self._recent: list[dict[str, Any]] = []
        #: Their energy in kWh, summed as they are added.
        self._recent_kwh = 0.0

    @property
    def completed(self) -> list[dict[str, Any]]:
        """Every completed session kept, in order of completion."""
        return [*self.history, *self.journal]

    @property
    def completed_ids(self) -> AbstractSet[str]:
        """The ids of the completed sessions kept (a device's own, or ours): a set's view."""
        return self._id_counts.keys()

    def load(
        self, state: Mapping[str, Any], history: Iterable[dict[str, Any]], now: datetime
    ) -> bool:
        """Take what the stores hold: the open sessions' and the journal's in ``state``.

        (``open_to_store``, ``journal_to_store``); ``history`` is ``history_to_store``'s.
        ``now`` prunes the old sessions. A session in both the history and the journal
        (written to the history, the journal not yet emptied) is kept once; an open
        session already completed is dropped. A store of old (``completed`` in
        ``state``) is moved into the history. True if the history should be written
        (migrated or pruned).
        """
        self.since = parse_time(state.get("since")) or now
        self.history = list(history)
        migrated = "completed" in state
        self.history.extend(state.get("completed") or ())
        written = {item.get("session_id") for item in self.history}
        self.journal = [
            item for item in state.get("journal", ()) if item.get("session_id") not in written
        ]
        done = written | {item.get("session_id") for item in self.journal}
        self.open = {
            key: OpenSession.from_dict(value)
            for key, value in state.get("open", {}).items()
            if value.get("uid") not in done
        }
        for open_ in self.open.values():
            open_.credit(open_.energy_kwh)  # a store written before sessions were credited
        self.delivered.update(state.get("delivered", {}))
        kept = prune(self.history, now)
        pruned = len(kept) != len(self.history)
        self.history = kept
        self._months = by_month(kept)
        self._id_counts = Counter(
            item["session_id"] for item in chain(kept, self.journal) if item.get("session_id")
        )
        self._recent_since = None
        return migrated or pruned

    def open_to_store(self) -> dict[str, Any]:
        """The open sessions' store (besides the tag secret): a copy, safe to write anywhere."""
        return {
            "since": self.since.isoformat(),
            "open": {key: value.to_dict() for key, value in self.open.items()},
        }

    def journal_to_store(self) -> dict[str, Any]:
        """The journal's store (with the energy delivered, which changes only on completion)."""
        return {
            "journal": list(self.journal),  # a session is never changed once made
            "delivered": dict(self.delivered),
        }

    def history_to_store(self, now: datetime) -> HistoryMove:
        """The history with the journal moved in and pruned as ``prune`` does, the book as it was.

        Work in proportion to the months it changes, not to the whole history (it runs
        in the event loop once per ``JOURNAL_SIZE`` completions, at the count cap too):
        by age, the months up to the one ``KEEP`` ago lose what ended before; by count,
        the oldest completions go, which lead both the history and each month.
        """
        oldest = now - KEEP
        cut = stored_month({"end": to_iso(oldest)})
        months = dict(self._months)
        changed: set[str] = set()
        dropped: list[dict[str, Any]] = []
        # Months are "YYYY-MM" (UNDATED, whose sessions have no end, sorts after them).
        for month in [month for month in months if month <= cut]:
            items = months[month]
            kept = [item for item in items if not _ended_before(item, oldest, now)]
            if len(kept) != len(items):
                kept_ids = {id(item) for item in kept}
                dropped.extend(item for item in items if id(item) not in kept_ids)
                months[month] = kept
                changed.add(month)
        moved = len(self.journal)
        journal = []
        for item in self.journal:
            if _ended_before(item, oldest, now):
                dropped.append(item)
                continue
            journal.append(item)
            month = stored_month(item)
            if month not in changed:
                months[month] = list(months.get(month, ()))
                changed.add(month)
            months[month].append(item)
        gone = {id(item) for item in dropped}
        excess = sum(len(items) for items in months.values()) - MAX_HISTORY
        if excess > 0:
            by_count: Counter[str] = Counter()
            for item in chain(self.history, journal):
                if id(item) in gone:
                    continue
                by_count[stored_month(item)] += 1
                dropped.append(item)
                gone.add(id(item))
                excess -= 1
                if not excess:
                    break
            for month, count in by_count.items():
                months[month] = months[month][count:]
                changed.add(month)
        in_journal = {id(item) for item in self.journal}
        from_history = sum(1 for item in dropped if id(item) not in in_journal)
        kept_history = self.history
        if from_history:
            # Usually the oldest completions: a slice, not a look at every session.
            lead = 0
            for item in self.history:
                if id(item) not in gone:
                    break
                lead += 1
            if lead == from_history:
                kept_history = self.history[lead:]
            else:
                kept_history = [item for item in self.history if id(item) not in gone]
        return HistoryMove(
            moved=moved,
            months={month: items for month, items in months.items() if items},
            changed=frozenset(changed),
            history=[*kept_history, *journal],
            dropped=dropped,
        )

    def replace_tags(self, tag_of: DisplayTag) -> bool:
        """Show each completed session's tag as ``tag_of`` does; whether any changed.

        A changed session is a new item in the history, its month, the journal and
        today's sessions alike (the old one may be being written).
        """
        replaced: dict[int, dict[str, Any]] = {}

        def renew(items: list[dict[str, Any]]) -> None:
            for index, item in enumerate(items):
                if (new := replaced.get(id(item))) is None:
                    tag = tag_of(item.get("tag"))
                    if tag == item.get("tag"):
                        continue
                    new = replaced[id(item)] = {**item, "tag": tag}
                items[index] = new

        renew(self.history)
        renew(self.journal)
        if replaced:
            for items in self._months.values():
                renew(items)
            renew(self._recent)
        return bool(replaced)

    def history_written(self, move: HistoryMove) -> None:
        """``move`` (``history_to_store``) is stored: the book's history, the journal after it."""
        self.history = move.history
        self._months = move.months
        self.journal = self.journal[move.moved :]
        if not move.dropped:
            return
        for item in move.dropped:
            if session_id := item.get("session_id"):
                self._id_counts[session_id] -= 1
                if self._id_counts[session_id] <= 0:
                    del self._id_counts[session_id]
        since = self._recent_since
        if since is not None and any(_ended_since(item, since) for item in move.dropped):
            # The count cap took some of what ended today.
            gone = {id(item) for item in move.dropped}
            self._recent = [item for item in self._recent if id(item) not in gone]
            self._recent_kwh = sum(item.get("energy_kwh") or 0.0 for item in self._recent)

    @property
    def journal_full(self) -> bool:
        """Whether the journal should move into the history now."""
        return len(self.journal) >= JOURNAL_SIZE

    def decide(
        self, key: str, record: SessionRecord | None, meter_kwh: float | None = None
    ) -> Decision:
        """What this poll of device ``key`` means; a session it ended is closed already.

        Closed before the tracker waits for the device's final record, so a poll
        that overlaps this one cannot complete it a second time.
        """
        decision = decide(
            self.open.get(key),
            record,
            completed_ids=self.completed_ids,
            since=self.since,
            meter_kwh=meter_kwh,
        )
        if decision.ended is not None:
            self.open.pop(key, None)
        return decision

    def start(
        self, key: str, record: SessionRecord, now: datetime, meter_kwh: float | None
    ) -> OpenSession:
        """Open the session ``record`` describes on device ``key``.

        A session that began before the entry watched (or gives no start) is counted
        from this first reading: what it charged before is not the entry's to credit.
        """
        open_ = OpenSession.from_record(key, record, now, self.display_tag)
        open_.meter_kwh = meter_kwh
        if record.start is None or record.start < self.since:
            open_.uncounted_kwh = record.energy_kwh
        # Without a start, a session that had charged already when first seen began earlier.
        open_.partial = (
            record.start < self.since
            if record.start is not None
            else (record.energy_kwh or 0.0) > ENERGY_TOLERANCE_KWH
        )
        open_.credit(record.energy_kwh)
        if open_.start is None:
            # A device that gives no start: the first poll that saw it (kept across restarts).
            open_.start = to_iso(now)
        self.open[key] = open_
        return open_

    def update(
        self, key: str, record: SessionRecord, now: datetime, meter_kwh: float | None
    ) -> None:
        """The open session of device ``key`` runs on, as ``record`` says."""
        open_ = self.open[key]
        open_.take(record, now, self.display_tag)
        open_.meter_kwh = meter_kwh

    def unseen(self, key: str, record: SessionRecord, now: datetime) -> OpenSession:
        """The session ``record`` describes, started and ended between polls."""
        return OpenSession.from_record(key, record, now, self.display_tag)

    def complete(
        self,
        open_: OpenSession,
        final: SessionRecord | None,
        now: datetime,
        names: Mapping[str, Any],
        parent_key: str | None,
    ) -> dict[str, Any]:
        """Complete ``open_`` (see ``completion_payload``) into the journal: its event's payload."""
        key = open_.device_key
        self.open.pop(key, None)
        payload = completion_payload(open_, final, now, names, self.display_tag)
        self.delivered[key] += open_.credit(payload["energy_kwh"])
        item = {**payload, "device_key": key, "parent_key": parent_key}
        # The item's id: ours, which is the device's own where it has one.
        self._id_counts[item["session_id"]] += 1
        self.journal.append(item)
        if self._recent_since is not None and _ended_since(item, self._recent_since):
            self._recent.append(item)
            self._recent_kwh += item.get("energy_kwh") or 0.0
        return payload

    def delivered_kwh(self, key: str, children: Mapping[str, Iterable[str]]) -> float:
        """Energy delivered through ``key`` and the devices linked to it (``children_of``)."""
        return round(self._delivered(key, children, 0), 3)

    def energy_since(self, moment: datetime) -> float:
        """Energy of the sessions that ended at or after ``moment`` and of the running ones.

        Asked every poll with the start of the day: the sessions that ended since are kept
        apart with their total (found in the whole history once, after loading, pruning or
        when ``moment`` goes back; narrowed when it moves on), so a poll adds only the
        running sessions to it.
        """
        if self._recent_since is None or moment != self._recent_since:
            if self._recent_since is None or moment < self._recent_since:
                self._recent = [
                    item
                    for items in (self.history, self.journal)
                    for item in items
                    if _ended_since(item, moment)
                ]
            else:
                self._recent = [item for item in self._recent if _ended_since(item, moment)]
            self._recent_since = moment
            self._recent_kwh = sum(item.get("energy_kwh") or 0.0 for item in self._recent)
        total = self._recent_kwh + sum(open_.energy_kwh or 0.0 for open_ in self.open.values())
        return round(total, 3)

    def _delivered(self, key: str, children: Mapping[str, Iterable[str]], depth: int) -> float:
        total = self.delivered.get(key, 0.0)
        open_ = self.open.get(key)
        if open_ is not None:
            total += open_.credited_kwh or 0.0
        if depth < len(children):  # a loop of links counts each device once per level only
            for child_key in children.get(key, ()):
                total += self._delivered(child_key, children, depth + 1)
        return total
