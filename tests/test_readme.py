"""The README's first screen stays true: two commands, CI runs the second, every link resolves."""
from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = _read("README.md")
    block = re.search(r"## The two commands\s+```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["pip install . && pytest --dlready", "bash scripts/test.sh"]
    ci = [line for line in _read(".ci", "run").splitlines() if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [commands[1]]


def test_readme_sample_is_a_whole_run_of_command_1():
    readme = _read("README.md")
    sample = re.search(r"```\n\$ pip install \. && pytest --dlready\n(.*?)```", readme, re.S).group(1)
    assert sample.startswith("=") and "test session starts" in sample.splitlines()[0]
    assert "dlready readiness" in sample and re.search(r"(?m)^dlready: (READY|NOT READY|NO VERDICT)", sample)
    assert re.search(r"(?m)^=+ .*(passed|failed).* in [0-9.]+s =+$", sample)  # pytest's last line: nothing cut


def test_readme_and_docs_links_resolve():
    for name in ["README.md"] + ["docs/" + n for n in os.listdir(os.path.join(ROOT, "docs")) if n.endswith(".md")]:
        text = _read(name)
        base = os.path.dirname(os.path.join(ROOT, name))
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert os.path.exists(os.path.join(base, target)), f"{name}: broken link {target}"
