"""Probes: the only code that touches the system.

Each probe runs commands, loads libraries or reads env/files with a timeout, never
raises, and returns JSON-serialisable facts. :func:`pytest_dlready.probes.collect.collect`
runs them all into one snapshot.
"""
