"""Charging sessions: detected across polls, stored, reported once, read back for billing.

``tracker`` holds an entry's sessions (detection, events, the store);
``action`` answers ``get_sessions`` from them.
"""
