"""The benchmark reuses the tests' fixtures (simulator on 127.0.0.1, Home Assistant harness)."""

from tests.conftest import auto_enable_custom_integrations, start_simulator

__all__ = ["auto_enable_custom_integrations", "start_simulator"]
