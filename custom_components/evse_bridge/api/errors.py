"""Errors raised by the EVSE Bridge client library."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import re


class EvseBridgeError(Exception):
    """Base class of every error the client library raises."""


class EvseConnectionError(EvseBridgeError):
    """The device could not be reached, timed out or dropped the connection."""


class EvseCertificateError(EvseConnectionError):
    """The device's TLS certificate is not trusted (system certificate authorities)."""


class EvseCertificateMismatchError(EvseCertificateError):
    """The device's TLS certificate differs from the one pinned at configuration.

    Never accepted silently: the user must confirm the new certificate.
    """

    def __init__(self, expected: str, received: str) -> None:
        """Keep both SHA-256 fingerprints (hex) so the user can compare them."""
        super().__init__(f"certificate fingerprint {received} differs from the pinned {expected}")
        self.expected = expected
        self.received = received


class EvseAuthenticationError(EvseBridgeError):
    """The device refused the configured credentials.

    Raised only when a fresh login with the configured secret fails: an expired
    or stolen session is renewed by the client and never surfaces as this error.
    """


class EvseResponseError(EvseBridgeError):
    """The device answered with an error status or a body that cannot be parsed."""


class EvseRedirectError(EvseResponseError):
    """The device answered with a redirect, which is never followed.

    Following it would send credentials (passwords, tokens, id tags) wherever the
    device points, possibly another host or plain HTTP. ``location`` is where it
    pointed, without user info or query.
    """

    def __init__(self, status: int, location: str) -> None:
        """Name the status and where the redirect pointed."""
        super().__init__(f"the device redirects (HTTP {status}) to {location}; not followed")
        self.status = status
        self.location = location


class EvseNotSupportedError(EvseBridgeError):
    """The device does not offer this endpoint (HTTP 404): firmware or setting."""


class EvseDetailUnavailableError(EvseNotSupportedError):
    """An optional endpoint gave nothing this time (405, 5xx, timeout, reset, garbage).

    The detail it adds is unknown for now and worth asking again later; unlike a
    404 it says nothing about the firmware. A subclass of the 404 error so that a
    caller that only knows that one still never fails on it.
    """


class EvseCommandRejectedError(EvseBridgeError):
    """The device received a command and answered that it rejects it."""


class EvseCommandTimeoutError(EvseBridgeError):
    """The device accepted a command for processing but gave no final answer in time."""


class EvseRateLimitedError(EvseConnectionError):
    """The service asked us to slow down (HTTP 429)."""

    def __init__(self, retry_after: float) -> None:
        """Keep how many seconds the service asked us to wait."""
        super().__init__(f"rate limited, retry after {retry_after:.0f} s")
        self.retry_after = retry_after


def scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    """``text`` with every secret replaced by ``***``, whatever its letter case."""
    for secret in secrets:
        if secret:
            text = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
    return text


@contextmanager
def secrets_scrubbed(*secrets: str | None) -> Iterator[None]:
    """Keep ``secrets`` (id tags) out of the text of any library error raised inside.

    A device may echo what it was sent, in any letter case, and an error's text
    reaches the user and the log.
    """
    try:
        yield
    except EvseBridgeError as err:
        err.args = tuple(scrub(arg, secrets) if isinstance(arg, str) else arg for arg in err.args)
        raise
