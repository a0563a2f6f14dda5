"""Per-stride spatial parameters from a chunk's trajectory (lateral excursion, clearance, swing peak)."""

from __future__ import annotations

import numpy as np

from retrogait.analysis.compiled import kernels
from retrogait.analysis.strapdown import Trajectory


def path_shape(traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """Max lateral excursion from the straight start-end line and max height above that line (m).

    The height (clearance of the sensor) is measured from the straight line joining the two stance
    positions, so on an inclined belt it is the lift above the belt, not the climb.
    """
    kern = kernels(int(traj.idx.shape[0]))
    if kern is not None:
        lat_k, clear_k = np.empty(traj.first.shape[0]), np.empty(traj.first.shape[0])
        kern.path_shape(traj.pos, traj.first, traj.lens, lat_k, clear_k)
        return lat_k, clear_k
    d = traj.disp[traj.grp]
    dh = np.hypot(d[:, 0], d[:, 1])
    ok = dh > 0.01
    u = np.where(ok[:, None], d[:, :2] / np.where(ok, dh, 1.0)[:, None], np.array([1.0, 0.0]))
    p = traj.pos
    along = p[:, 0] * u[:, 0] + p[:, 1] * u[:, 1]
    across = np.abs(p[:, 1] * u[:, 0] - p[:, 0] * u[:, 1])
    local = np.arange(p.shape[0]) - traj.first[traj.grp]
    frac_t = local / np.maximum(traj.lens - 1, 1)[traj.grp]
    frac = np.where(ok, np.clip(along / np.where(ok, dh, 1.0), 0.0, 1.0), frac_t)
    height = p[:, 2] - d[:, 2] * frac
    lat = np.maximum.reduceat(np.where(ok, across, 0.0), traj.first)
    clear = np.maximum.reduceat(height, traj.first)
    lat[~(traj.disp[:, 0] ** 2 + traj.disp[:, 1] ** 2 > 0.01**2)] = np.nan
    return lat, clear


def segment_max(x: np.ndarray, traj: Trajectory) -> np.ndarray:
    """Max of a per-sample stream quantity ``x`` over each segment."""
    return np.maximum.reduceat(x[traj.idx], traj.first)


def segment_any(mask: np.ndarray, traj: Trajectory) -> np.ndarray:
    """Whether a per-sample mask is set anywhere in each segment."""
    return np.logical_or.reduceat(mask[traj.idx], traj.first)
