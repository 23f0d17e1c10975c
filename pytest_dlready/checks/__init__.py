"""Checks: pure functions from a facts snapshot to findings. No pytest, no subprocess."""
