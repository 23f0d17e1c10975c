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
