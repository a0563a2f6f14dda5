"""Self-consistency of the simulator: ``python3 benchmarks/validate_simulator.py``.

For each scenario and sample rate, integrates the noise-free IMU signals of every stride (strapdown,
from the true initial orientation, velocity and position at mid-stance) and prints the worst and median
position error and the worst orientation error against the true trajectory. The sensor is mounted at an
odd angle (euler xyz 30, -50, 120 deg) so all axes are exercised. Walking, running (forward and
backward, three strike patterns), rolling-stance fast walking and a walk-run session.

``python3 benchmarks/validate_simulator.py running-vs-real [DATA_DIR]``: the simulated running stance
against the real PyShoe running trials (``/work/shared/data/pyshoe_vicon`` by default, four jogs at
1.6-2.2 m/s, stride time ~0.78 s, 200 Hz, rearfoot strikers, raw sensor axes). Both are measured the
same way (:func:`retrogait.simulator.check.quiet_stances`: E = 0.1-s moving average of ``|gyr|``,
strides segmented at the stance minima of E): E at the quietest moment, its ratio to the stride's swing
peak, the tilt of the specific force at that moment from the standing attitude, the lowest E between the
stride's E peaks (pauses of the swing's rotation) over the peak, the largest ``|acc|``, an IMU estimate of
the contact time (largest ``|acc|`` before the quiet moment to the first E peak after it; the simulated
truth contact is printed next to it), and the time-normalised median profiles of E, ``|acc|`` and the foot
pitch (gyro integrated about the principal swing axis, detrended to 0 at both quiet moments).
"""

from __future__ import annotations

import numpy as np

from retrogait.simulator import (
    Environment,
    Scenario,
    SideStep,
    Stand,
    Turn,
    Walk,
    ideal_sensor,
    parse_mount,
    preset,
    simulate,
)
from retrogait.simulator.check import quiet_stances, stride_errors

PYSHOE = "/work/shared/data/pyshoe_vicon"
RUN_TRIALS = ("2017-12-15-18-01-18", "2017-12-15-18-01-51", "2017-12-15-18-02-28", "2017-12-15-18-03-05")

CASES = {
    "forward 1.2 m/s": Scenario([Stand(1), Walk("forward", n_strides=10), Stand(1)]),
    "forward 1.8 m/s": Scenario([Stand(1), Walk("forward", n_strides=10, speed=1.8), Stand(1)]),
    "backward 0.6 m/s": Scenario([Stand(1), Walk("backward", n_strides=10), Stand(1)]),
    "treadmill backward +15%": Scenario([Stand(1), Walk("backward", n_strides=10)], environment=Environment(True, 15)),
    "treadmill forward -10%": Scenario([Stand(1), Walk("forward", n_strides=10)], environment=Environment(True, -10)),
    "turns + side steps": Scenario([Stand(1), Walk("forward", n_strides=6, turn_deg=90), Turn(-180),
                                    SideStep("left", 4), Walk("backward", n_strides=6, turn_deg=45)]),
    "mixed preset": preset("mixed"),
    "run forward 3 m/s rearfoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=3.0, gait="run"), Stand(1)]),
    "run forward 5 m/s midfoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=5.0, gait="run",
                                                          strike="midfoot"), Stand(1)]),
    "run forward 3 m/s forefoot": Scenario([Stand(1), Walk("forward", n_strides=10, speed=3.0, gait="run",
                                                           strike="forefoot"), Stand(1)]),
    "run backward 2.2 m/s": Scenario([Stand(1), Walk("backward", n_strides=10, speed=2.2, gait="run"), Stand(1)]),
    "fast walk, rolling stance": Scenario([Stand(1), Walk("forward", n_strides=10, speed=1.65, stride_length=1.5,
                                                          stance_roll=0.25), Stand(1)]),
    "walk-run preset": preset("walk-run", duration=80),
}


def main() -> None:
    mount = parse_mount("euler:xyz:30,-50,120")
    print(f"{'scenario':28s} {'Hz':>5s} {'strides':>7s} {'pos max mm':>10s} {'pos med mm':>10s} {'ang max deg':>11s}")
    for rate in (50, 100, 200, 500, 1000):
        for name, sc in CASES.items():
            sc.sensor = ideal_sensor(rate, mount=mount)
            pe, ae = stride_errors(simulate(sc, seed=4), "left")
            print(f"{name:28s} {rate:5d} {len(pe):7d} {pe.max() * 1e3:10.3f} {np.median(pe) * 1e3:10.3f} {ae.max():11.5f}")


