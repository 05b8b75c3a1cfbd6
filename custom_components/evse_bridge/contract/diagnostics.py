"""What diagnostics may show: an allow-list of key paths per payload, every other value hidden.

A device may add a key to its answers with any firmware, and a new key is as likely to
hold a card UID or a password as a reading. So a vendor names the keys whose values
diagnostics may show; every other value is replaced by ``**REDACTED**`` while its key
stays, so that a maintainer still sees the payload's shape.

A path names keys from the top of one payload, separated by dots, in any letter case
(firmwares differ in it, and the clients read keys case-insensitively). Lists are looked
through (a path does not name their items), and a segment may be a pattern (``*`` any
one key, ``zone_*_reduction``) for keys that are ids or device keys. A path that ends at
an object or a list shows all of it: only for what the integration itself writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from homeassistant.components.diagnostics import REDACTED


def under(prefix: str, *keys: str) -> tuple[str, ...]:
    """The paths of ``keys`` under ``prefix``: ``under("info", "model")`` is ``info.model``."""
    return tuple(f"{prefix}.{key}" for key in keys)


class _Node:
    """The paths below one key: the segments that continue them, or all of it shown."""

    __slots__ = ("children", "whole")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.whole = False

    def add(self, segments: list[str]) -> None:
        if not segments:
            self.whole = True
            return
        self.children.setdefault(segments[0], _Node()).add(segments[1:])

    def child(self, key: str) -> _Node | None:
        exact = self.children.get(key)
        found = [exact] if exact is not None else []
        found += [
            node
            for pattern, node in self.children.items()
            if pattern != key and "*" in pattern and fnmatchcase(key, pattern)
        ]
        if len(found) <= 1:
            return found[0] if found else None
        merged = _Node()
        for node in found:
            merged.merge(node)
        return merged

    def merge(self, other: _Node) -> None:
        self.whole |= other.whole
        for segment, below in other.children.items():
            self.children.setdefault(segment, _Node()).merge(below)


@dataclass(frozen=True, slots=True, init=False)
class Shown:
    """The key paths of one payload whose values diagnostics may show."""

    paths: frozenset[str]
    _root: _Node = field(repr=False, compare=False)

    def __init__(self, *paths: str | Iterable[str]) -> None:
        flat = frozenset(
            path for item in paths for path in ((item,) if isinstance(item, str) else item)
        )
        root = _Node()
        for path in flat:
            root.add(path.lower().split("."))
        object.__setattr__(self, "paths", flat)
        object.__setattr__(self, "_root", root)

    def __or__(self, other: Shown) -> Shown:
        return Shown(self.paths | other.paths)

    def apply(self, value: Any) -> Any:
        """``value`` with every value outside these paths hidden, its keys kept."""
        return _apply(value, self._root)


NOTHING_SHOWN = Shown()


def _apply(value: Any, node: _Node | None) -> Any:
    if node is not None and node.whole:
        return value
    if isinstance(value, Mapping):
        return {
            key: _apply(item, None if node is None else node.child(str(key).lower()))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_apply(item, node) for item in value]
    # An empty value has nothing to hide (as in core's ``async_redact_data``).
    if value is None or value == "":
        return value
    return REDACTED


@dataclass(frozen=True, slots=True, kw_only=True)
class DiagnosticsShown:
    """What a vendor's diagnostics may show of each payload; the rest is hidden.

    The vendor's secret fields are never shown, whatever these paths say.
    """

    #: Paths in the entry's data (``host``, a certificate's fingerprint).
    entry_data: Shown = NOTHING_SHOWN
    #: Per device kind, paths in the parsed data of such a device.
    devices: Mapping[str, Shown] = field(default_factory=dict)
    #: Paths in ``Site.diagnostics()``: raw payloads by name, and the readings the client made.
    raw_payloads: Shown = NOTHING_SHOWN
    #: Keys of the entry's data that hold a credential besides the secret fields (a token
    #: the entry keeps): their values are hidden wherever they appear.
    entry_credentials: tuple[str, ...] = ()
