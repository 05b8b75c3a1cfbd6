"""Charging sessions, every vendor: detected across polls, stored, reported once.

A vendor describes, per connector (per controller for single-point devices),
the session running now as a ``SessionRecord`` (``session_event``'s
``record_fn``). The ``SessionTracker`` compares each poll with the sessions it
holds open and

- fires ``started`` on the device's "Session" event entity when one appears;
- fires ``completed`` (and the bus event ``evse_bridge_session_completed``) when
  one ends, with the device's own final reading: the last poll that still saw
  it running, or the device's record of it (``ended`` records,
  ``Site.async_final_session``), never integrated power;
- keeps, per entry, three ``Store``s by how often they change: the open sessions
  (and the tag secret), the journal (sessions completed since the history was
  last written, and the energy delivered per device) and the history of
  completed sessions (13 months, at most ``MAX_HISTORY``; one store per month
  of the sessions' end and an index of the months), so a session that runs
  across a restart or a connection loss completes once.

A start or completion is stored before its event fires (the journal, then the
open sessions, written at once), so a restart, even a killed process, never
fires it again; readings of running sessions are written with a delay. The
history is written only when ``JOURNAL_SIZE`` completions have gathered in the
journal (the months they ended in), or when it is pruned; never on a poll.
Events found before Home Assistant has started (sessions that ended while it was
down) are held and fired, in order, once it has: automations attach their
triggers only then.

What a poll means is decided in ``core`` (no Home Assistant there); this module
holds the store, fires the events, names the devices as the registry does and
asks the device for its final record of a session. Tags are personal data
(``tags``): nothing here logs a tag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import dataclasses
from datetime import datetime, timedelta, tzinfo
from functools import partial
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import EvseBridgeError
from ..compat import snapshot_store
from ..const import CONF_INCLUDE_TAG_IDS, DOMAIN, LOGGER
from ..contract.descriptions import EvseBridgeEntityDescription
from ..contract.events import fire_device_event
from ..contract.records import SESSION_UNKNOWN, SessionRecord
from ..contract.sessions import COMPLETED, SESSION_KEY, STARTED, SessionEventDescription
from ..contract.site import DeviceData, Site, SiteData
from ..registry import entry_devices, registry_name
from . import tags
from .core import Next, OpenSession, SessionBook, by_month, children_of, counted_since
from .history import device_history_item, stored_history, with_own_records

EVENT_SESSION_COMPLETED: Final = f"{DOMAIN}_session_completed"

STORE_VERSION: Final = 1
JOURNAL_STORE_VERSION: Final = 1
HISTORY_STORE_VERSION: Final = 1
#: Readings of running sessions are written this long after the first change, so a
#: poll never waits for the disk and a 15 s poll does not write every time (starts and
#: completions are written at once, unloading writes what is pending). After a crash a
#: running session resumes from a reading at most this old; a session that ended
#: meanwhile gets its energy from the device's record or meter where it has one.
SAVE_DELAY_S: Final = 300.0


def _same[T](value: T) -> T:
    return value


def _utc_times(record: SessionRecord) -> SessionRecord:
    """``record`` with aware times, as the core compares them (naive: Home Assistant's zone)."""
    start, end = record.start, record.end
    if (start is None or start.tzinfo is not None) and (end is None or end.tzinfo is not None):
        return record
    return dataclasses.replace(
        record,
        start=None if start is None else dt_util.as_utc(start),
        end=None if end is None else dt_util.as_utc(end),
    )


class SessionTracker:
    """The sessions of one config entry: detection, events, store, history."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        site: Site,
        descriptions: Iterable[EvseBridgeEntityDescription],
    ) -> None:
        """Describe the entry's store; ``async_load`` reads it."""
        self.hass = hass
        self.entry = entry
        self._site = site
        self._session_descriptions = [
            description
            for description in descriptions
            if isinstance(description, SessionEventDescription)
        ]
        # Each store is saved a copy (a large site's open sessions and journal, too, are
        # serialised outside the event loop).
        self._store = snapshot_store(hass, STORE_VERSION, store_key(entry.entry_id))
        self._journal_store = snapshot_store(
            hass, JOURNAL_STORE_VERSION, journal_store_key(entry.entry_id)
        )
        self._history_store = snapshot_store(
            hass, HISTORY_STORE_VERSION, history_store_key(entry.entry_id)
        )
        self._secret = b""
        self._book = SessionBook(dt_util.utcnow(), self.display_tag)
        #: Cancels the timer of the delayed write of the open sessions; None if none is due.
        self._cancel_save: Callable[[], None] | None = None
        #: Local midnight, the next one, and the time zone they are of.
        self._today: tuple[datetime, datetime, tzinfo] | None = None
        #: Events are fired only once the entities exist (after the platforms are set up).
        self.ready = False
        self._devices: dict[str, DeviceData] = {}
        #: The entry's registered devices by identifier, read once in a poll that starts or
        #: completes sessions (not once per session: a poll of a large site has dozens).
        self._poll_registry: Mapping[tuple[str, str], DeviceEntry] | None = None
        #: The devices linked to each device, built once per poll.
        self._children: Mapping[str, list[str]] = {}
        #: Events found before Home Assistant has started, fired in order once it has.
        self._held: list[Callable[[], None]] = []
        self._cancel_release: Callable[[], None] | None = None
        #: The months the history index lists (None: no index yet, or the single file of old).
        self._months_listed: list[str] | None = None
        #: One history write at a time: a tag rewrite from the options flow may come
        #: while a completion moves the journal, and each would slice the same journal
        #: (and the move would put back the sessions the rewrite replaced).
        self._history_lock = asyncio.Lock()
        #: How many sessions each month's file holds.
        self._months_on_disk: dict[str, int] = {}
        self._month_stores: dict[str, Store[dict[str, Any]]] = {}

    async def async_load(self) -> None:
        """Read the sessions; make the entry's tag secret the first time; move a store of old."""
        # A write still due when Home Assistant stops is written in its final write.
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write)
        )
        stored = await self._store.async_load() or {}
        journal = await self._journal_store.async_load() or {}
        index = await self._history_store.async_load() or {}
        history: list[dict[str, Any]] = []
        months = index.get("months")
        self._months_listed = None if months is None else list(months)
        for month in months or ():
            items = (await self._month_store(month).async_load() or {}).get("completed", [])
            history.extend(items)
            self._months_on_disk[month] = len(items)
        # A history of old is one file: its sessions go into the months (every month is
        # written, a file left by a split that was cut short too).
        history.extend(index.get("completed", ()))
        secret = stored.get("secret")
        self._secret = bytes.fromhex(secret) if secret else tags.new_secret()
        # A store of old held everything in the first store: the journal's part wins.
        state = {**stored, **journal}
        if self._book.load(state, history, dt_util.utcnow()) or "completed" in index:
            await self._async_write_history()
        elif not secret:
            await self._async_write_open()
        await self.async_pseudonymise_tags()

    async def async_pseudonymise_tags(self) -> None:
        """With tag ids off, replace the ids kept while they were on by their pseudonyms.

        Written at once (history, journal and open sessions): the ids must not stay on
        disk until the next session.
        """
        if self.entry.options.get(CONF_INCLUDE_TAG_IDS, False):
            return
        async with self._history_lock:
            changed = self._book.replace_tags(partial(tags.pseudonymised, secret=self._secret))
            for open_ in self._book.open.values():
                if (tag := tags.pseudonymised(open_.tag, self._secret)) != open_.tag:
                    open_.tag, changed = tag, True
            if changed:
                await self._async_write_history_locked(every_month=True)

    async def async_start(self, data: SiteData) -> None:
        """Compare polls from now on, starting with ``data``: the event entities exist."""
        self.ready = True
        await self.async_process(data)

    async def async_unload(self) -> None:
        """Stop comparing (a poll still under way must not complete a session) and write."""
        self.ready = False
        if self._cancel_release is not None:
            self._cancel_release()
            self._cancel_release = None
        await self._async_write_journal()
        await self._async_write_open()

    # --- Detection -----------------------------------------------------------------------

    async def async_process(self, data: SiteData) -> None:
        """Compare one successful poll with the open sessions.

        Starts and completions are stored before their events fire.
        """
        self._devices = data.devices
        self._children = children_of(
            (key, device.identity.via_key) for key, device in data.devices.items()
        )
        if not self.ready:
            return
        try:
            await self._async_process_poll(data)
        finally:
            self._poll_registry = None

    async def _async_process_poll(self, data: SiteData) -> None:
        now = dt_util.utcnow()
        events: list[Callable[[], None]] = []
        journal_before = len(self._book.journal)
        changed = False
        for description in self._session_descriptions:
            for key, device in data.devices.items():
                if device.kind != description.device_kind or not description.exists_fn(device.data):
                    continue
                record = description.record_fn(device.data)
                if record is not SESSION_UNKNOWN:
                    meter = (
                        None if description.meter_fn is None else description.meter_fn(device.data)
                    )
                    changed |= await self._async_process_device(
                        description,
                        key,
                        None if record is None else _utc_times(record),
                        now,
                        meter,
                        events,
                    )
        if events:
            if self._book.journal_full:
                await self._async_write_history()
            elif len(self._book.journal) != journal_before:
                await self._async_write_journal()
                await self._async_write_open()
            else:
                await self._async_write_open()
            self._announce(events)
        elif changed:
            self._schedule_save()

    async def _async_process_device(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord | None,
        now: datetime,
        meter_kwh: float | None,
        events: list[Callable[[], None]],
    ) -> bool:
        """Decide one device's poll; its events go to ``events``. True if the book changed."""
        decision = self._book.decide(key, record, meter_kwh)
        if (ended := decision.ended) is not None:
            # The device's record of it if it has one, else the last poll that saw it
            # running, plus what the register counted since.
            final = None
            if ended.device_id is not None:
                try:
                    final = await self._site.async_final_session(key, ended.device_id)
                except EvseBridgeError as err:
                    LOGGER.debug("No final record of session %s: %s", ended.uid, err)
                if final is not None:
                    final = _utc_times(final)
            if final is None:
                final = counted_since(ended, record, meter_kwh)
            events.append(self._complete(description, ended, final, now))
        if record is None:
            return decision.ended is not None
        match decision.next:
            case Next.UPDATE:
                self._book.update(key, record, now, meter_kwh)
                return True
            case Next.COMPLETE:
                events.append(self._complete(description, self._book.open[key], record, now))
            case Next.COMPLETE_UNSEEN:
                unseen = self._book.unseen(key, record, now)
                events.append(self._complete(description, unseen, record, now))
            case Next.START:
                events.append(self._start(description, key, record, now, meter_kwh))
        return decision.ended is not None or decision.next is not Next.NOTHING

    def _start(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord,
        now: datetime,
        meter_kwh: float | None,
    ) -> Callable[[], None]:
        """Open the session: its ``started`` event, to fire once stored."""
        open_ = self._book.start(key, record, now, meter_kwh)
        LOGGER.debug("Session %s started on %s", open_.uid, key)
        return partial(
            fire_device_event,
            self.hass,
            self.entry.entry_id,
            key,
            SESSION_KEY,
            STARTED,
            {
                "session_id": open_.uid,
                "start": open_.start,
                "tag": open_.tag,
                **self._names(description, key),
            },
        )

    def _complete(
        self,
        description: SessionEventDescription,
        open_: OpenSession,
        final: SessionRecord | None,
        now: datetime,
    ) -> Callable[[], None]:
        """Complete the session into the journal: its events, to fire once stored."""
        key = open_.device_key
        payload = self._book.complete(
            open_, final, now, self._names(description, key), self._parent_key(description, key)
        )
        LOGGER.debug("Session %s completed on %s: %s kWh", open_.uid, key, payload["energy_kwh"])

        def fire() -> None:
            fire_device_event(self.hass, self.entry.entry_id, key, SESSION_KEY, COMPLETED, payload)
            self.hass.bus.async_fire(
                EVENT_SESSION_COMPLETED, {**payload, "config_entry_id": self.entry.entry_id}
            )

        return fire

    def _announce(self, events: list[Callable[[], None]]) -> None:
        """Fire stored ``events`` now, or once Home Assistant has started (after those held)."""
        if self.hass.state is CoreState.running and not self._held:
            for fire in events:
                fire()
            return
        self._held.extend(events)
        if self._cancel_release is None:
            self._cancel_release = async_at_started(self.hass, self._async_release)

    @callback
    def _async_release(self, hass: HomeAssistant) -> None:
        # On the next loop turn: after every other listener of the start (automations
        # attaching their triggers) has run.
        self._cancel_release = None
        hass.loop.call_soon(self._fire_held)

    @callback
    def _fire_held(self) -> None:
        held, self._held = self._held, []
        for fire in held:
            fire()

    def _parent_key(self, description: SessionEventDescription, key: str) -> str | None:
        device = self._devices.get(key)
        if not description.connector or device is None:
            return None
        return device.identity.via_key

    def _names(
        self,
        description: SessionEventDescription,
        key: str,
        by_identifier: Mapping[tuple[str, str], DeviceEntry] | None = None,
    ) -> dict[str, Any]:
        """Station and connector as the user named them in the device registry.

        ``by_identifier`` is the entry's devices (``entry_devices``), when read already.
        """
        if by_identifier is None:
            if self._poll_registry is None:
                self._poll_registry = entry_devices(self.hass, self.entry.entry_id)
            by_identifier = self._poll_registry

        def name(device_key: str | None) -> tuple[str | None, str | None]:
            if device_key is None:
                return None, None
            known = self._devices.get(device_key)
            fallback = None if known is None else known.identity.name
            device = by_identifier.get(self._site.registry_identifier(device_key))
            if device is None:
                return None, fallback
            return device.id, registry_name(device) or fallback

        device_id, own = name(key)
        if not description.connector:
            return {"device_id": device_id, "station": own, "connector": None}
        return {
            "device_id": device_id,
            "station": name(self._parent_key(description, key))[1],
            "connector": own,
        }

    # --- Tags, store ---------------------------------------------------------------------

    def display_tag(self, tag: str | None) -> str | None:
        """The tag as events and history show it: a keyed pseudonym unless the option is on."""
        return tags.display_tag(
            tag, self._secret, include_ids=self.entry.options.get(CONF_INCLUDE_TAG_IDS, False)
        )

    def pseudonym(self, tag: str) -> str:
        """Stable per entry and card, not reversible without the entry's secret."""
        return tags.pseudonym(self._secret, tag)

    def _schedule_save(self) -> None:
        """Write the open sessions ``SAVE_DELAY_S`` after the first change not yet written.

        The write stays due when first asked (a write postponed by each poll would never
        happen), and a poll that changes readings while it is due costs nothing: the copy
        written is taken when it is due, in the event loop (the minimum release reads the
        data in the executor).
        """
        if self._cancel_save is None:
            self._cancel_save = async_call_later(self.hass, SAVE_DELAY_S, self._save_now)

    @callback
    def _save_now(self, _now: datetime) -> None:
        self._cancel_save = None
        self._store.async_delay_save(partial(_same, self._open_state()), 0)

    def _cancel_due_save(self) -> bool:
        """Cancel the delayed write; whether one was due."""
        if self._cancel_save is None:
            return False
        self._cancel_save()
        self._cancel_save = None
        return True

    async def _async_final_write(self, _event: Event) -> None:
        if self._cancel_due_save():
            await self._store.async_save(self._open_state())

    def _open_state(self) -> dict[str, Any]:
        return {"secret": self._secret.hex(), **self._book.open_to_store()}

    async def _async_write_open(self) -> None:
        self._cancel_due_save()
        await self._store.async_save(self._open_state())

    async def _async_write_journal(self) -> None:
        # Before the open sessions: a session in the journal and still open (a crash
        # between the two writes) is known as completed and dropped when loaded.
        await self._journal_store.async_save(self._book.journal_to_store())

    def _month_store(self, month: str) -> Store[dict[str, Any]]:
        if (store := self._month_stores.get(month)) is None:
            store = self._month_stores[month] = snapshot_store(
                self.hass,
                HISTORY_STORE_VERSION,
                history_month_store_key(self.entry.entry_id, month),
            )
        return store

    async def _async_write_history(self, *, every_month: bool = False) -> None:
        """Move the journal into the history: the history first, then journal and open sessions.

        Only the months that changed are written (those the journal's sessions ended in,
        and those pruning took from), ``every_month`` when items changed in place.
        A month's file is removed before the index stops listing it and listed before
        it is first written, so no file outlives the index; the single file of old is
        replaced by the index only once every month is written.
        """
        async with self._history_lock:
            await self._async_write_history_locked(every_month=every_month)

    async def _async_write_history_locked(self, *, every_month: bool) -> None:
        move = self._book.history_to_store(dt_util.utcnow())
        months = move.months
        for month in set(self._months_on_disk) - set(months):
            await self._month_store(month).async_remove()
            del self._months_on_disk[month], self._month_stores[month]
        listed = sorted(months)
        if self._months_listed is not None and listed != self._months_listed:
            await self._history_store.async_save({"months": listed})
            self._months_listed = listed
        for month, items in months.items():
            # Also a month not on disk as it is (a history of old, a split cut short).
            if (
                every_month
                or month in move.changed
                or len(items) != self._months_on_disk.get(month)
            ):
                # A copy of the list (its items are never changed): the history is
                # serialised outside the event loop.
                await self._month_store(month).async_save({"completed": list(items)})
                self._months_on_disk[month] = len(items)
        if self._months_listed != listed:
            await self._history_store.async_save({"months": listed})
            self._months_listed = listed
        self._book.history_written(move)
        await self._async_write_journal()
        await self._async_write_open()

    # --- Reading ---------------------------------------------------------------------------

    def delivered_kwh(self, key: str) -> float:
        """Energy delivered through ``key`` and the devices linked to it, since the entry exists."""
        return self._book.delivered_kwh(key, self._children)

    def energy_today_kwh(self) -> float:
        """Energy of the sessions that ended since local midnight and of the running ones."""
        return self._book.energy_since(self._today_starts())

    def _today_starts(self) -> datetime:
        """Local midnight, worked out once a day (its sensor reads it on every poll)."""
        now = dt_util.utcnow()
        zone = dt_util.get_default_time_zone()
        today = self._today
        if today is None or today[2] is not zone or not today[0] <= now < today[1]:
            date = dt_util.as_local(now).date()
            today = (
                dt_util.start_of_local_day(date),
                dt_util.start_of_local_day(date + timedelta(days=1)),
                zone,
            )
            self._today = today
        return today[0]

    def descendants(self, key: str) -> set[str]:
        """``key`` and every device linked below it (a hub's stations and their connectors)."""
        found = {key}
        while True:
            more = {
                child
                for child, device in self._devices.items()
                if device.identity.via_key in found and child not in found
            }
            if not more:
                return found
            found |= more

    async def async_history(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Completed sessions that started in [start, end): the device's records, else ours.

        A session the device lists and this entry completed is its ``completed`` event's record.
        """
        records = await self._site.async_completed_sessions(start, end)
        if records is None:
            return stored_history(self._book.completed, start, end)
        by_kind = {
            description.device_kind: description for description in self._session_descriptions
        }
        history = []
        by_identifier = entry_devices(self.hass, self.entry.entry_id)
        for key, record in records:
            device = self._devices.get(key)
            description = by_kind.get(device.kind) if device is not None else None
            if description is None:
                names: dict[str, Any] = {"device_id": None, "station": None, "connector": None}
                parent_key = None
            else:
                names = self._names(description, key, by_identifier)
                parent_key = self._parent_key(description, key)
            history.append(
                device_history_item(
                    key, _utc_times(record), self.display_tag(record.tag), names, parent_key
                )
            )
        return with_own_records(history, self._book.completed)


def store_key(entry_id: str) -> str:
    """The storage key of an entry's open sessions and tag secret."""
    return f"{DOMAIN}.sessions.{entry_id}"


def journal_store_key(entry_id: str) -> str:
    """The storage key of an entry's latest completions and energy delivered per device."""
    return f"{DOMAIN}.session_journal.{entry_id}"


def history_store_key(entry_id: str) -> str:
    """The storage key of the index of an entry's history: the months it is stored in."""
    return f"{DOMAIN}.session_history.{entry_id}"


def history_month_store_key(entry_id: str, month: str) -> str:
    """The storage key of the sessions of an entry's history that ended in ``month``."""
    return f"{DOMAIN}.session_history.{entry_id}.{month}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's sessions (and its tag secret) with the entry."""
    await Store[dict[str, Any]](hass, STORE_VERSION, store_key(entry_id)).async_remove()
    await Store[dict[str, Any]](
        hass, JOURNAL_STORE_VERSION, journal_store_key(entry_id)
    ).async_remove()
    index = Store[dict[str, Any]](hass, HISTORY_STORE_VERSION, history_store_key(entry_id))
    listed = await index.async_load() or {}
    # The single file of old lists no months: a split of it cut short left some behind.
    for month in listed.get("months") or by_month(listed.get("completed", ())):
        await Store[dict[str, Any]](
            hass, HISTORY_STORE_VERSION, history_month_store_key(entry_id, month)
        ).async_remove()
    await index.async_remove()