def _profiles(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, t_min: np.ndarray) -> np.ndarray:
    """Median time-normalised profiles (3, 11) of E, |acc| (g) and foot pitch (deg) over the strides
    from one quiet moment to the next (0, 10, ..., 100 % of the stride)."""
    from retrogait.simulator.check import moving_energy

    e = moving_energy(t, gyr)
    w = np.linalg.norm(gyr, axis=1)
    axis = np.linalg.svd(gyr[w > 2.0], full_matrices=False)[2][0]  # principal (pitch) axis of the swing
    rate = 1.0 / float(np.median(np.diff(t)))
    idx = np.searchsorted(t, t_min)
    out = []
    for a, b in zip(idx[:-1], idx[1:]):  # loop over strides
        if not 0.5 < t[b] - t[a] < 1.2:
            continue
        wy = gyr[a:b + 1] @ axis
        p = np.concatenate([[0.0], np.cumsum((wy[1:] + wy[:-1]) / (2.0 * rate))])
        p -= np.linspace(0.0, p[-1], p.size)
        x, xi = np.linspace(0.0, 1.0, p.size), np.linspace(0.0, 1.0, 11)
        out.append([np.interp(xi, x, e[a:b + 1]), np.interp(xi, x, np.linalg.norm(acc[a:b + 1], axis=1) / 9.80665),
                    np.interp(xi, x, np.degrees(p))])
    prof = np.median(np.array(out), axis=0)
    if abs(prof[2].min()) < abs(prof[2].max()):  # sign of the axis: toe-down (push-off) negative
        prof[2] = -prof[2]
    return prof


def _row(name: str, q: dict, extra: str = "") -> str:
    m = {k: float(np.median(v)) for k, v in q.items()}
    p10, p90 = np.percentile(q["e_min"], [10, 90])
    return (f"{name:34s} {len(q['e_min']):4d} {m['e_min']:6.2f} [{p10:4.2f}-{p90:4.2f}] {m['e_peak']:5.1f} "
            f"{m['ratio']:6.3f} {m['tilt_deg']:6.1f} {np.percentile(q['tilt_deg'], 90):5.1f} {m['swing_pause']:6.2f} "
            f"{m['impact_g']:6.1f} {m['contact_est']:7.3f} {extra}")


def running_vs_real(data_dir: str = PYSHOE) -> None:
    """Print the sim-vs-real running comparison (see the module docstring)."""
    import os

    from retrogait.simulator import SensorSpec

    print(f"{'recording':34s} {'n':>4s} {'E_min':>6s} {'p10-p90':>11s} {'peak':>5s} {'ratio':>6s} {'tilt':>6s} "
          f"{'p90':>5s} {'pause':>6s} {'acc g':>6s} {'contact~':>7s}")
    profiles = {}
    for trial in RUN_TRIALS:
        path = os.path.join(data_dir, trial + ".csv")
        if not os.path.exists(path):
            print(f"{trial}: not found under {data_dir}")
            continue
        d = np.loadtxt(path, delimiter=",", skiprows=1)
        t, acc, gyr = d[:, 0], d[:, 1:4], d[:, 4:7]
        q = quiet_stances(t, acc, gyr, acc[:200].mean(axis=0))  # the trials start standing
        print(_row(f"real {trial}", q))
        profiles[f"real {trial[-8:]}"] = _profiles(t, acc, gyr, q["t_min"])
    cases = [("sim fwd 2.0 m/s 0.78 s rearfoot", "forward", dict(speed=2.0, cadence=154.0), None),
             ("sim fwd 2.2 m/s rearfoot", "forward", dict(speed=2.2), None),
             ("sim fwd 3.0 m/s rearfoot", "forward", dict(speed=3.0), None),
             ("sim fwd 4.0 m/s rearfoot", "forward", dict(speed=4.0), None),
             ("sim fwd 5.0 m/s rearfoot", "forward", dict(speed=5.0), None),
             ("sim fwd 3.0 m/s midfoot", "forward", dict(speed=3.0), "midfoot"),
             ("sim fwd 3.0 m/s forefoot", "forward", dict(speed=3.0), "forefoot"),
             ("sim bwd 2.2 m/s", "backward", dict(speed=2.2), None),
             ("sim bwd 3.0 m/s", "backward", dict(speed=3.0), None)]
    for name, direction, kw, strike in cases:
        sc = Scenario([Stand(3), Walk(direction, duration=25, gait="run", strike=strike, **kw), Stand(3)],
                      sensor=SensorSpec(rate=200))
        res = simulate(sc, seed=1, trajectory=False)
        st, s = res.recording.streams[0], res.truth.strides
        q = quiet_stances(st.t, st.acc, st.gyr, st.acc[:200].mean(axis=0))
        from retrogait.simulator.check import moving_energy

        e_mid = np.interp(s.t_end[s.steady], st.t, moving_energy(st.t, st.gyr))  # E at the truth's mid-stance
        print(_row(name, q, f"truth contact {np.nanmedian(s.contact_time):.3f} s, E at truth mid-stance "
                            f"{np.median(e_mid):.2f}"))
        if name.startswith("sim fwd 2.0") or name.startswith("sim fwd 3.0 m/s rear"):
            profiles[name[4:15]] = _profiles(st.t, st.acc, st.gyr, q["t_min"])
    for i, what in enumerate(("E rad/s", "|acc| g", "pitch deg")):
        print(f"\nmedian {what} over the stride (from one quiet moment to the next), 0..100 %")
        for name, prof in profiles.items():
            print(f"{name:18s} " + " ".join(f"{v:6.1f}" for v in prof[i]))


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "running-vs-real":
        running_vs_real(*sys.argv[2:3])
    else:
        main()
