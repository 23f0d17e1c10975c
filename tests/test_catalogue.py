"""Every finding code has a title and a next step; codes are unique and stable in shape."""
import re

from pytest_dlready import catalogue


def test_every_code_has_title_and_fix():
    codes = catalogue.load_all()
    assert len(codes) >= 20
    for code, entry in codes.items():
        assert re.fullmatch(r"DLR-[A-Z0-9-]+", code), code
        assert entry.title.strip(), code
        assert entry.fix.strip() or code.endswith("-OK"), code  # a pass needs no next step


def test_redefining_a_code_differently_is_refused():
    catalogue.define("DLR-TEST-ONLY", "t", "f")
    catalogue.define("DLR-TEST-ONLY", "t", "f")  # same text: fine (module reloads)
    try:
        catalogue.define("DLR-TEST-ONLY", "other", "f")
    except ValueError as exc:
        assert "DLR-TEST-ONLY" in str(exc)
    else:
        raise AssertionError("a code defined twice with different text must be refused")
    finally:
        catalogue.CODES.pop("DLR-TEST-ONLY", None)


PACKAGE = __import__("os").path.dirname(catalogue.__file__)


def _code_literals():
    """Every ``DLR-...`` string the package's source contains (codes a finding can carry)."""
    import ast
    import os

    found = {}
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for code in re.findall(r"\bDLR-[A-Z0-9]+(?:-[A-Z0-9]+)+\b", node.value):
                        found.setdefault(code, os.path.relpath(path, PACKAGE))
    return found


def test_every_code_in_the_source_is_defined_or_retired():
    codes = catalogue.load_all()
    literals = _code_literals()
    assert len(literals) >= 90
    unknown = {c: where for c, where in literals.items() if c not in codes and c not in catalogue.ALIASES}
    assert not unknown, f"codes used but never defined: {unknown}"


def test_retired_codes_point_at_defined_codes_and_keep_their_text():
    codes = catalogue.load_all()
    assert len(catalogue.ALIASES) >= 20
    for old, new in catalogue.ALIASES.items():
        assert old not in codes and catalogue.canonical(old) in codes, old
        assert catalogue.title_for(old) and catalogue.fix_for(old), old
    # the condition "the GPU drives a display" is one code now, whatever saw it
    assert {catalogue.canonical(c) for c in ("DLR-CAUSE-DISPLAY", "DLR-DQ-WATCHDOG", "DLR-GPU-DISPLAY",
                                             "DLR-SMI-DISPLAY")} == {"DLR-GPU-DISPLAY"}


def test_every_code_a_recorded_report_carries_is_known():
    import glob
    import json
    import os

    codes = catalogue.load_all()
    golden = glob.glob(os.path.join(os.path.dirname(__file__), "data", "golden", "*.report.json"))
    assert golden
    seen = set()
    for path in golden:
        seen |= set(re.findall(r'"(DLR-[A-Z0-9-]+)"', open(path, encoding="utf-8").read()))
    assert seen and all(c in codes or c in catalogue.ALIASES for c in seen), seen - set(codes) - set(catalogue.ALIASES)
    assert {"DLR-TRAIN-CPU-OK", "DLR-TRAIN-NOT-RUN", "DLR-TEST-ERROR", "DLR-WORKER-LOST"} <= set(codes)
