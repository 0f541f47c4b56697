"""Retention policies, legal holds, disposal with signed certificates, capacity forecast.

`retention/policy.py` decides (pure), `retention/locks.py`, `holds.py` and `sweeper.py` apply.
"""
