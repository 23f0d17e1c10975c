"""pytest-xdist across hosts: every gateway probes its own host, results stay per host.

Real xdist, real gateways: several local ``popen`` gateways made to differ the way
hosts differ (their own environment via ``//env:``), one of which dies mid-run by
SIGKILL. No fake GPUs: the check in the test file judges each worker's own probed
facts. Each run takes ~3-5 s (subprocess + 3 workers).
"""
from __future__ import annotations

import json
import sys

import pytest

pytest_plugins = ("pytester",)
pytest.importorskip("xdist")

#: keep only the test files given on the command line (the bundled suites are other areas' work)
ONLY_GIVEN = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_dlready.plugin import SUITES_DIR
    config.args = [a for a in config.args if not str(a).startswith(SUITES_DIR)]
"""

HOST_CHECKS = """
import os, signal
from pytest_dlready import facts as F
from pytest_dlready.results import Finding

def test_cuda_on_path(dl_facts, dl_check):
    path = F.get(dl_facts, "env.vars.PATH") or F.get(dl_facts, "env.PATH") or ""
    if "cuda" in path:
        dl_check(Finding("CUDA bin on PATH", "pass", "the CUDA toolkit's bin folder is on PATH"))
    else:
        dl_check(Finding("CUDA bin on PATH", "fail", "the CUDA toolkit's bin folder is not on PATH",
                         fix="add /usr/local/cuda/bin to PATH"))

def test_host_stays_up(dl_check):
    if os.environ.get("DLREADY_TEST_DIE"):
        os.kill(os.getpid(), signal.SIGKILL)   # this host disappears mid-run
    dl_check(Finding("host stays up", "pass", "worker finished"))
"""

GOOD_PATH = "/usr/local/cuda/bin:/usr/bin:/bin"
BAD_PATH = "/usr/bin:/bin"


def _run_each(pytester: pytest.Pytester, *tx: str, extra: tuple = ()) -> tuple:
    pytester.makeconftest(ONLY_GIVEN)
    test_file = pytester.makepyfile(test_hosts=HOST_CHECKS)
    args = ["-p", "no:cacheprovider", "--dlready", "--dlready-json=report.json", "--dist", "each",
            "--max-worker-restart=0", *extra]
    for spec in tx:
        args += ["--tx", spec]
    result = pytester.runpytest_subprocess(*args, str(test_file))
    doc = json.loads((pytester.path / "report.json").read_text())
    return result, doc


def test_each_gateway_probes_its_own_host_and_a_dead_one_is_reported(pytester: pytest.Pytester) -> None:
    py = sys.executable
    result, doc = _run_each(
        pytester,
        f"popen//python={py}//env:PATH={GOOD_PATH}",
        f"popen//python={py}//env:PATH={BAD_PATH}",
        f"popen//python={py}//env:PATH={GOOD_PATH}//env:DLREADY_TEST_DIE=1",
    )
    assert result.ret == 1
    hosts = {h["node"]: h for h in doc["hosts"]}
    assert sorted(hosts) == ["gw0", "gw1", "gw2"]
    # every gateway sent its own host identity, probed on that worker
    for node, host in hosts.items():
        assert host["hostname"], node
        assert host["facts_source"] == "probed", node
        assert "popen" in host["spec"] and "execmodel" not in host["spec"]
    assert doc["facts_source"].startswith("per host")
    assert hosts["gw0"]["verdict"]["status"] == "READY"
    assert hosts["gw0"]["verdict"]["counts"]["pass"] == 2
    # the host whose environment lacks CUDA fails on its own, not averaged with the others
    assert hosts["gw1"]["verdict"]["status"] == "NOT READY"
    assert [r["check"] for r in doc["rows"] if r["node"] == "gw1" and r["status"] == "fail"] == ["CUDA bin on PATH"]
    # the host that died: reported lost, its finished rows kept, the crash a FAIL row
    assert doc["lost_workers"] == ["gw2"]
    assert hosts["gw2"]["lost"] is True
    gw2 = {(r["check"], r["status"]) for r in doc["rows"] if r["node"] == "gw2"}
    assert ("CUDA bin on PATH", "pass") in gw2
    assert ("xdist worker gw2", "fail") in gw2
    assert ("host stays up", "fail") in gw2
    # nothing lost: all rows from the two healthy hosts are there
    assert sum(1 for r in doc["rows"] if r["node"] in ("gw0", "gw1")) == 4
    assert doc["verdict"]["status"] == "NOT READY"
    assert all(reason.startswith("[gw") for reason in doc["verdict"]["reasons"])
    result.stdout.fnmatch_lines(["*dlready: NOT READY*[gw*"])


def test_load_balanced_local_workers_share_the_controllers_facts(pytester: pytest.Pytester) -> None:
    """``-n 2`` stays one host: the controller's snapshot is shipped and no worker probes."""
    pytester.makeconftest(ONLY_GIVEN)
    snapshot = pytester.path / "snap.json"
    from pytest_dlready import facts as F
    from pytest_dlready.probes.collect import collect

    facts = collect(light=True)
    facts.setdefault("env", {}).setdefault("vars", {})["PATH"] = BAD_PATH  # a snapshot from a host without CUDA on PATH
    F.save(facts, str(snapshot))
    test_file = pytester.makepyfile(test_hosts=HOST_CHECKS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--dlready", "--dlready-json=report.json",
                                           f"--dlready-facts={snapshot}", "-n", "2", str(test_file))
    doc = json.loads((pytester.path / "report.json").read_text())
    assert result.ret == 1
    assert len(doc["hosts"]) == 1
    assert doc["hosts"][0]["facts_source"] == f"loaded from {snapshot}"
    # both workers judged the shipped snapshot, not their own environment
    fails = [r for r in doc["rows"] if r["check"] == "CUDA bin on PATH"]
    assert [r["status"] for r in fails] == ["fail"]
    assert fails[0]["node"] is None  # one host: a worker is not a host, its rows read as without -n


@pytest.mark.parametrize("dist, tx, expected", [
    ("each", [], True),
    ("load", ["ssh=gpu1//python=python3"], True),
    ("load", ["2*popen//python=python3"], False),
    ("no", [], False),
    ("loadscope", ["socket=10.0.0.5:8888"], True),
    (None, None, False),
])
def test_per_host_mode_rule(dist, tx, expected) -> None:
    from pytest_dlready.session import is_per_host

    assert is_per_host(dist, tx) is expected


def test_one_host_with_n_2_reads_exactly_as_without(tmp_path):
    """-n 2 on one machine: no [gwN] prefixes, rows in collection order -- the same table as without -n."""
    import json
    import os
    import subprocess
    import sys

    docs = []
    for extra in ([], ["-n", "2"]):
        out = tmp_path / f"r{len(extra)}.json"
        env = dict(os.environ)
        env.pop("PYTEST_ADDOPTS", None)
        subprocess.run([sys.executable, "-m", "pytest", "--dlready", "-p", "no:cacheprovider", "-k", "not training",
                        f"--dlready-json={out}", *extra], cwd=str(tmp_path), env=env, capture_output=True, timeout=300)
        docs.append(json.loads(out.read_text()))
    plain, dist = ([(r["check"], r["status"], r.get("node")) for r in d["rows"]] for d in docs)
    assert all(node is None for _c, _s, node in dist)
    assert [c for c, _s, _n in dist] == [c for c, _s, _n in plain]
