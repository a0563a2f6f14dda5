"""When to use the compiled kernels (:mod:`retrogait.analysis.kernels`) instead of numpy, and which.

The kernels make the per-sample passes of a long recording several times cheaper. They come two ways:

* **ahead of time**: an extension module built at install (:mod:`retrogait.analysis.kernels.ahead`),
  which loads in about a millisecond; used when it was built from the current sources (its
  fingerprint, :func:`source_fingerprint`), every call's arguments checked against the kernel's
  fixed types first (:mod:`retrogait.analysis.kernel_signatures`);
* **just in time** (numba, the same source): importing numba and loading the kernels from its disk
  cache costs 1.1-1.5 s of CPU once per process (compiling them the first time on a machine, or after
  an upgrade: ~20-30 s, then cached on disk; see benchmarks/speed_analysis.py).

The module built ahead of time is used for every pass (2x faster than numpy on a ten-minute session,
60 % of numpy's time on three minutes). Numba's kernels are used

* for a pass over at least :data:`MIN_SAMPLES` samples (~2 h at 200 Hz: below that, the numpy passes
  cost less than loading numba), or
* for any input of at least :data:`WARM_MIN_SAMPLES` once they are loaded in this process (a batch
  worker or a notebook that analysed a long file keeps the benefit for the shorter ones).

The environment variable ``RETROGAIT_COMPILED`` overrides the choice: ``never`` (numpy only),
``always`` (kernels for every input: the tests compare both paths this way), ``jit`` (as ``always``,
but numba's kernels even when the module built ahead of time is there: the tests compare those two)
or ``auto`` (the default). Results agree to ~1e-12 either way. Without numba installed, numpy is used.
"""

from __future__ import annotations

import importlib
import os
import sys
import zlib
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from retrogait.analysis.kernel_signatures import ARRAYS, SIGNATURES, Signature

MIN_SAMPLES = 1_500_000
WARM_MIN_SAMPLES = 20_000
MODES = ("auto", "always", "jit", "never")
AHEAD_MODULE = "_aot_kernels"
"""The module built ahead of time: ``retrogait.analysis._aot_kernels`` (beside this file)."""

_ANALYSIS = Path(__file__).resolve().parent
KERNEL_SOURCES = ("kernel_signatures.py", "events.py", "peaks.py")
"""The analysis modules the kernels' code comes from, besides the ``kernels`` package itself (the
kernels call :mod:`.events`' lever solve and compile :mod:`.peaks`' distance rule)."""

_ahead: SimpleNamespace | None | bool = False  # False: not looked for yet


def source_fingerprint() -> int:
    """A 60-bit checksum of the kernels' sources (every module of the ``kernels`` package and
    :data:`KERNEL_SOURCES`): the module built ahead of time carries the one it was built from.

    CRC-32 and Adler-32 side by side: it tells an edited source from the built one (nothing
    adversarial here), and zlib loads in well under a millisecond where hashlib's OpenSSL takes
    5 ms of every command's start-up."""
    files = sorted((_ANALYSIS / "kernels").glob("*.py")) + [_ANALYSIS / name for name in KERNEL_SOURCES]
    data = b"".join(f.name.encode() + b"\0" + f.read_bytes() + b"\0" for f in files)
    return (zlib.crc32(data) << 28) | (zlib.adler32(data) & 0xFFFFFFF)


