"""Tags as events and history show them: a keyed pseudonym, or the tag itself.

Tags are personal data: unless the entry's option says otherwise, a tag is
replaced by a keyed hash (a secret per entry, kept in the entry's store), stable
for grouping per card and not reversible without the secret. No Home Assistant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


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
        return tag.strip()
    return pseudonym(secret, tag)
