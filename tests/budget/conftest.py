"""The EVCE hub simulator's fixtures, for budgets that manage its zones."""

from tests.schneider_evce.conftest import (  # noqa: F401
    clock,
    entry,
    fake_sleep,
    hub,
    loaded_entry,
    sim,
)
