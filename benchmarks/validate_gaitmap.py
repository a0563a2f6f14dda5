"""Validate strides, events and stride length against the gaitmap example (real data, mocap reference).

Data: ../shared/data/gaitmap_example (NilsPod on both shoes, 204.8 Hz, 2 x 20 m with a turn).

Matching rules (printed too):
* stride detection vs the 58 hand-labelled strides (``stride_borders_sample.csv``, borders at the gyro
  minimum before toe-off, so each labelled stride holds exactly one swing): a detected stride matches a
  labelled stride of the same foot when the middle of its swing (TC..IC) lies inside the labelled
  [start, end]; one-to-one. Precision, recall, F1.
* per-stride references (``stride_events_sample.csv``, min_vel to min_vel): the detected stride of the
  same foot whose start (mid-stance) is nearest to min_vel, within 0.25 s. Stride length reference =
  final horizontal heel-marker displacement (``position_sample.csv``); straight = motion-capture heading
  change < 20 deg (``orientation_sample.csv``). Stride time reference = ic - pre_ic.
* ``imu_sample_not_rotated.csv`` (raw sensor axes) is calibrated from its own first standing + forward
  strides (it IS a forward walk, so it is a legitimate calibration walk) and the stride lengths are
  compared with those of the already-rotated file.

Run: python3 benchmarks/validate_gaitmap.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.analysis import analyze
from retrogait.io.loading import load_recording

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gaitmap_example"
RATE = 204.8


def read_table(path: Path) -> dict[str, np.ndarray]:
    """A small CSV with a header row as dict of columns (str for non-numeric)."""
    rows = [line.rstrip("\n").split(",") for line in path.open()]
    head, body = rows[0], rows[1:]
    out = {}
    for i, name in enumerate(head):
        col = [r[i] for r in body]
        try:
            out[name or "key"] = np.array(col, dtype=float)
        except ValueError:
            out[name or "key"] = np.array(col)
    return out


def reference() -> dict[str, dict]:
    ev = read_table(DATA / "stride_events_sample.csv")
    pos = read_table(DATA / "position_sample.csv")
    ori = read_table(DATA / "orientation_sample.csv")
    ref: dict[str, dict] = {}
    for foot in ("left", "right"):
        sel = ev["foot"] == foot
        sids = ev["s_id"][sel].astype(int)
        length, turn = [], []
        for sid in sids:
            m = (pos["key"] == f"{foot}_sensor") & (pos["s_id"] == sid)
            length.append(np.hypot(pos["pos_x"][m][-1], pos["pos_y"][m][-1]))
            mo = (ori["key"] == f"{foot}_sensor") & (ori["s_id"] == sid)
            q = np.column_stack([ori[k][mo] for k in ("q_x", "q_y", "q_z", "q_w")])
            r = Rotation.from_quat(q[[0, -1]])
            x = r.apply([1.0, 0.0, 0.0])
            yaw = np.arctan2(x[:, 1], x[:, 0])
            turn.append(np.angle(np.exp(1j * (yaw[1] - yaw[0]))))
        ref[foot] = {
            "start": ev["min_vel"][sel] / RATE,
            "ic": ev["ic"][sel] / RATE,
            "tc": ev["tc"][sel] / RATE,
            "stride_time": (ev["ic"][sel] - ev["pre_ic"][sel]) / RATE,
            "length": np.array(length),
            "turn": np.array(turn),
        }
    return ref


def detection(strides, labelled_span: bool) -> tuple[int, int, int]:
    """True positives, false positives, false negatives (see the module docstring for the rule).

    With ``labelled_span`` only detected strides inside the labelled walking (first labelled start to
    last labelled end of that foot) count: the labeller left out gait initiation and termination.
    """
    lab = read_table(DATA / "stride_borders_sample.csv")
    tp = fp = 0
    n_lab = len(lab["start"])
    for foot in ("left", "right"):
        sel = strides.foot == foot
        mid = 0.5 * (strides.t_tc[sel] + strides.t_ic[sel]) * RATE
        m = lab["foot"] == foot
        if labelled_span:
            mid = mid[(mid >= lab["start"][m].min()) & (mid <= lab["end"][m].max())]
        used = np.zeros(mid.shape[0], dtype=bool)
        for a, b in zip(lab["start"][m], lab["end"][m]):
            hit = np.flatnonzero((mid >= a) & (mid <= b) & ~used)
            if hit.size:
                used[hit[0]] = True
                tp += 1
        fp += int((~used).sum())
    return tp, fp, n_lab - tp


def matched(strides, ref):
    """Per reference stride: index of the matching detected stride (or -1)."""
    out = {}
    for foot, r in ref.items():
        sel = np.flatnonzero(strides.foot == foot)
        ts = strides.t_start[sel]
        idx = []
        for t0 in r["start"]:
            j = int(np.argmin(np.abs(ts - t0))) if ts.size else -1
            idx.append(sel[j] if j >= 0 and abs(ts[j] - t0) <= 0.25 else -1)
        out[foot] = np.array(idx)
    return out


def errors(strides, ref):
    m = matched(strides, ref)
    rows = {k: [] for k in ("dl", "straight", "dst", "dic", "dtc", "found")}
    for foot, r in ref.items():
        idx = m[foot]
        ok = idx >= 0
        rows["found"].append(ok)
        i = idx[ok]
        rows["dl"].append(strides.stride_length[i] - r["length"][ok])
        rows["straight"].append(np.abs(r["turn"][ok]) < np.deg2rad(20))
        rows["dst"].append(strides.stride_time[i] - r["stride_time"][ok])
        rows["dic"].append(strides.t_ic[i] - r["ic"][ok])
        rows["dtc"].append(strides.t_tc[i] - r["tc"][ok])
    return {k: np.concatenate(v) for k, v in rows.items()}, m


def main() -> int:
    if not DATA.is_dir():
        print(f"gaitmap example data not found at {DATA}")
        return 1
    rec = load_recording(DATA / "imu_sample.csv")
    t0 = time.perf_counter()
    res = analyze(rec)
    elapsed = time.perf_counter() - t0
    s = res.strides
    ref = reference()
    e, m = errors(s, ref)
    st = e["straight"]
    dl = e["dl"]
    print(f"gaitmap example: {rec.duration:.1f} s, 2 feet, analysed in {elapsed * 1000:.0f} ms")
    print("rule: detected stride matches a labelled stride (same foot) if its swing middle (TC..IC) "
          "lies inside the labelled [start, end]; one-to-one")
    for span, what in ((True, "inside the labelled walking"), (False, "whole recording incl. gait "
                                                             "initiation/termination (unlabelled)")):
        tp, fp, fn = detection(s, span)
        prec, rec_ = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * prec * rec_ / max(prec + rec_, 1e-12)
        print(f"stride detection, {what}: {tp} of 58 labelled found, {fp} extra, precision {prec:.3f} "
              f"recall {rec_:.3f} F1 {f1:.3f}   (target F1 >= 0.98)")
    print(f"reference strides matched (start within 0.25 s of min_vel): {int(e['found'].sum())} of "
          f"{e['found'].size}")
    print(f"stride length, straight strides (n={int(st.sum())}): MAE {np.mean(np.abs(dl[st])) * 100:.2f} cm, "
          f"bias {np.mean(dl[st]) * 100:+.2f} cm, SD {np.std(dl[st]) * 100:.2f} cm, median AE "
          f"{np.median(np.abs(dl[st])) * 100:.2f} cm   (target MAE <= 3 cm, |bias| <= 2 cm)")
    print(f"stride length, all strides incl. turns (n={dl.size}): MAE {np.mean(np.abs(dl)) * 100:.2f} cm, "
          f"bias {np.mean(dl) * 100:+.2f} cm")
    print(f"stride time (IC to IC): median abs error {np.median(np.abs(e['dst'])) * 1000:.1f} ms, "
          f"mean {np.mean(e['dst']) * 1000:+.1f} ms   (target median <= 10 ms)")
    print(f"initial contact: median abs error {np.median(np.abs(e['dic'])) * 1000:.1f} ms, mean "
          f"{np.mean(e['dic']) * 1000:+.1f} ms; terminal contact: median abs error "
          f"{np.median(np.abs(e['dtc'])) * 1000:.1f} ms, mean {np.mean(e['dtc']) * 1000:+.1f} ms   "
          "(target median <= 15 ms)")
    dirs, counts = np.unique(s.direction, return_counts=True)
    print("directions (all forward walking):", dict(zip(dirs.tolist(), counts.tolist())))

    # raw sensor axes, calibrated from its own start (standing + forward strides)
    from retrogait.analysis.calibration import calibrate_recording

    raw = load_recording(DATA / "imu_sample_not_rotated.csv")
    cal = calibrate_recording(raw)
    res_raw = analyze(raw, mount={foot: c.mount for foot, c in cal.items()})
    e_raw, m_raw = errors(res_raw.strides, ref)
    diffs = []
    for foot in ("left", "right"):
        a, b = m[foot], m_raw[foot]
        ok = (a >= 0) & (b >= 0)
        diffs.append(res_raw.strides.stride_length[b[ok]] - s.stride_length[a[ok]])
    diffs = np.concatenate(diffs)
    for foot, c in cal.items():
        ang = np.degrees(Rotation.from_matrix(c.mount @ np.eye(3)).magnitude())
        print(f"calibration ({foot}): rotation {ang:.1f} deg, {c.strides} strides, checks agree: "
              f"{c.consistent}; warnings: {c.warnings or 'none'}")
    print(f"not_rotated after calibration vs rotated: stride length max |diff| "
          f"{np.max(np.abs(diffs)) * 100:.2f} cm, mean |diff| {np.mean(np.abs(diffs)) * 100:.2f} cm over "
          f"{diffs.size} strides   (target within 1 cm)")
    dirs, counts = np.unique(res_raw.strides.direction, return_counts=True)
    print("directions after calibration:", dict(zip(dirs.tolist(), counts.tolist())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
