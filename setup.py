"""Build step: compile the analysis kernels ahead of time (everything else is in pyproject.toml).

``pip install`` runs this: it compiles the numba kernels of ``retrogait.analysis.kernels`` into the
extension module ``retrogait.analysis._aot_kernels`` (about a minute; numba's pycc, a C compiler), so that no
process pays numba's 1.1-1.5 s start-up (retrogait/analysis/kernels/ahead.py says why and how). It is
optional: when it cannot be built (no C compiler, an unsupported platform) the install goes on with a
warning and retrogait compiles the same kernels at first use instead (numba's JIT, cached on disk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SRC = Path(__file__).resolve().parent / "src"


class BuildKernels(build_ext):
    """``build_ext`` that builds the one extension with numba's pycc instead of a C source."""

    def run(self) -> None:
        try:
            sys.path.insert(0, str(SRC))
            os.environ["RETROGAIT_KERNEL_CACHE"] = "0"  # from the sources, never numba's disk cache (kernels/jit.py)
            from retrogait.analysis.kernels.ahead import build

            for ext in self.extensions:
                build(Path(self.get_ext_fullpath(ext.name)))
        except Exception as exc:  # noqa: BLE001  (any failure: the package works without the module)
            print(f"WARNING: retrogait's analysis kernels were not compiled ahead of time ({type(exc).__name__}: "
                  f"{exc}); retrogait works without them and compiles them at first use (numba)", file=sys.stderr)
            self.extensions = []


setup(
    ext_modules=[Extension("retrogait.analysis._aot_kernels", sources=[])],
    cmdclass={"build_ext": BuildKernels},
)
