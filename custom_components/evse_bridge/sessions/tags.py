"""Tags as events and history show them: a keyed pseudonym, or the tag itself.

Tags are personal data: unless the entry's option says otherwise, a tag is
replaced by a keyed hash (a secret per entry, kept in the entry's store), stable
for grouping per card and not reversible without the secret. No Home Assistant.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

#: What ``pseudonym`` makes: a tag the history already shows as a pseudonym.
_PSEUDONYM = re.compile(r"tag_[0-9a-f]{16}")


def new_secret() -> bytes:
    """A new entry's tag secret."""
    return secrets.token_bytes(32)


def pseudonym(secret: bytes, tag: str) -> str:
    """Stable per ``secret`` and card, whatever the case and surrounding space of ``tag``."""
    digest = hmac.new(secret, tag.strip().upper().encode(), hashlib.sha256)
    return f"tag_{digest.hexdigest()[:16]}"


def display_tag(tag: str | None, secret: bytes, *, include_ids: bool) -> str | None:
    """``tag`` as events and history show it: the tag itself only if ``include_ids``."""
    if tag is None or not tag.strip():
        return None
    if include_ids:
        return tag.strip().upper()
    return pseudonym(secret, tag)


def pseudonymised(tag: str | None, secret: bytes) -> str | None:
    """A tag the history kept while ids were shown, as its pseudonym (a pseudonym stays)."""
    if tag is None or _PSEUDONYM.fullmatch(tag):
        return tag
    return display_tag(tag, secret, include_ids=False)


def normalised(tag: str) -> str:
    """A tag as comparisons see it: cards and pseudonyms alike, whatever the letter case."""
    return tag.strip().upper()
