"""The one place the vendor clients turn aiohttp outcomes into library errors.

Every answer is untrusted: redirects are never followed (credentials must not
travel to where a device points), bodies are read up to a cap, JSON is checked
for nesting before it is decoded, and a ``Retry-After`` is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import functools
import json
import re
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from .errors import (
    EvseCertificateError,
    EvseCertificateMismatchError,
    EvseConnectionError,
    EvseRateLimitedError,
    EvseRedirectError,
    EvseResponseError,
)
from .parsing import bounded_seconds

DEFAULT_TIMEOUT = 10.0
#: Largest answer read from an endpoint that returns one object (a state, a login):
#: a hundred times what any of them sends.
MAX_BODY = 1024 * 1024
#: Largest answer of an endpoint that lists many devices (a hub with 300 stations
#: and their statuses, a cloud account with a thousand stations): several times what they
#: need, and small enough that decoding a hostile one does not hold up the event loop long.
MAX_LIST_BODY = 4 * 1024 * 1024
#: Deepest JSON nesting accepted. The vendors' answers nest six levels at most.
MAX_JSON_DEPTH = 32
#: Most objects and lists one answer may hold: ten times what a thousand ChargEye stations
#: or 300 EVCE stations need. It bounds the decoding work, which grows with their number.
MAX_JSON_CONTAINERS = 100_000
#: Longest wait a ``Retry-After`` may impose, and the wait when it cannot be read.
MAX_RETRY_AFTER_S = 3600.0
DEFAULT_RETRY_AFTER_S = 60.0

_CHUNK = 64 * 1024
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
#: Control characters that would split or corrupt a header (tab is allowed).
_HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _json_int(text: str) -> int | float:
    # Up to 18 digits always fits 64 bits; longer integers become floats (inf when huge),
    # which the parsers show as unknown, instead of failing the whole answer.
    return int(text) if len(text) <= 18 else float(text)


def _depth_within(value: Any, limit: int) -> bool:
    """Whether containers nest at most ``limit`` deep (breadth first, stops past the limit)."""
    level = [value]
    for _ in range(limit):
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below.extend(child for child in children if type(child) in (dict, list))
        if not below:
            return True
        level = below
    return False


def decode_json(body: bytes | str) -> Any:
    """Decode JSON from a device, or raise EvseResponseError.

    The work is bounded before decoding: a body with more than
    ``MAX_JSON_CONTAINERS`` brackets is refused (a byte count), Python's decoder
    gives up on extreme nesting by itself (RecursionError, after a few thousand
    bytes), and what it returns is checked against ``MAX_JSON_DEPTH`` unless the
    body has too few brackets to nest that deep.
    """
    raw = body.encode() if isinstance(body, str) else body
    containers = raw.count(b"[") + raw.count(b"{")
    if containers > MAX_JSON_CONTAINERS:
        raise EvseResponseError(f"answer holds more than {MAX_JSON_CONTAINERS} JSON objects")
    # The integer hook costs a Python call per integer: only when one may be too long.
    hook = _json_int if _LONG_DIGITS.search(raw) else None
    try:
        decoded = json.loads(body, parse_int=hook)
    except RecursionError as err:
        raise EvseResponseError(f"answer is JSON nested deeper than {MAX_JSON_DEPTH}") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise EvseResponseError("answer is not valid JSON") from err
    if type(decoded) not in (dict, list):
        return decoded
    if containers > MAX_JSON_DEPTH and not _depth_within(decoded, MAX_JSON_DEPTH):
        raise EvseResponseError(f"answer is JSON nested deeper than {MAX_JSON_DEPTH}")
    return decoded


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """Status, headers and body of one HTTP exchange."""

    status: int
    body: bytes
    retry_after: str | None = None

    def json(self) -> Any:
        """Decode the body as JSON or raise EvseResponseError."""
        return decode_json(self.body)

    def text(self) -> str:
        """Decode the body as text or raise EvseResponseError."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return self.body.decode("latin-1")
            except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes all bytes
                raise EvseResponseError("answer is not text") from err


