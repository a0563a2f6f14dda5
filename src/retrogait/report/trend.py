"""Trend plots across weeks (PNG, matplotlib Agg) and a self-contained HTML report of all metrics.

Both draw and print the verdicts of one :class:`retrogait.history.compare.Comparison` (the same
object `retrogait compare` prints), so the plot's band, the HTML table and `compare` always agree.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from retrogait.balance.catalog import DIRECTIONS, METRICS
from retrogait.history import display, periods
from retrogait.history.compare import VERDICT_NOTES, Comparison, MetricComparison
from retrogait.history.queries import StoredSession
from retrogait.report.text import mpl_literal

FIG_SIZE = (8.0, 4.5)  # inches
DPI = 100  # -> 800 x 450 pixels


def default_baseline(sessions: list[StoredSession], direction: str) -> list[StoredSession]:
    """The default baseline of ``direction``: its sessions of the first two ISO weeks (at least 3)."""
    return periods.default_baseline([s for s in sessions if direction in s.directions])


def _points(
    sessions: list[StoredSession], direction: str, metric: str
) -> tuple[list[StoredSession], np.ndarray, np.ndarray]:
    keep = [s for s in sessions if s.value(direction, metric) is not None]
    values = np.array([s.value(direction, metric) for s in keep], float)
    ses = np.array([s.directions[direction].metrics[metric].se for s in keep], float)
    return keep, values, ses


def find_row(comparison: Comparison | None, direction: str, metric: str) -> MetricComparison | None:
    """The comparison's row of ``metric`` in ``direction`` (None when it has none)."""
    if comparison is None:
        return None
    return next((r for r in comparison.rows if r.direction == direction and r.metric == metric), None)


