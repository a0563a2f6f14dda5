"""A one-page, self-contained HTML report of one session (`retrogait report FILE -o session.html`).

Everything is inside the page (images as PNG data URIs, inline CSS, no scripts, no network): a
physiotherapist can mail or print it. It shows who / when / condition, warnings in plain words, the
direction split, the session plot, the per-direction (and gait) tables, the two-feet asymmetry, the
balance metrics beside the literature's typical values, and, when the history holds this session,
its place against the person's baseline with the same verdicts as `retrogait compare`.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from retrogait.balance.catalog import METRICS

#: Typical values from docs/metrics.md (tags as there: [V] checked, [R] recalled, not re-checked).
TYPICAL = {
    "stride_time_cv": "young / healthy about 1-3 % [R]",
    "stride_length_cv": "about 2-4 % [R]",
    "stance_fraction": "about 60 % in forward walking [R]",
    "swing_time_sr": "about 1.00; normative upper bound about 1.05-1.08 [R]",
    "stance_time_sr": "about 1.00; normative upper bound about 1.05-1.08 [R]",
    "step_time_sr": "about 1.00; normative upper bound about 1.05-1.08 [R]",
    "dfa_alpha": "healthy 0.75-0.9 [V]; exploratory",
}

#: nothing may be fetched: images are data URIs, the style is inline, there are no scripts
CSP = ("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
       "style-src 'unsafe-inline'\">")

CSS = ("body{font-family:sans-serif;max-width:900px;margin:auto;padding:0 12px;color:#222}"
       "table{border-collapse:collapse;margin:6px 0 14px}td,th{border:1px solid #ccc;padding:3px 8px;"
       "text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}"
       ".warn{background:#fff3cd;border:1px solid #e0c36c;padding:6px 10px;margin:6px 0}"
       "img{max-width:100%}small{color:#555}@media print{.warn{break-inside:avoid}}")


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _png_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _c(x: Any, d: int = 1) -> str:
    return "-" if x is None else f"{x:.{d}f}"


def _scaled(x: Any, factor: float) -> Any:
    """An SI value of the summary in display units (ms, cm); None stays None."""
    return None if x is None else factor * x


def session_report_html(result: Any, recording: Any, name: str, comparison: Any = None,
                        history_sessions: list | None = None) -> str:
    """The report page (see module doc). ``comparison``: this session (current) against the person's
    baseline, from :func:`retrogait.history.compare.compare` (None when it is not in the history)."""
    from retrogait.balance.metrics import session_metrics
    from retrogait.report.session_plot import session_figure
    from retrogait.report.session_tables import default_mount_warning, fmt_duration

    s = result.summary
    tags = s.get("tags", {})
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>", CSP,
             f"<title>retrogait session report: {_e(name)}</title><style>{CSS}</style></head><body>",
             f"<h1>Session report: {_e(s.get('subject') or 'unnamed subject')}</h1>"]
    who = [["recording", name], ["subject", s.get("subject") or "-"], ["start (UTC)", s.get("start_time") or "-"],
           ["condition", tags.get("condition", "-")], ["feet", ", ".join(s["feet"])],
           ["recording / walking time", f"{fmt_duration(s['duration_s'])} / {fmt_duration(s['walking_time_s'])}"]]
    if tags.get("belt_speed_m_s") is not None:
        who.append(["belt speed setting", f"{tags['belt_speed_m_s']} m/s"])
    inc = s["incline"]
    if inc["grade_pct"] is not None:
        who.append(["incline estimate", f"{inc['grade_pct']:+.1f} % (95 % CI {inc['ci95_low_pct']:+.1f} to "
                                        f"{inc['ci95_high_pct']:+.1f}, statistical only)"])
    who.append(["sensor mounting", "; ".join(f"{f}: {src}" for f, src in s["mounting"]["sources"].items())])
    if s.get("energy"):
        from retrogait.analysis.energy import describe

        source = s["energy"].get("mass_source", "--mass")
        who.append(["energy (estimate)", describe(s["energy"]) + f" ({'given' if source == '--mass' else source}; "
                    "ACSM walking/running equations, backward walking x1.4; about +-11 % forward, +-19 % "
                    "backward, 1 SD)"])
    parts.append(_table(["", ""], who).replace("<tr><th></th><th></th></tr>", ""))

    warn = default_mount_warning(s["mounting"])
    for w in ([warn] if warn else []) + list(result.warnings):
        parts.append(f"<div class='warn'><b>Warning:</b> {_e(w)}</div>")

    total = max(1, s["strides"])
    split = ", ".join(f"{d.replace('_', ' ')} {v['strides'] / total:.0%}" for d, v in s["by_direction"].items())
    parts.append(f"<h2>Directions</h2><p>Share of strides: {_e(split)}.</p>")
    parts.append(f"<img alt='session plot' src='{_png_uri(session_figure(result, name))}'>")

    parts.append("<h2>Per direction and gait</h2>")
    parts.append(_table(
        ["direction", "gait", "strides", "cadence (steps/min)", "stride time (ms)", "stance (%)",
         "stride length (cm)", "speed (m/s)", "time"],
        [[g["direction"].replace("_", " "), g["gait"], str(g["strides"]), _c(g["cadence_steps_per_min"]),
          _c(_scaled(g["stride_time_s"], 1000.0), 0), _c(g["stance_pct"]),
          _c(_scaled(g["stride_length_m"], 100.0), 0) + ("" if g["stride_length_sd_m"] is None
                                                         else f" ± {100.0 * g['stride_length_sd_m']:.0f}"),
          _c(g["speed_m_s"], 2), fmt_duration(g["time_s"])] for g in s["by_direction_gait"]]))
    parts.append("<p><small>Medians of steady strides (stride length: mean ± SD). On a treadmill, speed "
                 "and distance are relative to the belt.</small></p>")
    if s["asymmetry"]:
        parts.append("<h2>Left and right</h2>")
        parts.append(_table(
            ["direction", "step time L / R (ms)", "asymmetry (%)", "step length L / R (cm)", "asymmetry (%)"],
            [[d, f"{_c(_scaled(v['step_time_left_s'], 1000.0), 0)} / {_c(_scaled(v['step_time_right_s'], 1000.0), 0)}",
              _c(v["step_time_asymmetry_pct"]),
              f"{_c(_scaled(v['step_length_left_m'], 100.0))} / {_c(_scaled(v['step_length_right_m'], 100.0))}",
              _c(v["step_length_asymmetry_pct"])] for d, v in s["asymmetry"].items()]))

    from retrogait.history import display

    bal = session_metrics(result.strides, recording)
    for d, dm in bal.directions.items():
        rows = []
        for m, v in dm.metrics.items():
            if m not in METRICS or v.value != v.value:
                continue
            rows.append([METRICS[m].label, display.unit(m), display.fmt(m, v.value), display.fmt(m, v.se),
                         str(v.n), TYPICAL.get(m, "")])
        if rows:
            parts.append(f"<h2>Balance metrics, {_e(d)}</h2>")
            parts.append(_table(["metric", "unit", "value", "± SE", "strides", "typical (literature)"], rows))
    parts.append("<p><small>Definitions, typical values and their sources: docs/metrics.md. [V] checked "
                 "against the source, [R] recalled and not re-checked.</small></p>")

    if comparison is not None:
        from retrogait.history.compare import VERDICT_NOTES
        from retrogait.report.trend import comparison_table_html

        parts.append("<h2>Compared with the baseline</h2>")
        parts.append(f"<p>This session against {len(comparison.baseline_sessions)} baseline sessions, with the "
                     "same verdicts as <code>retrogait compare</code>: improved / worse needs a change beyond "
                     "the person's day-to-day noise <b>and</b> at least the minimal important change.</p>")
        for d in dict.fromkeys(r.direction for r in comparison.rows):
            parts.append(f"<h3>{_e(d)}</h3>" + comparison_table_html(comparison, d))
        notes = sorted({r.verdict for r in comparison.rows} & set(VERDICT_NOTES))
        if notes:
            parts.append("<ul>" + "".join(f"<li><b>{_e(v)}</b>: {_e(VERDICT_NOTES[v])}</li>" for v in notes) + "</ul>")
        for w in comparison.warnings:
            parts.append(f"<div class='warn'>{_e(w)}</div>")
    parts.append("<p><small>Made by retrogait." + ("" if s.get("energy") else " Energy: give the body mass "
                 "(<code>--mass KG</code>, or <code>retrogait add --mass KG</code> once) for an estimate.")
                 + "</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)