@functools.lru_cache(maxsize=16)
def _timeout(total_s: float) -> aiohttp.ClientTimeout:
    """One timeout object per length (immutable): a client asks for the same one every poll."""
    return aiohttp.ClientTimeout(total=total_s)


def _check_headers(headers: Any) -> None:
    """Refuse header values with control characters before aiohttp sees them."""
    if not isinstance(headers, Mapping):
        return
    for name, value in headers.items():
        if isinstance(value, str) and _HEADER_UNSAFE.search(value):
            raise EvseResponseError(f"the {name} header would hold control characters")


def _redirect_target(url: str, location: str | None) -> str:
    """Where a redirect pointed, without user info, query or fragment (they may hold secrets)."""
    if not location:
        return "nowhere (no Location header)"
    try:
        target = URL(url).join(URL(location))
    except ValueError:
        return "an invalid location"
    if not target.is_absolute():  # pragma: no cover - joined onto an absolute URL
        return "an invalid location"
    return str(target.with_user(None).with_query(None).with_fragment(None))[:200]


def path_segment(value: object) -> str:
    """``value`` quoted as exactly one URL path segment.

    An id from a user or a device never reaches another path: ``/``, ``?``, ``#`` and
    ``%`` are escaped, and the dot segments that a URL normalises away are refused (an
    id a device sent: the answer is not what the document describes).
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise EvseResponseError("an id is not a path segment")
    return quote(text, safe="")


async def http_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT,
    max_body: int = MAX_BODY,
    **kwargs: Any,
) -> HttpAnswer:
    """Send one request and read the whole answer.

    Transport failures (refused, reset, timed out, truncated) raise
    EvseConnectionError, a certificate that fails verification or pinning one of
    its certificate subclasses; HTTP 429 raises EvseRateLimitedError; a redirect
    raises EvseRedirectError (it is never followed); an answer longer than
    ``max_body`` bytes raises EvseResponseError. Every other status is returned
    to the caller, which knows what it means for its vendor.
    """
    _check_headers(kwargs.get("headers"))
    try:
        async with session.request(
            method,
            url,
            timeout=_timeout(timeout_s),
            allow_redirects=False,
            **kwargs,
        ) as response:
            if 300 <= response.status < 400:
                raise EvseRedirectError(
                    response.status,
                    _redirect_target(url, response.headers.get("Location")),
                )
            length = response.content_length
            if length is not None and length > max_body:
                raise EvseResponseError(f"answer of {length} bytes exceeds {max_body} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > max_body:
                    raise EvseResponseError(f"answer exceeds {max_body} bytes")
                chunks.append(chunk)
            answer = HttpAnswer(
                status=response.status,
                body=b"".join(chunks),
                retry_after=response.headers.get("Retry-After"),
            )
    except TimeoutError as err:
        raise EvseConnectionError(f"timeout after {timeout_s:.0f} s") from err
    except aiohttp.ServerFingerprintMismatch as err:
        raise EvseCertificateMismatchError(err.expected.hex(), err.got.hex()) from err
    except aiohttp.ClientConnectorCertificateError as err:
        raise EvseCertificateError("certificate not trusted") from err
    except aiohttp.ClientError as err:
        raise EvseConnectionError(f"{type(err).__name__}") from err
    except asyncio.CancelledError:
        raise
    if answer.status == 429:
        raise EvseRateLimitedError(parse_retry_after(answer.retry_after))
    return answer


def parse_retry_after(
    value: str | None,
    default: float = DEFAULT_RETRY_AFTER_S,
    *,
    now: datetime | None = None,
) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most one hour.

    A date in the past means no wait; negative or NaN seconds, text and unreadable
    dates give ``default``.
    """
    if value is None:
        return default
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if seconds < 0:
        return default
    return bounded_seconds(seconds, MAX_RETRY_AFTER_S, default)
