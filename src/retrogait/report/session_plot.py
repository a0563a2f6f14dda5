"""A one-page picture of an analyzed session (PNG, matplotlib Agg): ``retrogait analyze --plot`` and the
session report.

Four panels, drawn for what a clinician reads:

- **Foot placement** (top left): every stride's displacement in the foot's own frame, seen from above
  (sideways cm, forward / backward cm), one marker shape per foot, one colour per direction, with each
  group's mean. The same numbers as the tables: a side step of 51 cm is drawn 51 cm to the side. Good on
  a treadmill and overground alike.
- **Top right**: on a treadmill, the stride length distribution per direction (a path in the belt frame
  is a long drifting line that means nothing to a walker who stayed in place); overground, the foot path
  seen from above, with a second foot's path aligned to the first (best rigid fit over the common time),
  so two feet do not diverge in a V from their separate heading drift.
- **Stride length** and **cadence** over time (bottom), backward lengths below zero, in cm and steps/min,
  bouts shaded. Long sessions (over :data:`AGGREGATE_ABOVE_S` or :data:`AGGREGATE_ABOVE_STRIDES`) are
  summarised per minute (per 5 minutes beyond 2 hours: median line and interquartile band per
  direction) instead of a block of points.

Pure function of an :class:`~retrogait.analysis.AnalysisResult`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from retrogait.analysis.result import AnalysisResult
from retrogait.definitions import DIRECTIONS
from retrogait.report.text import mpl_literal

FIG_SIZE = (10.0, 8.0)  # inches
DPI = 100  # -> 1000 x 800 pixels

#: One colour per stride direction (colour-blind-safe Okabe-Ito palette).
COLOURS = {
    "forward": "#0072B2",
    "backward": "#D55E00",
    "sideways_left": "#009E73",
    "sideways_right": "#CC79A7",
    "in_place": "#999999",
}
#: One marker per foot.
MARKERS = {"left": "o", "right": "^"}
#: Sessions longer than this (s) or with more strides than this are summarised per minute over time.
AGGREGATE_ABOVE_S = 20 * 60.0
AGGREGATE_ABOVE_STRIDES = 1500
#: The stride-length and cadence axes span at least this much (cm, steps/min): a 2 cm wobble is not
#: drawn across the whole panel.
MIN_SPAN_CM = 20.0
MIN_SPAN_CADENCE = 10.0
#: At most this many strides per foot are drawn in the foot-placement panel (evenly spread in time).
MAX_POINTS_PER_FOOT = 600


def _colour(direction: str) -> str:
    return COLOURS.get(direction, "#000000")


def _label(direction: str) -> str:
    return direction.replace("sideways_", "side ").replace("_", " ")


def on_treadmill(result: AnalysisResult) -> bool:
    """True when the recording says it was made on a treadmill (``condition`` or ``belt_speed_m_s`` tag)."""
    tags = result.summary.get("tags") or {}
    return str(tags.get("condition", "")).lower() == "treadmill" or "belt_speed_m_s" in tags


def display_length_cm(result: AnalysisResult) -> np.ndarray:
    """Each stride's length as the tables give it (cm), negative for backward strides.

    Sideways and in-place strides keep their full (positive) length: a side step of 0.51 m is 51 cm, not
    its small forward component.
    """
    st = result.strides
    sign = np.where(st.direction == "backward", -1.0, 1.0)
    return 100.0 * sign * np.asarray(st.stride_length, dtype=float)


def cadence_steps_per_min(result: AnalysisResult) -> np.ndarray:
    """Each stride's cadence (steps/min; two steps per stride), NaN where the stride time is unknown."""
    t = np.asarray(result.strides.stride_time, dtype=float)
    out = np.full(t.size, np.nan)
    ok = np.isfinite(t) & (t > 0)
    out[ok] = 120.0 / t[ok]
    return out


def _time_unit(span_s: float) -> tuple[float, str]:
    if span_s > 3 * 3600:
        return 3600.0, "h"
    if span_s > 600:
        return 60.0, "min"
    return 1.0, "s"