class _Checked:
    """A kernel built ahead of time, behind a check of its arguments against its signature: the
    machine code trusts its types (another dtype would be read as garbage). Arrays of another dtype
    that converts without changing kind (float32 or big-endian to float64, int32 to int64, bool or
    uint8 to float64) or another layout are converted as numba's kernels would take them: an input is
    copied, an output (``!``) is computed in a converted copy and written back. Anything else (a
    read-only output, a float where an integer is expected, a wrong number of dimensions) is a
    ``TypeError`` naming the kernel and the argument."""

    __slots__ = ("_fn", "_name", "_specs")

    def __init__(self, name: str, fn: Any, sig: Signature) -> None:
        self._name, self._fn = name, fn
        self._specs = [(np.dtype(ARRAYS[a.rstrip("!")][0]), ARRAYS[a.rstrip("!")][1], a.endswith("!"))
                       if a.rstrip("!") in ARRAYS else a for a in sig.args]

    def _bad(self, i: int, what: str, got: Any) -> TypeError:
        desc = f"{got.dtype} array of {got.ndim} dimension(s)" if isinstance(got, np.ndarray) else type(got).__name__
        return TypeError(f"compiled kernel {self._name}: argument {i} must be {what}, got {desc}")

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self._specs):
            raise TypeError(f"compiled kernel {self._name}: {len(self._specs)} arguments expected, got {len(args)}")
        checked = []
        back: list[tuple[np.ndarray, np.ndarray]] = []  # outputs computed in a converted copy
        for i, (a, spec) in enumerate(zip(args, self._specs)):
            if isinstance(spec, tuple):
                dtype, ndim, written = spec
                if not (isinstance(a, np.ndarray) and a.ndim == ndim):
                    raise self._bad(i, f"a {dtype} array of {ndim} dimension(s)", a)
                exact = a.dtype == dtype and a.flags.c_contiguous
                if written and not a.flags.writeable:
                    raise self._bad(i, "a writeable array", a)
                if not exact:
                    if not np.can_cast(a.dtype, dtype, "same_kind"):
                        raise self._bad(i, f"a {dtype} array of {ndim} dimension(s)", a)
                    converted = np.ascontiguousarray(a, dtype=dtype)
                    if written:
                        back.append((a, converted))
                    a = converted
            elif spec == "f8":
                if not isinstance(a, (int, float, np.integer, np.floating)):
                    raise self._bad(i, "a number", a)
                a = float(a)
            elif spec == "i8":
                if not isinstance(a, (int, np.integer)):
                    raise self._bad(i, "an integer", a)
                a = int(a)
            else:
                if not isinstance(a, (bool, np.bool_)):
                    raise self._bad(i, "a bool", a)
                a = bool(a)
            checked.append(a)
        result = self._fn(*checked)
        for original, converted in back:
            original[...] = converted
        return result


_status = "not looked for yet"


def ahead_of_time_status() -> str:
    """Why the kernels built ahead of time are used or not, in words (for a user's question why a
    long analysis starts slowly, e.g. ``python -c "from retrogait.analysis import compiled;
    compiled.ahead_of_time(); print(compiled.ahead_of_time_status())"``)."""
    return _status


def ahead_of_time() -> SimpleNamespace | None:
    """The kernels built ahead of time (each behind its argument check), or None when the module was
    not built, cannot be loaded here or was built from other sources than the current ones (see
    :func:`ahead_of_time_status`). Looked for once per process."""
    global _ahead, _status
    if _ahead is False:
        _ahead = None
        name = f"retrogait.analysis.{AHEAD_MODULE}"
        try:
            module = importlib.import_module(name)
            current = module.fingerprint() == source_fingerprint()
            _status = "used" if current else (f"{module.__file__} was built from other sources than the current "
                                              "ones: rebuild it with python -m retrogait.analysis.kernels.ahead")
        except ModuleNotFoundError:
            current, _status = False, f"{name} was not built (no C compiler at install?): numba's kernels are used"
        except Exception as exc:  # noqa: BLE001  (built for another numpy or Python: numba's kernels then)
            current, _status = False, f"{name} cannot be loaded ({type(exc).__name__}: {exc}): numba's kernels are used"
        if current:
            _ahead = SimpleNamespace(**{name: _Checked(name, getattr(module, name), sig)
                                        for name, sig in SIGNATURES.items()})
    return _ahead if isinstance(_ahead, SimpleNamespace) else None


def kernels(n_samples: int) -> ModuleType | SimpleNamespace | None:
    """The kernels (built ahead of time, else numba's) if they should be used for a pass over
    ``n_samples`` samples, else None."""
    mode = os.environ.get("RETROGAIT_COMPILED", "auto").strip().lower() or "auto"
    if mode not in MODES:
        mode = "auto"
    if mode == "never":
        return None
    ahead = None if mode == "jit" else ahead_of_time()
    if ahead is not None:
        return ahead
    loaded = "retrogait.analysis.kernels" in sys.modules
    if mode == "auto" and n_samples < (WARM_MIN_SAMPLES if loaded else MIN_SAMPLES):
        return None
    try:
        module = importlib.import_module("retrogait.analysis.kernels")
    except ImportError:  # numba is not installed (or not for this numpy): numpy does the work
        return None
    return module
