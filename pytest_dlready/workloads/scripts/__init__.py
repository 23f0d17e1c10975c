"""Workload scripts, run by path in the target interpreter (this one, a ``--dlready-python``, or a
legacy Python 2.7/3.6/3.7 environment): they never import ``pytest_dlready`` and keep to syntax
Python 2.7 reads where a legacy environment runs them. Protocol: ``workloads/protocol.py``."""