def per_minute(t_s: np.ndarray, values: np.ndarray, bin_s: float = 60.0,
               min_count: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre time, median, 25th and 75th percentile of ``values`` per ``bin_s`` bin (bins with fewer than
    ``min_count`` finite values are left out)."""
    ok = np.isfinite(t_s) & np.isfinite(values)
    t_s, values = t_s[ok], values[ok]
    if t_s.size == 0:
        e = np.empty(0)
        return e, e, e, e
    k = np.floor(t_s / bin_s).astype(int)
    order = np.argsort(k, kind="stable")
    k, v = k[order], values[order]
    keys, start, counts = np.unique(k, return_index=True, return_counts=True)
    rows = [(key, np.percentile(v[s:s + c], [50, 25, 75])) for key, s, c in zip(keys, start, counts)
            if c >= min_count]
    if not rows:
        e = np.empty(0)
        return e, e, e, e
    centre = np.array([(key + 0.5) * bin_s for key, _ in rows])
    q = np.array([p for _, p in rows])
    return centre, q[:, 0], q[:, 1], q[:, 2]


def _thin(idx: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``idx``, evenly spread."""
    if idx.size <= limit:
        return idx
    return idx[np.unique(np.linspace(0, idx.size - 1, limit).round().astype(int))]


def _feet(result: AnalysisResult) -> list[str]:
    return sorted(set(np.asarray(result.strides.foot).astype(str).tolist()))


def _placement(ax: Any, result: AnalysisResult) -> str:
    """Stride vectors in the foot frame; returns a note on thinning ('' when every stride is drawn)."""
    st = result.strides
    lateral = 100.0 * np.asarray(st.lateral_deviation, dtype=float)
    forward = 100.0 * np.asarray(st.signed_length, dtype=float)
    shown_total, total = 0, len(st)
    for foot in _feet(result):
        mk = MARKERS.get(foot, "s")
        sel = np.flatnonzero(st.foot == foot)
        show = _thin(sel, MAX_POINTS_PER_FOOT)
        shown_total += show.size
        for d in DIRECTIONS:
            m = show[st.direction[show] == d]
            if m.size:
                ax.scatter(lateral[m], forward[m], s=12, marker=mk, color=_colour(d), alpha=0.55, lw=0, zorder=2)
            a = sel[st.direction[sel] == d]
            if a.size:  # the group mean from every stride, as in the tables
                ax.scatter([np.nanmean(lateral[a])], [np.nanmean(forward[a])], s=110, marker=mk,
                           facecolor="white", edgecolor=_colour(d), lw=2.0, zorder=4)
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=1)
    ax.axvline(0.0, color="0.6", lw=0.8, zorder=1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("sideways (cm, left +)")
    ax.set_ylabel("forward (cm), backward < 0")
    ax.set_title("each stride, seen from above (foot's frame)")
    handles = [Line2D([], [], ls="", marker="s", color=_colour(d), label=_label(d))
               for d in DIRECTIONS if (st.direction == d).any()]
    feet = _feet(result)
    if len(feet) > 1 or feet and feet[0] in MARKERS:
        handles += [Line2D([], [], ls="", marker=MARKERS.get(f, "s"), color="0.3", mfc="none", label=f"{f} foot")
                    for f in feet]
    handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="0.3", mew=2, ms=9, label="mean"))
    if handles:
        ax.legend(handles=handles, loc="best", fontsize=7, framealpha=0.85)
    if shown_total < total:
        return f"{shown_total} of {total} strides drawn (evenly spread); means from all"
    return ""


