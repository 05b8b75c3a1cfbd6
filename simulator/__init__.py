"""A simulator of the EV charging controllers EVSE Bridge talks to.

Each simulated device is an aiohttp application; ``build_app`` wraps it with
fault injection and a small control API under ``/_sim`` that tests and
developers use to steer it.
"""
