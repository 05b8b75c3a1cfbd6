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
- keeps the open sessions, the completed ones (13 months) and the energy
  delivered per device in a ``Store`` per entry, written with a delay, so a
  session that runs across a restart or a connection loss completes once.

What a poll means is decided in ``core`` (no Home Assistant there); this module
holds the store, fires the events, names the devices as the registry does and
asks the device for its final record of a session. Tags are personal data
(``tags``): nothing here logs a tag.
"""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
from datetime import datetime
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import EvseBridgeError
from ..const import CONF_INCLUDE_TAG_IDS, DOMAIN, LOGGER
from ..contract.descriptions import EvseBridgeEntityDescription
from ..contract.events import fire_device_event
from ..contract.records import SESSION_UNKNOWN, SessionRecord
from ..contract.sessions import COMPLETED, SESSION_KEY, STARTED, SessionEventDescription
from ..contract.site import DeviceData, Site, SiteData
from ..registry import entry_devices, registry_name
from . import tags
from .core import Next, OpenSession, SessionBook, counted_since
from .history import device_history_item, stored_history

EVENT_SESSION_COMPLETED: Final = f"{DOMAIN}_session_completed"

STORE_VERSION: Final = 1
#: Writes wait this long, so a poll never waits for the disk.
SAVE_DELAY_S: Final = 10.0


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
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, store_key(entry.entry_id), private=True
        )
        self._secret = b""
        self._book = SessionBook(dt_util.utcnow(), self.display_tag)
        self._save_pending = False
        #: Events are fired only once the entities exist (after the platforms are set up).
        self.ready = False
        self._devices: dict[str, DeviceData] = {}

    async def async_load(self) -> None:
        """Read the open and completed sessions; make the entry's tag secret the first time."""
        stored = await self._store.async_load() or {}
        secret = stored.get("secret")
        self._secret = bytes.fromhex(secret) if secret else tags.new_secret()
        self._book.load(stored, dt_util.utcnow())
        if not secret:
            self._schedule_save()

    async def async_start(self, data: SiteData) -> None:
        """Compare polls from now on, starting with ``data``: the event entities exist."""
        self.ready = True
        await self.async_process(data)

    async def async_unload(self) -> None:
        """Stop comparing (a poll still under way must not complete a session) and write."""
        self.ready = False
        await self._store.async_save(self._to_store())

    # --- Detection -----------------------------------------------------------------------

    async def async_process(self, data: SiteData) -> None:
        """Compare one successful poll with the open sessions."""
        self._devices = data.devices
        if not self.ready:
            return
        now = dt_util.utcnow()
        for description in self._session_descriptions:
            for key, device in data.devices.items():
                if device.kind != description.device_kind or not description.exists_fn(device.data):
                    continue
                record = description.record_fn(device.data)
                if record is not SESSION_UNKNOWN:
                    meter = (
                        None if description.meter_fn is None else description.meter_fn(device.data)
                    )
                    await self._async_process_device(
                        description, key, None if record is None else _utc_times(record), now, meter
                    )

    async def _async_process_device(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord | None,
        now: datetime,
        meter_kwh: float | None,
    ) -> None:
        decision = self._book.decide(key, record)
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
            self._complete(description, ended, final, now)
        if record is None:
            return
        match decision.next:
            case Next.UPDATE:
                self._book.update(key, record, now, meter_kwh)
                self._schedule_save()
            case Next.COMPLETE:
                self._complete(description, self._book.open[key], record, now)
            case Next.COMPLETE_UNSEEN:
                self._complete(description, self._book.unseen(key, record, now), record, now)
            case Next.START:
                self._start(description, key, record, now, meter_kwh)

    def _start(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord,
        now: datetime,
        meter_kwh: float | None,
    ) -> None:
        open_ = self._book.start(key, record, now, meter_kwh)
        LOGGER.debug("Session %s started on %s", open_.uid, key)
        fire_device_event(
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
        self._schedule_save()

    def _complete(
        self,
        description: SessionEventDescription,
        open_: OpenSession,
        final: SessionRecord | None,
        now: datetime,
    ) -> None:
        key = open_.device_key
        payload = self._book.complete(
            open_, final, now, self._names(description, key), self._parent_key(description, key)
        )
        LOGGER.debug("Session %s completed on %s: %s kWh", open_.uid, key, payload["energy_kwh"])
        fire_device_event(self.hass, self.entry.entry_id, key, SESSION_KEY, COMPLETED, payload)
        self.hass.bus.async_fire(
            EVENT_SESSION_COMPLETED, {**payload, "config_entry_id": self.entry.entry_id}
        )
        self._schedule_save()

    def _parent_key(self, description: SessionEventDescription, key: str) -> str | None:
        device = self._devices.get(key)
        if not description.connector or device is None:
            return None
        return device.identity.via_key

    def _names(self, description: SessionEventDescription, key: str) -> dict[str, Any]:
        """Station and connector as the user named them in the device registry."""
        by_identifier = entry_devices(self.hass, self.entry.entry_id)

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
        # One pending write at a time: a save per poll would postpone it forever.
        if self._save_pending:
            return
        self._save_pending = True
        self._store.async_delay_save(self._to_store, SAVE_DELAY_S)

    def _to_store(self) -> dict[str, Any]:
        self._save_pending = False
        return {"secret": self._secret.hex(), **self._book.to_store()}

    # --- Reading ---------------------------------------------------------------------------

    def delivered_kwh(self, key: str) -> float:
        """Energy delivered through ``key`` and the devices linked to it, since the entry exists."""
        return self._book.delivered_kwh(
            key, {child: device.identity.via_key for child, device in self._devices.items()}
        )

    def energy_today_kwh(self) -> float:
        """Energy of the sessions that ended since local midnight and of the running ones."""
        return self._book.energy_since(dt_util.start_of_local_day())

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
        """Completed sessions that started in [start, end): the device's records, else ours."""
        records = await self._site.async_completed_sessions(start, end)
        if records is None:
            return stored_history(self._book.completed, start, end)
        by_kind = {
            description.device_kind: description for description in self._session_descriptions
        }
        history = []
        for key, record in records:
            device = self._devices.get(key)
            description = by_kind.get(device.kind) if device is not None else None
            if description is None:
                names: dict[str, Any] = {"device_id": None, "station": None, "connector": None}
                parent_key = None
            else:
                names = self._names(description, key)
                parent_key = self._parent_key(description, key)
            history.append(
                device_history_item(
                    key, _utc_times(record), self.display_tag(record.tag), names, parent_key
                )
            )
        return history


def store_key(entry_id: str) -> str:
    """The storage key of an entry's sessions."""
    return f"{DOMAIN}.sessions.{entry_id}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's sessions (and its tag secret) with the entry."""
    await Store[dict[str, Any]](hass, STORE_VERSION, store_key(entry_id)).async_remove()