def _lengths(ax: Any, result: AnalysisResult) -> None:
    """Treadmill: stride length distribution per direction (cm, the tables' lengths)."""
    st = result.strides
    length = 100.0 * np.asarray(st.stride_length, dtype=float)
    present = [d for d in DIRECTIONS if (st.direction == d).any()]
    if not present:
        ax.text(0.5, 0.5, "no strides", ha="center", va="center", transform=ax.transAxes)
        return
    finite = length[np.isfinite(length)]
    hi = float(np.percentile(finite, 99.5)) * 1.1 + 1 if finite.size else 100.0
    bins = np.linspace(0.0, hi, 40)
    for d in present:
        v = length[(st.direction == d) & np.isfinite(length)]
        ax.hist(v, bins=bins, color=_colour(d), alpha=0.6, label=f"{_label(d)}: {np.mean(v):.0f} cm, n={v.size}")
        ax.axvline(float(np.mean(v)), color=_colour(d), lw=1.5)
    ax.set_xlabel("stride length (cm)")
    ax.set_ylabel("strides")
    ax.set_title("stride length on the belt (mean as a line)")
    ax.legend(loc="best", fontsize=7)


def _aligned_paths(result: AnalysisResult) -> dict[str, np.ndarray]:
    """Each foot's path (t, x, y); every foot after the first rotated and shifted onto the first by the
    best rigid fit over their common time (removes one foot's heading drift relative to the other)."""
    paths = {f: np.asarray(p, dtype=float) for f, p in sorted(result.paths.items()) if len(p)}
    feet = list(paths)
    if len(feet) < 2:
        return {f: p[:, :3] for f, p in paths.items()}
    ref = paths[feet[0]]
    out = {feet[0]: ref[:, :3]}
    for f in feet[1:]:
        p = paths[f]
        t0, t1 = max(ref[0, 0], p[0, 0]), min(ref[-1, 0], p[-1, 0])
        tt = p[(p[:, 0] >= t0) & (p[:, 0] <= t1), 0]
        if tt.size < 3 or ref.shape[0] < 2:
            out[f] = p[:, :3]
            continue
        a = np.column_stack([np.interp(tt, ref[:, 0], ref[:, 1]), np.interp(tt, ref[:, 0], ref[:, 2])])
        b = np.column_stack([np.interp(tt, p[:, 0], p[:, 1]), np.interp(tt, p[:, 0], p[:, 2])])
        ca, cb = a.mean(axis=0), b.mean(axis=0)
        h = (b - cb).T @ (a - ca)
        ang = np.arctan2(h[0, 1] - h[1, 0], h[0, 0] + h[1, 1])
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        xy = (p[:, 1:3] - cb) @ rot.T + ca
        out[f] = np.column_stack([p[:, 0], xy])
    return out


def _path(ax: Any, result: AnalysisResult) -> None:
    """Overground: the foot path(s) from above, a second foot aligned to the first."""
    paths = _aligned_paths(result)
    if not paths:
        ax.text(0.5, 0.5, "no path", ha="center", va="center", transform=ax.transAxes)
        return
    styles = {"left": "-", "right": "--"}
    first = next(iter(paths))
    for f, p in paths.items():
        label = f"{f} foot" + ("" if f == first else f" (aligned to {first})")
        ax.plot(p[:, 1], p[:, 2], styles.get(f, ":"), color="0.35", lw=1.0, label=label)
        ax.plot(p[:1, 1], p[:1, 2], marker=MARKERS.get(f, "s"), color="k", ms=7, ls="")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title("path from above (marker: start)")
    ax.legend(loc="best", fontsize=7)


def aggregate_bin_s(span_s: float) -> float:
    """Bin width (s) of a long session's summary over time: 1 minute, 5 minutes beyond 2 hours (so a
    6-hour session has 72 bins, not 360 too thin to read)."""
    return 300.0 if span_s > 2 * 3600 else 60.0


def _over_time(ax: Any, result: AnalysisResult, values: np.ndarray, aggregate: bool, scale: float,
               bin_s: float = 60.0) -> None:
    st = result.strides
    t = np.asarray(st.t_start, dtype=float)
    for d in DIRECTIONS:
        m = st.direction == d
        if not m.any():
            continue
        if aggregate:
            c, med, q1, q3 = per_minute(t[m], values[m], bin_s)
            if c.size:
                ax.plot(c / scale, med, color=_colour(d), lw=1.4, label=_label(d))
                ax.fill_between(c / scale, q1, q3, color=_colour(d), alpha=0.25, lw=0)
        else:
            ax.plot(t[m] / scale, values[m], "o", ms=3, color=_colour(d), label=_label(d))


