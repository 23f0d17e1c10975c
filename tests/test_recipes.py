"""The CI recipes in docs/recipes/ are valid as far as this machine can tell without a cluster.

* GitHub Actions workflow: parsed with PyYAML, validated against the SchemaStore
  workflow schema vendored by ``check-jsonschema`` (offline), plus the gate structure:
  a gate job that every GPU job needs, on the same self-hosted runner labels.
* Kubernetes Job/DaemonSet: validated against the Kubernetes OpenAPI schemas vendored by
  ``kubernetes-validate`` (strict: unknown fields fail), plus GPU requests/tolerations.
* Slurm: ``bash -n`` on the script, ``#SBATCH`` lines well formed, and its pytest
  command line really parsed by pytest (``--help`` with the plugin's options).
The schema packages are optional test dependencies (``pip install check-jsonschema
kubernetes-validate``); without them the structural checks still run.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

yaml = pytest.importorskip("yaml")

RECIPES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "recipes")
WORKFLOW = os.path.join(RECIPES, "github-actions-gpu-gate.yml")
K8S = [os.path.join(RECIPES, n) for n in ("k8s-dlready-job.yaml", "k8s-dlready-daemonset.yaml")]
SLURM = os.path.join(RECIPES, "slurm-dlready-array.sh")


def _load_all(path: str) -> list:
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def _workflow() -> dict:
    (doc,) = _load_all(WORKFLOW)
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean; GitHub reads it as "on"
        doc["on"] = doc.pop(True)
    return doc


def test_workflow_against_the_schemastore_schema() -> None:
    pytest.importorskip("check_jsonschema")
    import check_jsonschema
    import jsonschema

    path = os.path.join(os.path.dirname(check_jsonschema.__file__), "builtin_schemas", "vendor", "github-workflows.json")
    with open(path, encoding="utf-8") as fh:
        schema = json.load(fh)
    jsonschema.validate(_workflow(), schema)
    broken = _workflow()
    broken["jobs"]["gate"]["steps"][0] = {"uses": "actions/checkout@v4", "run": "both is invalid"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_workflow_gates_the_gpu_jobs() -> None:
    wf = _workflow()
    jobs = wf["jobs"]
    gate = jobs["gate"]
    command = " ".join(s.get("run", "") for s in gate["steps"])
    assert "--dlready" in command and "--dlready-require-gpu" in command and "--dlready-json=" in command
    gpu_jobs = [name for name, job in jobs.items() if name != "gate" and job["runs-on"] == gate["runs-on"]]
    assert gpu_jobs, "no GPU job behind the gate"
    for name in gpu_jobs:
        needs = jobs[name].get("needs", [])
        assert "gate" in ([needs] if isinstance(needs, str) else needs), name
    for name, job in jobs.items():
        needs = job.get("needs", [])
        for dep in [needs] if isinstance(needs, str) else needs:
            assert dep in jobs, f"{name} needs unknown job {dep}"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    uploads = [s for s in gate["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0].get("if") == "always()"  # reports kept when the gate fails


@pytest.mark.parametrize("path", K8S, ids=os.path.basename)
def test_kubernetes_manifests_against_the_openapi_schemas(path: str) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    for doc in _load_all(path):
        for version in ("1.29.0", "1.33.0"):
            kv.validate(doc, version, strict=True)
    doc = _load_all(path)[-1]
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"  # a typo must fail
    with pytest.raises(kv.ValidationError):
        kv.validate(doc, "1.33.0", strict=True)


@pytest.mark.parametrize("path", K8S, ids=os.path.basename)
def test_kubernetes_manifests_structure(path: str) -> None:
    docs = _load_all(path)
    workloads = [d for d in docs if d["kind"] in ("Job", "DaemonSet")]
    assert len(workloads) == 1
    w = workloads[0]
    assert w["apiVersion"] == {"Job": "batch/v1", "DaemonSet": "apps/v1"}[w["kind"]]
    pod = w["spec"]["template"]
    spec = pod["spec"]
    if w["kind"] == "Job":
        assert spec["restartPolicy"] in ("Never", "OnFailure")
        assert spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == "kubernetes.io/hostname"
        check = spec["containers"][0]
    else:
        assert w["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        check = spec["initContainers"][0]
    assert check["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
    command = " ".join(check["args"])
    assert "--dlready-require-gpu" in command and "--dlready-json=/reports/${NODE_NAME}.json" in command
    mounts = {m["name"] for m in check["volumeMounts"]}
    assert mounts <= {v["name"] for v in spec["volumes"]}


def test_slurm_script_parses_and_its_pytest_command_is_real(tmp_path) -> None:
    subprocess.run(["bash", "-n", SLURM], check=True)
    text = open(SLURM, encoding="utf-8").read()
    sbatch = re.findall(r"^#SBATCH (\S+)", text, flags=re.M)
    assert "--array=0-7" in sbatch and all(re.fullmatch(r"--[a-z-]+(=\S+)?", s) for s in sbatch)
    # the pytest line, with its shell variables filled in, is accepted by pytest + the plugin
    line = re.search(r'"\$PYTHON" -m pytest (.*?)\|\| status', text, flags=re.S).group(1).replace("\\\n", " ")
    line = line.replace("$REPORTS", str(tmp_path)).replace("$node", "node01").replace('"$TIER"', "standard")
    args = shlex.split(line)
    assert "--dlready-require-gpu" in args
    proc = subprocess.run([sys.executable, "-m", "pytest", *args, "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--dlready-require-gpu" in proc.stdout
