"""Balance and variability metrics of two sessions side by side, with their bootstrap standard errors.

    python3 examples/compare_sessions.py [BEFORE.rgt AFTER.rgt]   # default: the first and last weekly session

A difference larger than about 2 x sqrt(se_before^2 + se_after^2) is beyond the sampling noise of the
two sessions; whether it is a real change of the person needs their session-to-session spread too
(`retrogait compare`, docs/metrics.md).
"""

import math
import sys
from pathlib import Path

import retrogait
from retrogait.balance import metric_info, session_metrics

WEEKLY = Path(__file__).resolve().parents[1] / "sample_data" / "weekly"
paths = sys.argv[1:3] if len(sys.argv) > 2 else [WEEKLY / "p01_2026-01-05.rgt", WEEKLY / "p01_2026-02-16.rgt"]

sessions = []
for path in paths:
    rec = retrogait.load_recording(path)
    sessions.append(session_metrics(retrogait.analyze(rec).strides, rec))

print(f"{'metric':28s} {Path(paths[0]).stem:>18s} {Path(paths[1]).stem:>18s}   change")
for direction in sessions[0].directions:
    if direction not in sessions[1].directions:
        continue
    print(f"-- {direction}")
    a, b = sessions[0].directions[direction].metrics, sessions[1].directions[direction].metrics
    for name in a:
        if name not in b:
            continue
        info = metric_info(name)
        scale = info.display_scale
        noise = 2 * math.hypot(a[name].se, b[name].se)
        diff = b[name].value - a[name].value
        flag = "  beyond noise" if math.isfinite(noise) and abs(diff) > noise else ""
        print(f"{info.label[:28]:28s} {a[name].value * scale:10.3f} ±{a[name].se * scale:6.3f} "
              f"{b[name].value * scale:10.3f} ±{b[name].se * scale:6.3f}   {diff * scale:+.3f} "
              f"{info.display_unit or info.unit}{flag}")
