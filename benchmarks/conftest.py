"""The benchmark reuses the tests' fixtures (simulator on 127.0.0.1, Home Assistant harness)."""

from collections.abc import Iterator
import logging

import pytest

from tests.conftest import auto_enable_custom_integrations, start_simulator

__all__ = ["auto_enable_custom_integrations", "quiet_logs", "start_simulator"]


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """Keep the report readable: thousands of entity registrations and requests log at INFO."""
    root, loop_debug = logging.getLogger(), logging.getLogger("asyncio")
    levels = root.level, loop_debug.level
    root.setLevel(logging.WARNING)
    # Simulated time jumps 15 s a poll, which asyncio's debug mode reports as slow steps.
    loop_debug.setLevel(logging.ERROR)
    yield
    root.setLevel(levels[0])
    loop_debug.setLevel(levels[1])
