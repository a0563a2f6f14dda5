"""The compiled kernels (numba, used for long recordings) give the numpy path's results.

Each case analyses the same recording twice, ``RETROGAIT_COMPILED=never`` (numpy) and ``always``
(kernels), and compares every stride-table column. The kernels do the same arithmetic in another
order (a running sum per stride instead of one cumulative sum over all strides): the differences
measured are < 2e-12 (s, m, rad); the tolerance is 1e-9, and integer / boolean columns must be equal.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from retrogait import load_recording
from retrogait.analysis import analyze, compiled, filters, frames
from retrogait.analysis.frames import saturation_mask
from retrogait.analysis.kernel_signatures import SIGNATURES
from retrogait.analysis.ranges import row_norm
from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-9


def _both(monkeypatch: pytest.MonkeyPatch, fn):
    monkeypatch.setenv("RETROGAIT_COMPILED", "never")
    a = fn()
    monkeypatch.setenv("RETROGAIT_COMPILED", "always")
    b = fn()
    return a, b


def _table(res) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(res.strides, f.name)) for f in dataclasses.fields(res.strides)}


def _assert_same_tables(a, b) -> None:
    ta, tb = _table(a), _table(b)
    assert len(a.strides) == len(b.strides) > 0
    for name, x in ta.items():
        y = tb[name]
        if x.dtype.kind == "f":
            assert np.array_equal(np.isnan(x), np.isnan(y)), name
            ok = ~np.isnan(x)
            assert np.abs(x[ok] - y[ok]).max(initial=0.0) <= TOL, (name, np.abs(x[ok] - y[ok]).max())
        else:
            assert np.array_equal(x, y), name


@pytest.mark.parametrize("name", ["backward_treadmill_5pct", "mixed_session", "two_feet_treadmill"])
def test_sample_sessions_same_strides(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    rec = load_recording(ROOT / "sample_data" / f"{name}.rgt")
    a, b = _both(monkeypatch, lambda: analyze(rec))
    _assert_same_tables(a, b)


def test_packet_loss_and_running_same_strides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bridged gaps (their de-drift and tilt-closing weights) and a running rolling foot."""
    sc = Scenario(segments=[Stand(3), Walk("forward", n_strides=20, speed=1.65, stride_length=1.5, stance_roll=0.25),
                            Walk("backward", n_strides=12, speed=3.0, gait="run", strike="forefoot"), Stand(3)],
                  sensor=SensorSpec(rate=100.0, packet_loss=0.07))
    rec = simulate(sc, seed=3, trajectory=False).recording
    a, b = _both(monkeypatch, lambda: analyze(rec))
    assert any("bridged" in w for w in a.warnings)
    _assert_same_tables(a, b)


