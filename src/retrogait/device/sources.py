"""Where the emulator's samples come from: a recording file or the gait simulator."""

from __future__ import annotations

import numpy as np

from retrogait.errors import UsageProblem
from retrogait.io.recording import Recording


def resample(acc: np.ndarray, gyr: np.ndarray, rate: float, new_rate: float):
    """Linear interpolation of (N, 3) signals from ``rate`` to ``new_rate`` Hz -> (acc, gyr, new_rate)."""
    n = len(acc)
    t = np.arange(n) / rate
    tn = np.arange(0.0, t[-1], 1.0 / new_rate) if n > 1 else np.zeros(1)
    out = [np.column_stack([np.interp(tn, t, x[:, i]) for i in range(3)]) for x in (acc, gyr)]
    return out[0], out[1], float(new_rate)


def pick_stream(rec: Recording, foot: str | None):
    """The stream of ``foot`` (or the first) -> (acc, gyr, rate)."""
    if not rec.streams:
        raise UsageProblem(f"{rec.source or 'recording'}: has no streams to play")
    try:
        s = rec.stream(foot) if foot else rec.streams[0]
    except KeyError as exc:
        raise UsageProblem(f"--foot {foot}: {exc.args[0]}") from None
    if s.n < 2:
        raise UsageProblem(f"{rec.source or 'recording'}: the {s.foot} stream has fewer than 2 samples")
    return s.acc, s.gyr, s.rate


def simulated_recording(name: str, seed: int = 0, rate: float | None = None) -> Recording:
    """A recording of the simulator preset ``name`` (``backward`` is short for ``backward-treadmill``)."""
    from retrogait import simulator

    names = simulator.preset_names()
    if name not in names and f"{name}-treadmill" in names:
        name = f"{name}-treadmill"
    if name not in names:
        raise UsageProblem(f"--simulate {name!r}: unknown preset; use one of {', '.join(names)}")
    return simulator.simulate(simulator.preset(name, rate=rate), seed=seed).recording


def load_source(from_file: str | None, simulate: str | None, foot: str | None, seed: int = 0,
                rate: float | None = None):
    """(acc, gyr, rate, description) for the emulator from ``--from`` or ``--simulate`` (simulated at
    ``rate`` when given)."""
    if (from_file is None) == (simulate is None):
        raise UsageProblem("give exactly one of --from FILE or --simulate PRESET")
    if from_file is not None:
        from retrogait.io.loading import load_recording

        rec = load_recording(from_file)
        desc = from_file
    else:
        assert simulate is not None  # a file or a simulation: checked by the caller
        rec = simulated_recording(simulate, seed, rate)
        desc = f"the simulator ({simulate})"
    acc, gyr, rate = pick_stream(rec, foot)
    return np.asarray(acc, dtype=np.float64), np.asarray(gyr, dtype=np.float64), float(rate), desc
