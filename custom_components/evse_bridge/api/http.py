"""The one place the vendor clients turn aiohttp outcomes into library errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import json
from typing import Any

import aiohttp

from .errors import (
    EvseCertificateError,
    EvseCertificateMismatchError,
    EvseConnectionError,
    EvseRateLimitedError,
    EvseResponseError,
)

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """Status, headers and body of one HTTP exchange."""

    status: int
    body: bytes
    content_type: str
    retry_after: str | None = None

    def json(self) -> Any:
        """Decode the body as JSON or raise EvseResponseError."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as err:
            raise EvseResponseError("answer is not valid JSON") from err

    def text(self) -> str:
        """Decode the body as text or raise EvseResponseError."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return self.body.decode("latin-1")
            except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes all bytes
                raise EvseResponseError("answer is not text") from err


async def http_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> HttpAnswer:
    """Send one request and read the whole answer.

    Transport failures (refused, reset, timed out, truncated) raise
    EvseConnectionError, a certificate that fails verification or pinning one of
    its certificate subclasses; HTTP 429 raises EvseRateLimitedError. Every other status
    is returned to the caller, which knows what it means for its vendor.
    """
    try:
        async with session.request(
            method, url, timeout=aiohttp.ClientTimeout(total=timeout_s), **kwargs
        ) as response:
            body = await response.read()
            answer = HttpAnswer(
                status=response.status,
                body=body,
                content_type=response.content_type,
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


def parse_retry_after(value: str | None, default: float = 60.0) -> float:
    """Seconds to wait from a Retry-After header in seconds (dates fall back to default)."""
    if value is None:
        return default
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return default
