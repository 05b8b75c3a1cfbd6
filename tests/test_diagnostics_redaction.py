"""Diagnostics show only what a vendor's allow-list names; every other value is hidden."""

from __future__ import annotations

from homeassistant.components.diagnostics import REDACTED

from custom_components.evse_bridge.contract.diagnostics import Shown, under
from custom_components.evse_bridge.vendors import VENDORS


def test_only_named_paths_are_shown_and_every_key_stays() -> None:
    shown = Shown(
        "voltage",
        under("transactions", "energy", "meterStart", "authorizationToken.type"),
        "zone_*.power_w",
        "readings",
    )
    payload = {
        "voltage": 230,
        "auth_uid": "046e453af012ca3",
        "stage": "charging",
        "transactions": [
            {"authorizationToken": {"idToken": "DEADBEEF", "type": "RFID"}, "energy": 3.2},
            {"IdTag": "CAFE0001", "MeterStart": 10},
        ],
        "zone_7": {"power_w": 1200, "owner": "Jane"},
        "readings": {"card_field": "idTag", "fields": ["a", "b"]},
        "counts": [1, 2],
        "emptyToken": "",
        "noPassword": None,
    }
    assert shown.apply(payload) == {
        "voltage": 230,
        # A key nobody named: its value hidden, whatever it looks like.
        "auth_uid": REDACTED,
        "stage": REDACTED,
        "transactions": [
            {"authorizationToken": {"idToken": REDACTED, "type": "RFID"}, "energy": 3.2},
            # Keys in any letter case, as the clients read them.
            {"IdTag": REDACTED, "MeterStart": 10},
        ],
        "zone_7": {"power_w": 1200, "owner": REDACTED},
        # A path to an object shows all of it (the integration's own readings).
        "readings": {"card_field": "idTag", "fields": ["a", "b"]},
        # A list nobody named keeps its length, not its values.
        "counts": [REDACTED, REDACTED],
        # Nothing to hide: an empty or missing value stays what it is, as in core.
        "emptyToken": "",
        "noPassword": None,
    }


def test_every_vendor_declares_what_its_devices_show() -> None:
    for vendor in VENDORS.values():
        assert vendor.diagnostics.raw_payloads.paths, vendor.key
        assert vendor.diagnostics.devices, vendor.key
        # A secret field is never named: it would be hidden anyway, and naming it is a slip.
        named = {path.split(".")[0] for path in vendor.diagnostics.entry_data.paths}
        assert not named & set(vendor.secret_fields), vendor.key
