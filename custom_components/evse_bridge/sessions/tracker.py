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

Tags are personal data: unless the entry's option says otherwise, a tag is
replaced by a keyed hash (a secret per entry, kept in the store), stable for
grouping per card. Nothing here logs a tag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import hashlib
import hmac
import secrets
from typing import Any, Final
import uuid

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import (
    HomeAssistant,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import EvseBridgeError
from ..const import CONF_INCLUDE_TAG_IDS, DOMAIN, LOGGER
from ..contract.descriptions import EvseBridgeEntityDescription
from ..contract.events import (
    fire_device_event,
)
from ..contract.records import (
    SESSION_UNKNOWN,
    SessionRecord,
)
from ..contract.sessions import COMPLETED, SESSION_KEY, STARTED, SessionEventDescription
from ..contract.site import (
    DeviceData,
    Site,
    SiteData,
)
from ..registry import entry_devices, registry_name

EVENT_SESSION_COMPLETED: Final = f"{DOMAIN}_session_completed"


STORE_VERSION: Final = 1
#: Completed sessions are kept this long (13 months: a year compared month by month).
KEEP: Final = timedelta(days=396)
#: Writes wait this long, so a poll never waits for the disk.
SAVE_DELAY_S: Final = 10.0
#: Two readings without a device id are the same session when their starts are this close.
SAME_START_TOLERANCE: Final = timedelta(minutes=5)
#: Energy may read this much lower on a later poll of the same session (rounding).
ENERGY_TOLERANCE_KWH: Final = 0.01


def _iso(value: datetime | None) -> str | None:
    return None if value is None else dt_util.as_utc(value).isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else dt_util.parse_datetime(value)


@dataclass(slots=True, kw_only=True)
class _OpenSession:
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

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> _OpenSession:
        known: dict[str, Any] = {key: value.get(key) for key in cls.__dataclass_fields__}
        return cls(**known)


def _peak(*values: float | None) -> float | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def _same(open_: _OpenSession, record: SessionRecord) -> bool:
    """Whether ``record`` continues ``open_`` (after a poll, a restart or a connection loss)."""
    if open_.device_id is not None and record.id is not None:
        return open_.device_id == record.id
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
    start = _parse(open_.start)
    if start is not None and record.start is not None:
        return abs(record.start - start) <= SAME_START_TOLERANCE
    return True


def _counted_since(
    open_: _OpenSession, record: SessionRecord | None, meter_kwh: float | None
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
        self._since = dt_util.utcnow()
        self._open: dict[str, _OpenSession] = {}
        self._completed: list[dict[str, Any]] = []
        self._completed_ids: set[str] = set()
        #: Energy of the completed sessions per device key, in kWh.
        self._delivered: dict[str, float] = defaultdict(float)
        self._save_pending = False
        #: Events are fired only once the entities exist (after the platforms are set up).
        self.ready = False
        self._devices: dict[str, DeviceData] = {}

    async def async_load(self) -> None:
        """Read the open and completed sessions; make the entry's tag secret the first time."""
        stored = await self._store.async_load() or {}
        secret = stored.get("secret")
        self._secret = bytes.fromhex(secret) if secret else secrets.token_bytes(32)
        self._since = _parse(stored.get("since")) or dt_util.utcnow()
        self._open = {
            key: _OpenSession.from_dict(value) for key, value in stored.get("open", {}).items()
        }
        self._completed = list(stored.get("completed", []))
        self._delivered.update(stored.get("delivered", {}))
        self._prune()
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

    def _descriptions(self) -> list[SessionEventDescription]:
        return self._session_descriptions

    async def async_process(self, data: SiteData) -> None:
        """Compare one successful poll with the open sessions."""
        self._devices = data.devices
        if not self.ready:
            return
        now = dt_util.utcnow()
        for description in self._descriptions():
            for key, device in data.devices.items():
                if device.kind != description.device_kind or not description.exists_fn(device.data):
                    continue
                record = description.record_fn(device.data)
                if record is not SESSION_UNKNOWN:
                    meter = (
                        None if description.meter_fn is None else description.meter_fn(device.data)
                    )
                    await self._async_process_device(description, key, record, now, meter)

    async def _async_process_device(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord | None,
        now: datetime,
        meter_kwh: float | None = None,
    ) -> None:
        open_ = self._open.get(key)
        if open_ is not None and (record is None or not _same(open_, record)):
            # It ended (idle now, or another session runs): the device's record of it if
            # it has one, else the last poll that saw it running. Closed before the wait,
            # so a poll that overlaps this one cannot complete it a second time.
            self._open.pop(key, None)
            final = None
            if open_.device_id is not None:
                try:
                    final = await self._site.async_final_session(key, open_.device_id)
                except EvseBridgeError as err:
                    LOGGER.debug("No final record of session %s: %s", open_.uid, err)
            if final is None:
                final = _counted_since(open_, record, meter_kwh)
            self._complete(description, open_, final, now)
            open_ = None
        if record is None:
            return
        if open_ is not None:
            if record.ended:
                self._complete(description, open_, record, now)
            else:
                self._update(open_, record, now)
                open_.meter_kwh = meter_kwh
                self._schedule_save()
            return
        if record.id is not None and record.id in self._completed_ids:
            return
        if record.ended:
            # Started and ended unseen (between polls, or while Home Assistant was down).
            ended_at = record.end or record.start
            if record.id is None or ended_at is None or ended_at < self._since:
                return
            self._complete(description, self._open_from(key, record, now), record, now)
            return
        self._start(description, key, record, now, meter_kwh)

    def _open_from(self, key: str, record: SessionRecord, now: datetime) -> _OpenSession:
        return _OpenSession(
            uid=record.id if record.id is not None else uuid.uuid4().hex,
            device_id=record.id,
            device_key=key,
            start=_iso(record.start),
            energy_kwh=record.energy_kwh,
            duration_s=record.duration_s,
            peak_power_w=record.power_w,
            tag=self.display_tag(record.tag),
            vehicle_soc=record.vehicle_soc,
            stop_reason=record.stop_reason,
            last_seen=now.isoformat(),
        )

    def _start(
        self,
        description: SessionEventDescription,
        key: str,
        record: SessionRecord,
        now: datetime,
        meter_kwh: float | None,
    ) -> None:
        open_ = self._open_from(key, record, now)
        open_.meter_kwh = meter_kwh
        if open_.start is None:
            # A device that gives no start: the first poll that saw it (kept across restarts).
            open_.start = _iso(now)
        self._open[key] = open_
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

    def _update(self, open_: _OpenSession, record: SessionRecord, now: datetime) -> None:
        if record.energy_kwh is not None:
            open_.energy_kwh = record.energy_kwh
        if record.duration_s is not None:
            open_.duration_s = record.duration_s
        open_.peak_power_w = _peak(open_.peak_power_w, record.power_w)
        if record.vehicle_soc is not None:
            open_.vehicle_soc = record.vehicle_soc
        if record.stop_reason is not None:
            open_.stop_reason = record.stop_reason
        if open_.tag is None and record.tag is not None:
            # Some devices report the tag only once the session is authorized.
            open_.tag = self.display_tag(record.tag)
        open_.last_seen = now.isoformat()

    def _complete(
        self,
        description: SessionEventDescription,
        open_: _OpenSession,
        final: SessionRecord | None,
        now: datetime,
    ) -> None:
        key = open_.device_key
        self._open.pop(key, None)
        if final is not None:
            self._update(open_, final, now)
            if final.start is not None and open_.start is None:
                open_.start = _iso(final.start)
        start = _parse(open_.start)
        end = (final.end if final is not None else None) or _parse(open_.last_seen) or now
        duration = open_.duration_s
        if duration is None and start is not None:
            duration = max(0.0, (end - start).total_seconds())
        if start is None and duration is not None:
            start = end - timedelta(seconds=duration)
        energy = round(open_.energy_kwh or 0.0, 3)
        if open_.device_id is not None:
            self._completed_ids.add(open_.device_id)
        self._delivered[key] += energy
        names = self._names(description, key)
        payload: dict[str, Any] = {
            "session_id": open_.uid,
            "start": _iso(start),
            "end": _iso(end),
            "duration_s": None if duration is None else round(duration),
            "energy_kwh": energy,
            "peak_power_w": open_.peak_power_w,
            "tag": open_.tag,
            "vehicle_soc": open_.vehicle_soc,
            "stop_reason": open_.stop_reason,
            **names,
        }
        self._completed.append(
            {**payload, "device_key": key, "parent_key": self._parent_key(description, key)}
        )
        LOGGER.debug("Session %s completed on %s: %s kWh", open_.uid, key, energy)
        fire_device_event(self.hass, self.entry.entry_id, key, SESSION_KEY, COMPLETED, payload)
        self.hass.bus.async_fire(
            EVENT_SESSION_COMPLETED,
            {
                **payload,
                "config_entry_id": self.entry.entry_id,
                "device_id": names.pop("device_id", None),
            },
        )
        self._prune()
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
        if tag is None or not tag.strip():
            return None
        if self.entry.options.get(CONF_INCLUDE_TAG_IDS, False):
            return tag.strip()
        return self.pseudonym(tag)

    def pseudonym(self, tag: str) -> str:
        """Stable per entry and card, not reversible without the entry's secret."""
        digest = hmac.new(self._secret, tag.strip().upper().encode(), hashlib.sha256)
        return f"tag_{digest.hexdigest()[:16]}"

    def _prune(self) -> None:
        oldest = dt_util.utcnow() - KEEP
        self._completed = [
            item
            for item in self._completed
            if (_parse(item.get("end")) or dt_util.utcnow()) >= oldest
        ]
        self._completed_ids = {
            item["session_id"] for item in self._completed if item.get("session_id")
        } | self._completed_ids

    def _schedule_save(self) -> None:
        # One pending write at a time: a save per poll would postpone it forever.
        if self._save_pending:
            return
        self._save_pending = True
        self._store.async_delay_save(self._to_store, SAVE_DELAY_S)

    def _to_store(self) -> dict[str, Any]:
        self._save_pending = False
        return {
            "secret": self._secret.hex(),
            "since": self._since.isoformat(),
            "open": {key: asdict(value) for key, value in self._open.items()},
            "completed": self._completed,
            "delivered": dict(self._delivered),
        }

    # --- Reading ---------------------------------------------------------------------------

    def delivered_kwh(self, key: str) -> float:
        """Energy delivered through ``key`` and the devices linked to it, since the entry exists."""
        total = self._delivered.get(key, 0.0)
        open_ = self._open.get(key)
        if open_ is not None and open_.energy_kwh is not None:
            total += open_.energy_kwh
        for child_key, device in self._devices.items():
            if device.identity.via_key == key and child_key != key:
                total += self.delivered_kwh(child_key)
        return round(total, 3)

    async def async_history(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Completed sessions that started in [start, end): the device's records, else ours."""
        records = await self._site.async_completed_sessions(start, end)
        if records is None:
            return [
                item
                for item in self._completed
                if (begin := _parse(item.get("start") or item.get("end"))) is not None
                and start <= begin < end
            ]
        history = []
        by_kind = {description.device_kind: description for description in self._descriptions()}
        for key, record in records:
            device = self._devices.get(key)
            description = by_kind.get(device.kind) if device is not None else None
            names = (
                self._names(description, key)
                if description is not None
                else {"device_id": None, "station": None, "connector": None}
            )
            duration = record.duration_s
            if duration is None and record.start is not None and record.end is not None:
                duration = (record.end - record.start).total_seconds()
            history.append(
                {
                    "session_id": record.id,
                    "start": _iso(record.start),
                    "end": _iso(record.end),
                    "duration_s": None if duration is None else round(duration),
                    "energy_kwh": round(record.energy_kwh or 0.0, 3),
                    "peak_power_w": record.power_w,
                    "tag": self.display_tag(record.tag),
                    "vehicle_soc": record.vehicle_soc,
                    "stop_reason": record.stop_reason,
                    **names,
                    "device_key": key,
                    "parent_key": None
                    if device is None or description is None or not description.connector
                    else device.identity.via_key,
                }
            )
        return history


def store_key(entry_id: str) -> str:
    """The storage key of an entry's sessions."""
    return f"{DOMAIN}.sessions.{entry_id}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's sessions (and its tag secret) with the entry."""
    await Store[dict[str, Any]](hass, STORE_VERSION, store_key(entry_id)).async_remove()
