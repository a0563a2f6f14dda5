"""The argument types of every compiled kernel (:mod:`retrogait.analysis.kernels`), in one table.

The kernels compiled ahead of time (at install, :mod:`retrogait.analysis.kernels.ahead`) have one
fixed signature each, and the machine code trusts it: an array of another type or shape would be read
as garbage. So every call to them goes through :func:`retrogait.analysis.compiled.kernels`, which checks
its arguments against this table first (a ``TypeError`` naming the kernel and the argument, never a
wrong result). The table is plain data: reading it imports neither numba nor the kernels.

Argument codes: ``F1``/``F2`` a C-contiguous float64 array of 1/2 dimensions, ``I1`` an int64 array,
``B1`` a bool array; ``f8``, ``i8``, ``b1`` a float, int, bool scalar. A trailing ``!`` marks an array
the kernel writes into (it must be writeable; the others may be read-only). The result is in numba's
own notation (``void``: nothing; tests/test_compiled.py checks every written argument is marked).
"""

from __future__ import annotations

from typing import NamedTuple


class Signature(NamedTuple):
    """A kernel's arguments (codes above) and its result (numba's notation)."""

    args: tuple[str, ...]
    result: str = "void"


def _sig(args: str, result: str = "void") -> Signature:
    return Signature(tuple(args.split()), result)


RUNS = "UniTuple(i8[::1], 2)"  # the starts and stops of runs

SIGNATURES: dict[str, Signature] = {
    # strapdown
    "integrate": _sig("F1 F2 F2 F2 F1 F1 I1 I1 I1 F2 F2 F1 B1 F1 F1 f8 f8 f8 F2! F1! F1! F2!"),
    "path_shape": _sig("F2 I1 I1 F1! F1!"),
    # events
    "swing_signals": _sig("F1 F2 I1 I1 I1 F1 F1 F1! F1! F1! F1! I1! I1!"),
    "contact_and_bounds": _sig("F1 I1 I1 I1 F1 F1 F1 F1 F1 I1 I1 f8 F1! F1! F1! F1! F1! F1!"),
    "running_candidates": _sig("I1 I1 I1 I1 f8 F1 F1 I1! I1! F1!"),
    "pivot_departure": _sig("I1 I1 I1 i8 I1 F2 F1 F1 F1 f8 f8 f8 i8 F1! B1!"),
    # regularity
    "regularity": _sig("F1 F2 F1 F1 F1 F1 F1 B1 f8 f8 I1 F1!"),
    # filters and peaks
    "running_max": _sig("F1 i8 i8 F1!"),
    "moving_mean": _sig("F1 i8 i8 b1 f8 F1!"),
    "motion_score": _sig("F1 F1 I1 I1 i8 i8 f8 i8 F1!"),
    "dilate": _sig("B1 i8 b1 B1!"),
    "local_maxima": _sig("F1 I1!", "i8"),
    "keep_apart": _sig("I1 I1 i8 B1!"),
    # whole-stream signals
    "row_norm": _sig("F2 F1!"),
    "row_norm_top": _sig("F2 F1! F2!"),
    "unbiased_norm": _sig("F2 F1 F1!"),
    "unbiased_energy": _sig("F2 F1 i8 i8 F1!"),
    "range_means": _sig("F2 I1 I1 F2!"),
    "range_sums": _sig("F2 I1 I1 F2!"),
    "range_quiet_middle": _sig("F1 I1 I1 f8 I1!"),
    "saturation_mask": _sig("F2 f8 F2 B1!"),
    "median_step": _sig("F1 i8 i8 i8", "f8"),
    "turned_over": _sig("F1 F2 F1 f8 I1 I1 F1!"),
    "calm": _sig("F1 f8 f8 b1 B1!"),
    "runs": _sig("B1", RUNS),
    "moving_runs": _sig("F1 F1 f8 f8 f8", RUNS),
    "cover": _sig("i8 I1 I1 B1!"),
    "steps": _sig("F1 f8 f8 b1", "Tuple((i8[::1], b1, b1))"),
}

ARRAYS = {"F1": ("float64", 1), "F2": ("float64", 2), "I1": ("int64", 1), "B1": ("bool", 1)}
"""Array codes: (dtype name, dimensions)."""

NUMBA_TYPES = {"F1": "f8[::1]", "F2": "f8[:, ::1]", "I1": "i8[::1]", "B1": "b1[::1]", "f8": "f8", "i8": "i8",
               "b1": "b1"}
"""Each code in numba's notation (for compiling)."""


def numba_signature(sig: Signature) -> str:
    """``sig`` as a numba signature string, e.g. ``void(f8[:, ::1], f8[::1])``."""
    return f"{sig.result}({', '.join(NUMBA_TYPES[a.rstrip('!')] for a in sig.args)})"
