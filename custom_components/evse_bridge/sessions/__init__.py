"""Charging sessions: detected across polls, stored, reported once, read back for billing.

Without Home Assistant: ``core`` decides what each poll means and keeps the book
of an entry's sessions; ``history`` filters, totals and groups them; ``tags``
makes the pseudonyms. On top: ``tracker`` holds an entry's sessions (the store,
the events, the registry's names); ``action`` answers ``get_sessions`` from them.
"""
