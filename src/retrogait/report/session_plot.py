"""A one-page picture of an analyzed session (PNG, matplotlib Agg): ``retrogait analyze --plot``.

Three panels: the foot path seen from above (world / belt frame, one line per foot, strides coloured by
direction); signed stride length over time (negative = backward) with the bouts shaded; and the
stride-by-stride cadence. Pure function of an :class:`~retrogait.analysis.AnalysisResult`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from retrogait.analysis.result import DIRECTIONS, AnalysisResult

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


def _colour(direction: str) -> str:
    return COLOURS.get(direction, "#000000")


def session_figure(result: AnalysisResult, title: str = "") -> Figure:
    """The session figure: foot path from above, signed stride length and cadence over time."""
    st = result.strides
    fig = Figure(figsize=FIG_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.2, 1.0])
    ax_path = fig.add_subplot(grid[0, :])
    ax_len = fig.add_subplot(grid[1, 0])
    ax_cad = fig.add_subplot(grid[1, 1], sharex=ax_len)
    fig.suptitle(title or "retrogait session")

    for foot, path in result.paths.items():
        if len(path):
            ax_path.plot(path[:, 1], path[:, 2], color="0.75", lw=0.8, zorder=1)
            ax_path.plot(path[:1, 1], path[:1, 2], "k^", ms=6, zorder=3)
        sel = st.foot == foot
        for d in DIRECTIONS:
            m = sel & (st.direction == d)
            if not m.any():
                continue
            start = st.position[m, :2]
            end = start + st.stride_vector[m, :2]
            ax_path.add_collection(LineCollection(np.stack([start, end], axis=1), colors=_colour(d), lw=1.6,
                                                  zorder=2))
    ax_path.autoscale_view()
    ax_path.set_aspect("equal", adjustable="datalim")
    ax_path.set_xlabel("x (m)")
    ax_path.set_ylabel("y (m)")
    ax_path.set_title("foot path seen from above (belt frame on a treadmill; ▲ start)")

    for d in DIRECTIONS:
        m = st.direction == d
        if m.any():
            ax_len.plot(st.t_start[m], st.signed_length[m], "o", ms=3, color=_colour(d), label=d.replace("_", " "))
    for bout in result.bouts:
        ax_len.axvspan(bout["t_start"], bout["t_start"] + bout["duration_s"], color="0.92", zorder=0)
    ax_len.axhline(0.0, color="0.4", lw=0.8)
    ax_len.set_xlabel("time (s)")
    ax_len.set_ylabel("stride length (m), backward < 0")
    ax_len.set_title("stride length")
    if len(st):
        ax_len.legend(loc="best", fontsize=8)

    ok = np.isfinite(st.stride_time) & (st.stride_time > 0)
    cadence = np.full(len(st), np.nan)
    cadence[ok] = 120.0 / st.stride_time[ok]  # two steps per stride
    for d in DIRECTIONS:
        m = (st.direction == d) & ok
        if m.any():
            ax_cad.plot(st.t_start[m], cadence[m], "o", ms=3, color=_colour(d))
    ax_cad.set_xlabel("time (s)")
    ax_cad.set_ylabel("cadence (steps/min)")
    ax_cad.set_title("cadence per stride")
    if not len(st):
        ax_len.text(0.5, 0.5, "no strides", ha="center", va="center", transform=ax_len.transAxes)
    return fig


def save_session_plot(result: AnalysisResult, path: str | Path, title: str = "") -> Path:
    """Write :func:`session_figure` as a PNG to ``path``; returns the path."""
    path = Path(path)
    session_figure(result, title).savefig(path, format="png")
    return path
