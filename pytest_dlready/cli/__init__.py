"""Command-line front ends of ``python -m pytest_dlready`` (``parse``, ``replay``; ``merge`` is ``reports.fleet``)."""
