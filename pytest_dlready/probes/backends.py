"""Which deep-learning backends are installed in each target Python environment.

Asked in a child process of each target interpreter (this one and every
``--dlready-python``), without importing the frameworks: finding a module and reading
its installed version takes milliseconds, importing TensorFlow takes seconds. The
child script stays Python 2.7-compatible because a legacy environment may be one.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

from . import runner

# module name -> distribution names to ask for the version (first found wins)
MODULES = {
    "numpy": ["numpy"], "torch": ["torch"], "tensorflow": ["tensorflow", "tensorflow-cpu", "tensorflow-gpu"],
    "jax": ["jax"], "jaxlib": ["jaxlib"], "keras": ["keras", "Keras"], "theano": ["Theano", "theano"],
    "pytensor": ["pytensor"], "cntk": ["cntk", "cntk-gpu"], "cupy": ["cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x", "cupy"],
    "gnumpy": ["gnumpy"], "cudamat": ["cudamat"], "nolearn": ["nolearn"], "pyopencl": ["pyopencl"],
    "pycuda": ["pycuda"], "numba": ["numba"], "pynvml": ["nvidia-ml-py", "pynvml"], "cuda": ["cuda-python", "cuda-bindings"],
    "sklearn": ["scikit-learn"], "threadpoolctl": ["threadpoolctl"], "pygpu": ["pygpu"],
}

CHILD = r"""
import json, sys
mods = json.loads(sys.argv[1])
out = {"python": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3], "modules": {}}
def find(name):
    try:
        import importlib.util as u
        return u.find_spec(name) is not None
    except ImportError:
        import imp
        try:
            imp.find_module(name)
            return True
        except ImportError:
            return False
    except Exception:
        return False
def version(dists):
    for d in dists:
        try:
            from importlib.metadata import version as v
            return v(d)
        except Exception:
            pass
        try:
            import pkg_resources
            return pkg_resources.get_distribution(d).version
        except Exception:
            pass
    return None
for name, dists in sorted(mods.items()):
    ok = find(name)
    out["modules"][name] = {"installed": bool(ok), "version": version(dists) if ok else None}
print(json.dumps(out))
"""


def probe_environment(python: str, timeout: float) -> Dict[str, Any]:
    rec = runner.run([python, "-c", CHILD, json.dumps(MODULES)], timeout=timeout)
    try:
        data = json.loads(rec.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (rec.stderr.strip().splitlines() or [rec.error or "no output"])[-1]
        return {"python": python, "error": f"could not probe {python}: {tail}", "modules": {}}
    data["python"] = python
    return data


def probe(facts: Dict[str, Any], settings: Any) -> None:
    timeout = getattr(settings, "probe_timeout", 20.0)
    targets: List[str] = [sys.executable] + [p for p in getattr(settings, "pythons", ()) if p != sys.executable]
    facts["backends"] = {"environments": [probe_environment(p, timeout) for p in targets]}