def trend_figure(
    sessions: list[StoredSession], metric: str, direction: str, comparison: Comparison | None = None,
    subject: str = "",
) -> Figure:
    """``metric`` per session (bootstrap SE bars) and per ISO week (mean), with the comparison's
    baseline mean, the band the *current period's mean* must leave to be beyond noise (the same
    threshold `compare` uses), the minimal important change, the current mean and the verdict."""
    info = METRICS[metric]
    keep, values, ses = _points(sessions, direction, metric)
    days = [date.fromisoformat(s.day) for s in keep]
    fig = Figure(figsize=FIG_SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    scale = info.display_scale
    base_ids = set(comparison.baseline_sessions) if comparison else set()
    cur_ids = set(comparison.current_sessions) if comparison else set()
    row = find_row(comparison, direction, metric)
    if row is not None and math.isfinite(row.baseline):
        kind = "geometric mean" if row.log_scale else "mean"
        ax.axhline(row.baseline * scale, color="0.3", lw=1.2,
                   label=f"baseline {kind} ({row.n_baseline} sessions)")
        if math.isfinite(row.band_low) and math.isfinite(row.band_high):
            ax.axhspan(row.band_low * scale, row.band_high * scale, color="tab:green", alpha=0.15,
                       label=f"within noise for a mean of {row.n_current} current session(s)")
        if math.isfinite(row.mic):
            for sign in (-1, 1):
                ax.axhline((row.baseline + sign * row.mic) * scale, color="tab:purple", ls="--", lw=0.9,
                           label="minimal important change" if sign < 0 else None)
        cur_days = [d for d, s in zip(days, keep) if s.id in cur_ids]
        if cur_days and math.isfinite(row.current):
            ax.plot([min(cur_days), max(cur_days)], [row.current * scale] * 2, "-", color="tab:orange", lw=3,  # type: ignore[arg-type]
                    solid_capstyle="round", label=f"current mean: {row.verdict}")
    if keep:
        weeks = sorted({s.iso_week for s in keep})
        wx = [min(d for d, s in zip(days, keep) if s.iso_week == w) for w in weeks]
        wy = [np.mean([v for v, s in zip(values, keep) if s.iso_week == w]) * scale for w in weeks]
        ax.plot(wx, wy, "-", color="tab:blue", lw=1.0, alpha=0.7, label="weekly mean")  # type: ignore[arg-type]
        colors = ["0.45" if s.id in base_ids else "tab:orange" if s.id in cur_ids else "tab:blue" for s in keep]
        ax.errorbar(days, values * scale, yerr=np.nan_to_num(ses) * scale, fmt="none", ecolor="0.6", lw=0.8)  # type: ignore[arg-type]
        ax.scatter(days, values * scale, c=colors, s=22, zorder=3,  # type: ignore[arg-type]
                   label="session (grey: baseline, orange: current)")
        step = max(1, math.ceil(len(wx) / 12))
        ax.set_xticks(wx[::step])  # type: ignore[arg-type]
        ax.set_xticklabels(weeks[::step], rotation=45, ha="right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no sessions with this metric", ha="center", va="center", transform=ax.transAxes)
    unit = info.shown_unit
    ax.set_ylabel(mpl_literal(f"{info.label} ({unit})" if unit else info.label))
    title = f"{info.label}, {direction}" + (f", {subject}" if subject else "")
    if row is not None:
        title += f": {row.verdict}"
    ax.set_title(mpl_literal(title + (" (exploratory)" if info.exploratory else "")), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (exactly FIG_SIZE * DPI pixels)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def write_trend_png(path: Path | str, *args: object, **kwargs: object) -> None:
    """:func:`trend_figure` saved as a PNG file (complete or not at all: an exclusive temporary file
    beside it, renamed into place)."""
    from retrogait.io.fileformat import atomic_write

    png = figure_png(trend_figure(*args, **kwargs))  # type: ignore[arg-type]
    with atomic_write(path, text=False) as fh:
        fh.write(png)


def comparison_table_html(comparison: Comparison, direction: str) -> str:
    """The comparison's rows of ``direction`` as an HTML table (the same cells as `compare`)."""
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in
                                    ["metric", "unit", "baseline", "current", "change", "detectable", "MIC",
                                     "verdict"]) + "</tr>"]
    for r in comparison.rows:
        if r.direction != direction:
            continue
        cells = [METRICS[r.metric].label + (" *" if r.exploratory else ""), display.unit(r.metric),
                 display.fmt(r.metric, r.baseline), display.fmt(r.metric, r.current),
                 display.fmt(r.metric, r.change, signed=True), display.fmt(r.metric, r.detectable),
                 display.fmt(r.metric, r.mic), r.verdict]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def html_report(sessions: list[StoredSession], subject: str, comparison: Comparison) -> str:
    """A self-contained HTML page: per direction, the comparison's table (exactly what `retrogait
    compare` prints for the same periods) and a trend plot of every compared metric (PNG embedded as
    base64)."""
    by_id = {s.id: s for s in sessions}
    b = [by_id[i] for i in comparison.baseline_sessions if i in by_id]
    c = [by_id[i] for i in comparison.current_sessions if i in by_id]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>retrogait trends: {html.escape(subject)}</title>",
        "<style>body{font-family:sans-serif;max-width:900px;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
        "td:first-child{text-align:left}img{max-width:100%}</style></head><body>",
        f"<h1>retrogait trends: {html.escape(subject)}</h1>",
        f"<p>{len(sessions)} sessions, {html.escape(sessions[0].day if sessions else '')} to "
        f"{html.escape(sessions[-1].day if sessions else '')}; condition "
        f"{html.escape(comparison.condition or 'unknown')}. Baseline: {len(b)} sessions "
        f"({html.escape(b[0].day if b else '')} to {html.escape(b[-1].day if b else '')}); current: "
        f"{len(c)} sessions ({html.escape(c[0].day if c else '')} to {html.escape(c[-1].day if c else '')}).</p>",
        "<p>A change is reported as improved / worse (or higher / lower) only when it is beyond this "
        "person's day-to-day noise (<i>detectable</i>: personal threshold from &ge;3 baseline sessions, else "
        "the literature MDC) <b>and</b> at least the minimal important change (<i>MIC</i>, from the "
        "literature where one exists). The same verdicts as <code>retrogait compare</code> with the same "
        "periods. Definitions and sources: docs/metrics.md.</p>",
    ]
    if comparison.warnings:
        parts.append("<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in comparison.warnings) + "</ul>")
    notes = sorted({r.verdict for r in comparison.rows} & set(VERDICT_NOTES))
    if notes:
        parts.append("<ul>" + "".join(f"<li><b>{html.escape(v)}</b>: {html.escape(VERDICT_NOTES[v])}</li>"
                                      for v in notes) + "</ul>")
    for direction in DIRECTIONS:
        rows = [r for r in comparison.rows if r.direction == direction]
        if not rows:
            continue
        parts.append(f"<h2>{html.escape(direction.capitalize())}</h2>")
        parts.append(comparison_table_html(comparison, direction))
        for r in rows:
            png = figure_png(trend_figure(sessions, r.metric, direction, comparison, subject))
            parts.append(f"<h3>{html.escape(METRICS[r.metric].label)}</h3><img alt='{html.escape(r.metric)}' "
                         f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("</body></html>")
    return "\n".join(parts)