@pytest.mark.parametrize("size", [1, 3, 11, 321])
def test_filters_same(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    rng = np.random.default_rng(size)
    x = rng.normal(size=70_001)  # more than one piece of the numpy filters
    mask = rng.random(70_001) > 0.7
    for fn in (lambda: filters.running_max(x, size), lambda: filters.running_min(x, size),
               lambda: filters.running_max(mask, size), lambda: filters.running_min(mask, size)):
        a, b = _both(monkeypatch, fn)
        assert np.array_equal(a, b)
    h = size // 2
    padded = np.concatenate([np.repeat(x[:1], h), x, np.repeat(x[-1:], h)])
    exact = np.convolve(np.abs(padded - 0.3), np.ones(size) / size, mode="valid")
    a, b = _both(monkeypatch, lambda: filters.moving_mean(x, size, deviation_from=0.3))
    assert np.abs(a - exact).max() < 1e-11 and np.abs(b - exact).max() < 1e-11


def test_saturation_mask_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    arr = rng.normal(size=(5000, 3))
    arr[100:103, 0] = 40.0  # three in a row at the top, below the floor
    arr[[7, 900, 3000], 1] = -160.0  # three anywhere, above the floor
    arr[50, 2] = 30.0  # a single top value: not clipped
    for floor in (0.0, 19.6, 150.0):
        a, b = _both(monkeypatch, lambda floor=floor: saturation_mask(arr, floor))
        assert np.array_equal(a, b)
        # the largest and third largest magnitudes read with the norms give the same mask
        third = np.sort(np.abs(arr), axis=0)[-3]
        for largest, norm in _both(monkeypatch, lambda: _norm_and_top(arr)):
            assert np.array_equal(largest[0], np.abs(arr).max(axis=0))
            assert np.array_equal(largest[1], third)
            assert np.allclose(norm, np.linalg.norm(arr, axis=1), rtol=1e-15, atol=0)
            c, d = _both(monkeypatch, lambda floor=floor, largest=largest: saturation_mask(arr, floor, largest))
            assert np.array_equal(a, c) and np.array_equal(a, d)
        assert a[100:103].all() and not a[50]
        assert a[[7, 900, 3000]].all() == (floor and 160.0 >= floor)


def _norm_and_top(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    top = np.zeros((2, 3))
    return top, row_norm(arr, top)


def test_third_largest_with_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernels' third largest magnitude per column, repeats counted (the saturation check's count:
    at least 3 samples reach a level iff the third largest does)."""
    rng = np.random.default_rng(3)
    for case in range(200):
        arr = np.round(rng.normal(scale=3.0, size=(int(rng.integers(3, 60)), 3)), int(rng.integers(0, 2)))
        monkeypatch.setenv("RETROGAIT_COMPILED", "always")
        top, _ = _norm_and_top(arr)
        mags = np.sort(np.abs(arr), axis=0)
        assert np.array_equal(top[0], mags[-1]) and np.array_equal(top[1], mags[-3]), case


def test_dispatch_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETROGAIT_COMPILED", "never")
    assert compiled.kernels(10**9) is None
    monkeypatch.setenv("RETROGAIT_COMPILED", "always")
    assert compiled.kernels(1) is not None
    monkeypatch.setenv("RETROGAIT_COMPILED", "auto")
    monkeypatch.setattr(compiled, "_ahead", None)  # as without the module built ahead of time
    monkeypatch.delitem(sys.modules, "retrogait.analysis.kernels", raising=False)
    assert compiled.kernels(compiled.MIN_SAMPLES - 1) is None  # short and not loaded: numpy
    assert compiled.kernels(compiled.MIN_SAMPLES) is not None  # long: loads the kernels
    assert compiled.kernels(compiled.WARM_MIN_SAMPLES) is not None  # loaded now: used down to the warm limit
    assert compiled.kernels(compiled.WARM_MIN_SAMPLES - 1) is None
    monkeypatch.undo()
    ahead = compiled.ahead_of_time()
    if ahead is not None:  # built ahead of time: used for every input, numba not needed
        monkeypatch.setenv("RETROGAIT_COMPILED", "auto")
        monkeypatch.delitem(sys.modules, "retrogait.analysis.kernels", raising=False)
        assert compiled.kernels(compiled.MIN_SAMPLES) is ahead
        assert compiled.kernels(1) is ahead
        assert "retrogait.analysis.kernels" not in sys.modules
        monkeypatch.setenv("RETROGAIT_COMPILED", "never")
        assert compiled.kernels(compiled.MIN_SAMPLES) is None
        monkeypatch.setenv("RETROGAIT_COMPILED", "jit")
        assert compiled.kernels(1) is importlib.import_module("retrogait.analysis.kernels")


def test_peaks_same_as_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy.signal import find_peaks as scipy_peaks

    from retrogait.analysis.peaks import find_peaks

    x = np.round(np.random.default_rng(3).normal(size=100_000), 1)  # many plateaus
    for height, distance in [(None, None), (0.5, None), (0.2, 7), (None, 30.5)]:
        a, b = _both(monkeypatch, lambda h=height, d=distance: find_peaks(x, h, d))
        assert np.array_equal(a, b)
        assert np.array_equal(a, scipy_peaks(x, height=height, distance=distance)[0])


def test_stance_helpers_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrogait.analysis import runs, stance
    from retrogait.analysis.settings import StanceSettings

    rng = np.random.default_rng(11)
    for n in (1, 7, 5000):
        mask = rng.random(n) > 0.4
        starts = np.sort(rng.integers(0, n, 12))
        stops = np.minimum(starts + rng.integers(0, 30, 12), n)
        gyr_norm = np.abs(rng.normal(0.0, 0.8, n))
        acc_norm = 9.81 + rng.normal(0.0, 0.8, n)
        for fn in (partial(runs.runs, mask), partial(runs.cover, n, starts, stops),
                   partial(stance._moving, acc_norm, gyr_norm, StanceSettings())):
            a, b = _both(monkeypatch, fn)
            for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
                assert np.array_equal(x, y) and x.dtype.kind == y.dtype.kind


def test_gap_splitting_and_range_sums_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrogait.analysis.frames import split_at_gaps
    from retrogait.analysis.ranges import range_sums
    from retrogait.errors import InputFileError

    t = np.arange(10_000) * 0.005
    t[4000:] += 0.5  # a gap
    t[7000] = t[6999]  # a step that is not positive
    a, b = _both(monkeypatch, lambda: split_at_gaps(t, "x", step=0.005))
    assert a == b and len(a) == 3
    t[100] = np.nan
    for mode in ("never", "always"):
        monkeypatch.setenv("RETROGAIT_COMPILED", mode)
        with pytest.raises(InputFileError, match="NaN"):
            split_at_gaps(t, "x", step=0.005)
    x = np.random.default_rng(2).normal(size=(10_000, 3))
    starts, stops = np.array([0, 10, 500, 9000]), np.array([5, 400, 501, 10_000])
    a, b = _both(monkeypatch, lambda: range_sums(x, starts, stops))
    assert np.allclose(a, b, rtol=0, atol=1e-12)


def test_median_step_exact() -> None:
    """The day-long median sample interval equals ``np.median(np.diff(t))`` bit for bit, whether the
    steps repeat (a counter clock), jitter (a host clock) or change rate half way; NaN only when the
    sample cannot tell (the caller then takes the plain median)."""
    from retrogait.analysis import kernels

    rng = np.random.default_rng(5)
    n = 300_001
    clocks = {
        "counter": np.arange(n) / 200.0,
        "day": 80_000.0 + np.arange(n) * 0.005,  # steps differ in their last bits
        "jitter": np.cumsum(0.005 + rng.normal(0.0, 2e-4, n)),
        "two rates": np.cumsum(np.where(np.arange(n) < n // 2, 0.01, 0.005)),
        "even count": np.cumsum(rng.exponential(0.005, n + 1)),
        "short": np.array([0.0, 0.1]),
    }
    for name, t in clocks.items():
        got = kernels.median_step(t, 256, 64, 1 << 20)
        want = float(np.median(np.diff(t)))
        assert got == want or (got != got and name == "two rates"), name
        assert frames.median_step(t) == want, name
    assert frames.median_step(np.zeros(1)) == 0.0


def test_unbiased_energy_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrogait.analysis import stance

    rng = np.random.default_rng(8)
    gyr = rng.normal(0.0, 1.5, (50_000, 3))
    norm = np.linalg.norm(gyr, axis=1)
    for bias in (np.array([0.02, -0.01, 0.005]), np.zeros(3)):
        a, b = _both(monkeypatch, lambda bias=bias: stance.unbiased_gyro_energy(gyr, norm, bias, 200.0))
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)  # numpy's norms come from the raw ones
        want = stance.gyro_energy(np.linalg.norm(gyr - bias, axis=1), 200.0)
        np.testing.assert_allclose(b, want, rtol=1e-12, atol=1e-12)


def test_motion_score_areas_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The motion score over a few areas (one at each end of the recording, two touching, one long)
    equals the recording-wide score read there."""
    from retrogait.analysis import stance
    from retrogait.analysis.ranges import range_index

    rng = np.random.default_rng(4)
    n = 200_000
    gyr_norm = np.abs(rng.normal(0.0, 2.0, n)) * (1.0 + np.sin(np.arange(n) / 90.0) ** 2)
    acc_norm = 9.81 + rng.normal(0.0, 3.0, n)
    area = (np.array([0, 5_000, 5_300, 90_000, n - 700]), np.array([250, 5_300, 6_000, 170_000, n]))
    at, _ = range_index(*area)
    for w, big in ((7, 321), (31, 1601)):
        a, b = _both(monkeypatch, lambda w=w, big=big: stance._motion_score_at(gyr_norm, acc_norm, area, at, w, big))
        assert a.shape == b.shape == at.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)  # the numpy means are running cumsums


