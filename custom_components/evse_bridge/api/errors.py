"""Errors raised by the EVSE Bridge client library."""

from __future__ import annotations


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


class EvseNotSupportedError(EvseBridgeError):
    """The device does not offer this endpoint (HTTP 404): firmware or setting."""


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
