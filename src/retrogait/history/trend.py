"""Trend plots across weeks (PNG, matplotlib Agg) and a self-contained HTML report of all metrics."""

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
from retrogait.history import periods
from retrogait.history.queries import StoredSession
from retrogait.history.compare import compare_metric, value_n as _value_n
from retrogait.history.reliable_change import change_threshold

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


def trend_figure(
    sessions: list[StoredSession], metric: str, direction: str, baseline: list[StoredSession], subject: str = ""
) -> Figure:
    """A figure of ``metric`` per session (with bootstrap SE bars) and per ISO week (mean), the
    baseline mean and the band a single new session must leave to count as a real change."""
    info = METRICS[metric]
    keep, values, ses = _points(sessions, direction, metric)
    days = [date.fromisoformat(s.day) for s in keep]
    fig = Figure(figsize=FIG_SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    scale = info.display_scale
    ids = {s.id for s in baseline}
    base_vals = np.array([s.value(direction, metric) for s in baseline
                          if s.value(direction, metric) is not None], float)
    if base_vals.size:
        log = info.log_scale and bool(np.all(base_vals > 0))
        thr = change_threshold(base_vals, 1, info.population_mdc95(float(base_vals.mean())), log=log)
        mean = float(np.exp(np.mean(np.log(base_vals)))) if thr.log else float(base_vals.mean())
        kind = "geometric mean" if thr.log else "mean"
        ax.axhline(mean * scale, color="0.3", lw=1.2, label=f"baseline {kind} ({base_vals.size} sessions)")
        lo, hi = thr.band(mean)
        if math.isfinite(lo) and math.isfinite(hi):
            ax.axhspan(lo * scale, hi * scale, color="tab:green", alpha=0.15,
                       label=f"no detectable change ({thr.source} threshold)")
    if keep:
        weeks = sorted({s.iso_week for s in keep})
        wx = [min(d for d, s in zip(days, keep) if s.iso_week == w) for w in weeks]
        wy = [np.mean([v for v, s in zip(values, keep) if s.iso_week == w]) * scale for w in weeks]
        ax.plot(wx, wy, "-", color="tab:blue", lw=1.5, label="weekly mean")
        colors = ["0.45" if s.id in ids else "tab:blue" for s in keep]
        ax.errorbar(days, values * scale, yerr=np.nan_to_num(ses) * scale, fmt="none", ecolor="0.6", lw=0.8)
        ax.scatter(days, values * scale, c=colors, s=22, zorder=3, label="session (grey: baseline)")
        ax.set_xticks(wx)
        ax.set_xticklabels(weeks, rotation=45, ha="right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no sessions with this metric", ha="center", va="center", transform=ax.transAxes)
    unit = info.shown_unit
    ax.set_ylabel(f"{info.label} ({unit})" if unit else info.label)
    title = f"{info.label}, {direction} walking" + (f", {subject}" if subject else "")
    ax.set_title(title + (" (exploratory)" if info.exploratory else ""))
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
    """:func:`trend_figure` saved as a PNG file."""
    Path(path).write_bytes(figure_png(trend_figure(*args, **kwargs)))  # type: ignore[arg-type]


def _fmt(info_name: str, x: float) -> str:
    info = METRICS[info_name]
    return "" if x is None or not math.isfinite(x) else f"{info.show(x):.3g}"


def html_report(
    sessions: list[StoredSession], subject: str, baseline_by_direction: dict[str, list[StoredSession]] | None = None
) -> str:
    """A self-contained HTML page: per direction, a summary table (the latest ISO week's sessions vs
    the baseline, as `retrogait compare` judges them) and a trend plot of every metric with data (PNG
    embedded as base64)."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>retrogait trends: {html.escape(subject)}</title>",
        "<style>body{font-family:sans-serif;max-width:900px;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
        "td:first-child{text-align:left}</style></head><body>",
        f"<h1>retrogait trends: {html.escape(subject)}</h1>",
        f"<p>{len(sessions)} sessions, {html.escape(sessions[0].day if sessions else '')} to "
        f"{html.escape(sessions[-1].day if sessions else '')}. The band is the change a single new session "
        "must exceed to count as real (personal threshold from &ge;3 baseline sessions, else literature "
        "MDC). Definitions: docs/metrics.md.</p>",
    ]
    for direction in DIRECTIONS:
        have = [s for s in sessions if direction in s.directions]
        if not have:
            continue
        baseline = (baseline_by_direction or {}).get(direction) or default_baseline(sessions, direction)
        latest_week = have[-1].iso_week
        current = [s for s in have if s.iso_week == latest_week and s not in baseline]
        parts.append(f"<h2>{direction.capitalize()} walking</h2>")
        parts.append(f"<p>Baseline: {len(baseline)} sessions ({html.escape(baseline[0].iso_week)} to "
                     f"{html.escape(baseline[-1].iso_week)}); current: the {len(current)} session(s) of "
                     f"{html.escape(latest_week)}.</p>")
        parts.append("<table><tr><th>metric</th><th>unit</th><th>baseline</th><th>current</th>"
                     "<th>change</th><th>detectable</th><th>verdict</th></tr>")
        figures = []
        for name, info in METRICS.items():
            keep, _, _ = _points(sessions, direction, name)
            if not keep:
                continue
            if current:
                r = compare_metric(direction, name, [_value_n(s, direction, name) for s in baseline],
                                   [_value_n(s, direction, name) for s in current])
                parts.append(
                    f"<tr><td>{html.escape(info.label)}</td><td>{html.escape(info.shown_unit)}</td>"
                    f"<td>{_fmt(name, r.baseline)}</td><td>{_fmt(name, r.current)}</td>"
                    f"<td>{_fmt(name, r.change)}</td><td>{_fmt(name, r.detectable)}</td>"
                    f"<td>{html.escape(r.verdict)}</td></tr>"
                )
            png = figure_png(trend_figure(sessions, name, direction, baseline, subject))
            figures.append(f"<h3>{html.escape(info.label)}</h3><img alt='{html.escape(name)}' "
                           f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
        parts.append("</table>")
        parts.extend(figures)
    parts.append("</body></html>")
    return "\n".join(parts)