def _shade_bouts(ax: Any, result: AnalysisResult, scale: float) -> None:
    spans = sorted((b["t_start"] / scale, b["duration_s"] / scale) for b in result.bouts)
    merged: list[list[float]] = []
    for s, w in spans:
        if merged and s <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], s + w - merged[-1][0])
        else:
            merged.append([s, w])
    if merged:
        ax.broken_barh([tuple(m) for m in merged], (0, 1), transform=ax.get_xaxis_transform(),
                       color="0.93", zorder=0)


def _min_span(ax: Any, span: float) -> None:
    """Widen the y axis to at least ``span`` (around its centre) so that noise is not magnified."""
    lo, hi = ax.get_ylim()
    if hi - lo < span:
        mid = (lo + hi) / 2
        ax.set_ylim(mid - span / 2, mid + span / 2)


def session_figure(result: AnalysisResult, title: str = "") -> Figure:
    """The session figure (see the module docstring)."""
    st = result.strides
    fig = Figure(figsize=FIG_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.15, 1.0])
    ax_place = fig.add_subplot(grid[0, 0])
    ax_right = fig.add_subplot(grid[0, 1])
    ax_len = fig.add_subplot(grid[1, 0])
    ax_cad = fig.add_subplot(grid[1, 1], sharex=ax_len)
    treadmill = on_treadmill(result)
    span = float(np.nanmax(st.t_end) - np.nanmin(st.t_start)) if len(st) else 0.0
    aggregate = span > AGGREGATE_ABOVE_S or len(st) > AGGREGATE_ABOVE_STRIDES
    scale, unit = _time_unit(span)
    sub = "treadmill" if treadmill else "overground"
    fig.suptitle(mpl_literal(f"{title or 'retrogait session'} ({sub}, {len(st)} strides)"))

    note = _placement(ax_place, result)
    if treadmill:
        _lengths(ax_right, result)
    else:
        _path(ax_right, result)

    bin_s = aggregate_bin_s(span)
    _over_time(ax_len, result, display_length_cm(result), aggregate, scale, bin_s)
    _over_time(ax_cad, result, cadence_steps_per_min(result), aggregate, scale, bin_s)
    for ax in (ax_len, ax_cad):
        _shade_bouts(ax, result, scale)
        ax.set_xlabel(f"time ({unit})")
    shown = display_length_cm(result)
    if np.nanmin(shown, initial=0.0) < 0 < np.nanmax(shown, initial=0.0):
        ax_len.axhline(0.0, color="0.4", lw=0.8)  # both signs: the zero line separates the directions
    ax_len.set_ylabel("stride length (cm), backward < 0")
    ax_cad.set_ylabel("cadence (steps/min)")
    _min_span(ax_len, MIN_SPAN_CM)
    _min_span(ax_cad, MIN_SPAN_CADENCE)
    how = (f"median and quartiles per {bin_s / 60:.0f} min" if aggregate else "each stride")
    ax_len.set_title(f"stride length ({how})")
    ax_cad.set_title(f"cadence ({how})")
    if len(st):
        ax_len.legend(loc="best", fontsize=7)
    else:
        ax_len.text(0.5, 0.5, "no strides", ha="center", va="center", transform=ax_len.transAxes)
    if note:
        ax_place.text(0.01, 0.01, note, transform=ax_place.transAxes, fontsize=7, color="0.3", va="bottom")
    return fig


def save_session_plot(result: AnalysisResult, path: str | Path, title: str = "") -> Path:
    """Write :func:`session_figure` as a PNG to ``path``; returns the path."""
    path = Path(path)
    session_figure(result, title).savefig(path, format="png")
    return path
