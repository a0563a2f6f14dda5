"""The kernels compiled ahead of time into an extension module, so that no process pays numba's start-up.

Importing numba and loading the kernels from its disk cache costs 1.1-1.5 s of CPU in every new
process (numba's registries, its BLAS check importing scipy.linalg, the cached code), a fifth of a
day-long analysis. The same kernels compiled once into a CPython extension module
(``retrogait/analysis/_aot_kernels*.so``, by numba's ``pycc``) load in about a millisecond, without
numba. ``pip install`` builds it (setup.py calls :func:`build`; about a minute, and a C compiler:
without one the install goes on and the kernels are compiled at first use as before). After changing
a kernel, rebuild it with ``python -m retrogait.analysis.kernels.ahead`` (or reinstall): a module
built from other sources than the current ones is never used (:func:`retrogait.analysis.compiled.kernels`
compares its fingerprint with the sources').

Each exported function is a trampoline into the numba kernel of the same name (:mod:`retrogait.analysis.kernels`),
so the machine code is the kernel's own, compiled with its options (numpy's error model, no fast-math),
for the generic CPU of the architecture (a module built on one machine runs on any other of its kind).
Their types are fixed (:mod:`retrogait.analysis.kernel_signatures`); the callers' arguments are checked
against them before every call.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np  # noqa: F401  (numba types the trampolines' arrays with it)

from retrogait.analysis import compiled
from retrogait.analysis import kernels as jit_kernels
from retrogait.analysis.kernel_signatures import SIGNATURES, numba_signature
from retrogait.analysis.kernels.jit import CACHE as KERNEL_CACHE


def default_path() -> Path:
    """Where :func:`retrogait.analysis.compiled.kernels` looks for the module: beside the analysis package."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return Path(compiled.__file__).with_name(compiled.AHEAD_MODULE + suffix)


def _trampoline(kernel: Any, n_args: int) -> Callable[..., Any]:
    """A function of ``n_args`` arguments that calls ``kernel`` with them (pycc compiles exported
    functions with its own options; the kernel inside keeps those it was written with)."""
    names = ", ".join(f"a{i}" for i in range(n_args))
    namespace: dict[str, Any] = {"kernel": kernel}
    exec(f"def call({names}):\n    return kernel({names})\n", namespace)  # a fixed arity: numba types it
    return namespace["call"]


def _constant(value: int) -> Callable[[], int]:
    def fingerprint() -> int:
        return value

    return fingerprint


def build(path: Path | None = None, verbose: bool = False) -> Path:
    """Compile every kernel of :data:`~retrogait.analysis.kernel_signatures.SIGNATURES` into the
    extension module at ``path`` (default :func:`default_path`), with the sources' fingerprint.

    Always from the current sources: in a process whose kernels use numba's disk cache (which can hold
    a kernel compiled with another module's older code, see :mod:`.jit`) the build runs in a child
    process with the cache off."""
    path = default_path() if path is None else Path(path)
    if KERNEL_CACHE:
        src = Path(compiled.__file__).resolve().parents[2]  # the folder that holds retrogait/
        env = {**os.environ, "RETROGAIT_KERNEL_CACHE": "0",
               "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
        code = "import sys; from pathlib import Path; from retrogait.analysis.kernels.ahead import build; " \
               "build(Path(sys.argv[1]), sys.argv[2] == '1')"
        subprocess.run([sys.executable, "-c", code, str(path), "1" if verbose else "0"], env=env, check=True)
        return path
    with warnings.catch_warnings():  # pycc is "pending deprecation" with no replacement released yet
        warnings.simplefilter("ignore")
        from numba.pycc import CC
    cc = CC(compiled.AHEAD_MODULE)
    cc.output_dir = str(path.parent)
    cc.output_file = path.name
    cc.verbose = verbose
    for name, sig in SIGNATURES.items():
        cc.export(name, numba_signature(sig))(_trampoline(getattr(jit_kernels, name), len(sig.args)))
    cc.export("fingerprint", "i8()")(_constant(compiled.source_fingerprint()))
    path.parent.mkdir(parents=True, exist_ok=True)
    cc.compile()
    return path


def main() -> None:
    """``python -m retrogait.analysis.kernels.ahead [--output PATH]``: (re)build the module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None, help=f"default: {default_path()}")
    args = parser.parse_args()
    print(f"built {build(args.output)}")


if __name__ == "__main__":
    main()
