"""The contract between the vendors and the Home Assistant side of the integration.

A vendor package fills in these types (a ``Site`` that polls, ``DeviceData`` per
device, entity descriptions, a ``Vendor`` with its actions); the coordinator,
the platforms, the actions and the config flow read them and never name a
vendor. This package imports only the client library (``api/``), the
integration's constants and Home Assistant's own types and helpers.
"""
