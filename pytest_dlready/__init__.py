"""pytest-dlready: is this machine really ready for deep learning on its GPU?

The plugin is split the way the checks are trusted: ``probes`` touch the system and
record facts, ``checks`` and ``parsers`` are pure functions of those facts, ``suites``
are ordinary pytest tests on fixtures, and ``report`` renders what they found.
"""
__version__ = "0.1.0"
