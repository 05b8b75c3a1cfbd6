"""Asyncio clients for the EV charging controllers EVSE Bridge supports.

This package has no Home Assistant imports: it takes an aiohttp session and
returns typed data or raises the errors of ``errors``.
"""

from .errors import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCertificateError,
    EvseCertificateMismatchError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseConnectionError,
    EvseDetailUnavailableError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseRedirectError,
    EvseResponseError,
)

__all__ = [
    "EvseAuthenticationError",
    "EvseBridgeError",
    "EvseCertificateError",
    "EvseCertificateMismatchError",
    "EvseCommandRejectedError",
    "EvseCommandTimeoutError",
    "EvseConnectionError",
    "EvseDetailUnavailableError",
    "EvseNotSupportedError",
    "EvseRateLimitedError",
    "EvseRedirectError",
    "EvseResponseError",
]