def test_range_quiet_middle_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrogait.analysis.ranges import range_quiet_middle

    rng = np.random.default_rng(12)
    x = np.round(rng.random(20_000), 2)  # many ties at the minimum
    a = np.sort(rng.choice(19_000, 300, replace=False))
    b = a + rng.integers(1, 900, 300)
    for tol in (0.0, 0.02):
        got, want = _both(monkeypatch, lambda tol=tol: range_quiet_middle(x, a, b, tol))
        assert np.array_equal(got, want)


def test_gap_steps_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Splitting at long gaps and finding the short ones to bridge: the one-pass kernel and numpy
    find the same steps (a gap to split, two to bridge, a step at exactly the bridge limit)."""
    from retrogait.analysis.bridging import bridge_gaps
    from retrogait.io.recording import Stream

    t = np.arange(5000) / 100.0
    t[1000:] += 3.0  # split
    t[2000:] += 0.04  # bridged (4 missing samples)
    t[3000:] += 0.06  # bridged
    t[4000:] += 0.49  # at the limit
    rng = np.random.default_rng(2)
    stream = Stream(t=t, acc=rng.normal(size=(5000, 3)), gyr=rng.normal(size=(5000, 3)), foot="left")
    for fn in (lambda: frames.split_at_gaps(t, "x", step=0.01),
               lambda: bridge_gaps(stream, step=0.01)[2]):
        a, b = _both(monkeypatch, fn)
        assert a == b
    assert frames.split_at_gaps(t, "x", step=0.01)[0] == (0, 1000)


# --- the kernels built ahead of time (retrogait.analysis.kernels.ahead) --------------------------------

REQUIRE_AOT = os.environ.get("RETROGAIT_REQUIRE_AOT", "").strip().lower() not in ("", "0", "no", "false")
"""CI sets ``RETROGAIT_REQUIRE_AOT=1`` (``.ci/run``): the install must have built the module from the
current sources, else the tests below fail instead of skipping (a green run proves the fast path)."""


def _ahead():
    ahead = compiled.ahead_of_time()
    if ahead is None:
        if REQUIRE_AOT:
            pytest.fail("the kernels compiled ahead of time are missing or stale and RETROGAIT_REQUIRE_AOT is set "
                        "(pip install -e . builds them; python -m retrogait.analysis.kernels.ahead rebuilds)",
                        pytrace=False)
        pytest.skip("the kernels were not compiled ahead of time (python -m retrogait.analysis.kernels.ahead)")
    return ahead


def test_every_kernel_has_a_signature() -> None:
    from retrogait.analysis import kernels as jit_kernels

    assert set(SIGNATURES) == set(jit_kernels.__all__)


def _written_arguments(fn: ast.FunctionDef) -> set[str]:
    """The arguments of a kernel that it assigns into (``out[i] = ...``, ``out[i] += ...``)."""
    args = {a.arg for a in fn.args.args}
    written = set()
    for node in ast.walk(fn):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id in args:
                    written.add(sub.value.id)
    return written


def test_signatures_mark_exactly_the_written_arguments() -> None:
    """The table's ``!`` (written: must be writeable) is on every argument a kernel assigns into and on
    no other (so read-only inputs, e.g. a memory-mapped recording, are accepted)."""
    sources = sorted((ROOT / "src/retrogait/analysis/kernels").glob("*.py")) + [ROOT / "src/retrogait/analysis/peaks.py"]
    found = {}
    for path in sources:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name in SIGNATURES:
                found.setdefault(node.name, node)  # the kernels' own first, then peaks' keep_apart
    assert set(found) == set(SIGNATURES)
    for name, fn in found.items():
        sig = SIGNATURES[name]
        assert len(sig.args) == len(fn.args.args), name
        marked = {a.arg for a, code in zip(fn.args.args, sig.args) if code.endswith("!")}
        assert marked == _written_arguments(fn), name


def test_ahead_of_time_same_as_jit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module built ahead of time is the numba kernels' own code: the same strides, on a session and
    on bridged gaps with running."""
    _ahead()
    sc = Scenario(segments=[Stand(3), Walk("forward", n_strides=12, speed=1.65, stride_length=1.5, stance_roll=0.25),
                            Walk("backward", n_strides=8, speed=3.0, gait="run", strike="forefoot"), Stand(3)],
                  sensor=SensorSpec(rate=100.0, packet_loss=0.07))
    for rec in (load_recording(ROOT / "sample_data" / "mixed_session.rgt"), simulate(sc, seed=5, trajectory=False).recording):
        monkeypatch.setenv("RETROGAIT_COMPILED", "jit")
        a = analyze(rec)
        monkeypatch.setenv("RETROGAIT_COMPILED", "always")
        b = analyze(rec)
        _assert_same_tables(a, b)  # the same code: identical when numba's version is the build's


def test_ahead_of_time_loads_without_numba() -> None:
    """A long recording's kernels in a fresh process: the module built ahead of time, numba not imported."""
    _ahead()
    code = ("import sys; from retrogait.analysis import compiled; k = compiled.kernels(10**8); "
            "print(type(k).__name__, 'numba' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "RETROGAIT_COMPILED"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["SimpleNamespace", "False"]


def test_ahead_of_time_takes_what_numba_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs of other dtypes or layouts are converted as numba's kernels take them: a float32 recording
    (``read_recording(..., float_dtype=np.float32)``) analyses as with numpy, a boolean mask has its
    local maxima, a float32 output is filled."""
    from retrogait.analysis.filters import running_max
    from retrogait.analysis.peaks import local_maxima
    from retrogait.io.fileformat import read_recording

    _ahead()
    rec = read_recording(ROOT / "sample_data" / "mixed_session.rgt", float_dtype=np.float32)
    assert rec.streams[0].acc.dtype == np.float32
    a, b = _both(monkeypatch, lambda: analyze(rec))
    assert len(a.strides) == len(b.strides) > 0
    np.testing.assert_allclose(a.strides.stride_length, b.strides.stride_length, rtol=1e-5)
    mask = np.zeros(50, dtype=bool)
    mask[[3, 4, 20, 49]] = True
    x = np.sin(np.arange(300) / 7.0).astype(np.float32)
    for fn in (lambda: local_maxima(mask), lambda: local_maxima(x), lambda: running_max(x, 9)):
        c, d = _both(monkeypatch, fn)
        assert np.array_equal(c, d) and c.dtype == d.dtype


def test_kernel_sources_cover_their_imports() -> None:
    """The fingerprint hashes every analysis module the kernels import (their code is compiled in)."""
    imported = set()
    for path in (ROOT / "src/retrogait/analysis/kernels").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "retrogait.analysis":
                imported |= {f"{alias.name}.py" for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("retrogait.analysis."):
                if not node.module.startswith("retrogait.analysis.kernels"):
                    imported.add(node.module.split(".")[2] + ".py")
    imported -= {"kernels.py", "compiled.py"}  # the package itself; the loader (ahead.py's, not compiled in)
    assert imported <= set(compiled.KERNEL_SOURCES), imported - set(compiled.KERNEL_SOURCES)


def test_build_without_numba_cache() -> None:
    """The module is built with numba's disk cache off (a cached kernel can hold another module's older
    code): RETROGAIT_KERNEL_CACHE=0 gives dispatchers without a cache."""
    code = ("from retrogait.analysis import kernels; from retrogait.analysis.kernels import jit; "
            "print(jit.CACHE, type(kernels.integrate._cache).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "RETROGAIT_KERNEL_CACHE": "0"})
    assert out.stdout.split() == ["False", "NullCache"]


def test_ahead_of_time_arguments_checked() -> None:
    """The compiled code trusts its types: a wrong argument is a TypeError naming the kernel, never a
    wrong result; read-only and non-contiguous inputs give the right result."""
    ahead = _ahead()
    x = np.random.default_rng(1).normal(size=(50, 3))
    want = np.linalg.norm(x, axis=1)
    out = np.empty(50)
    with pytest.raises(TypeError, match="row_norm: argument 0 must be a float64 array of 2"):
        ahead.row_norm(x.astype(np.complex128), out)
    with pytest.raises(TypeError, match="row_norm: argument 0 must be a float64 array of 2"):
        ahead.row_norm(x.ravel(), out)
    with pytest.raises(TypeError, match="cover: argument 1 must be a int64 array"):
        ahead.cover(10, np.array([1.0]), np.array([3]), np.zeros(10, dtype=bool))
    with pytest.raises(TypeError, match="2 arguments expected"):
        ahead.row_norm(x)
    frozen = np.empty(50)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="argument 1 must be a writeable array"):
        ahead.row_norm(x, frozen)
    strided_out = np.zeros(100)
    ahead.row_norm(x, strided_out[::2])  # computed in a copy, written back
    np.testing.assert_allclose(strided_out[::2], want, rtol=1e-15)
    assert not strided_out[1::2].any()
    with pytest.raises(TypeError, match="moving_mean: argument 1 must be an integer"):
        ahead.moving_mean(want, 2.5, 0, False, 0.0, out)
    readonly = x.copy()
    readonly.flags.writeable = False
    ahead.row_norm(readonly, out)
    np.testing.assert_allclose(out, want, rtol=1e-15)
    strided = np.asfortranarray(x)
    ahead.row_norm(strided, out)
    np.testing.assert_allclose(out, want, rtol=1e-15)


def test_stale_module_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module built from other sources (a kernel edited since the install) is ignored: numba's
    kernels compile the current ones."""
    _ahead()
    monkeypatch.setattr(compiled, "_status", compiled.ahead_of_time_status())  # restored after the test
    monkeypatch.setattr(compiled, "_ahead", False)
    monkeypatch.setattr(compiled, "source_fingerprint", lambda: -1)
    assert compiled.ahead_of_time() is None
    assert "built from other sources" in compiled.ahead_of_time_status()
    monkeypatch.setenv("RETROGAIT_COMPILED", "always")
    assert compiled.kernels(10) is sys.modules["retrogait.analysis.kernels"]
    monkeypatch.setattr(compiled, "_ahead", False)
