"""The rich live view of ``retrogait record`` (refreshed 4 times a second, on stderr)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from retrogait.device.recorder import Recorder


def render(rec: Recorder):
    """The view: one row per device plus the live stride line."""
    tab = Table(title=f"recording {rec.path}  {rec.elapsed:7.1f} s", title_justify="left")
    for col in ("foot", "port", "protocol", "samples", "rate Hz", "dropped", "gaps", "bad frames", "state"):
        tab.add_column(col, justify="right" if col not in ("foot", "port", "protocol", "state") else "left")
    for st in rec.states:
        hz = rec.measured_rate(st)
        rate = f"{hz:.1f}" if hz else "-"
        state = "lost" if st.lost else ("ok" if st.connected else "unplugged, waiting")
        tab.add_row(st.spec.foot, st.spec.port, st.conn.protocol, str(st.samples), rate,
                    str(st.clock.missing), str(st.clock.gap_events), str(st.stat("bad_frames")), state)
    parts: list[Any] = [tab]
    if rec.live is not None:
        c = rec.live.counts
        now_t = max((st.last_t or 0) for st in rec.states)
        cad = rec.live.cadence(now_t)
        parts.append(Text(
            f"strides {c.get('strides', 0)}  backward {c.get('backward', 0)}  forward {c.get('forward', 0)}  "
            f"sideways {c.get('sideways_left', 0) + c.get('sideways_right', 0)}  "
            + (f"running {c['running']}  " if c.get("running") else "")
            + f"cadence {f'{cad:.0f} steps/min' if cad else '-'}   [{rec.live.method}]"))
    parts.append(Text("Ctrl-C stops and closes the file", style="dim"))
    return Group(*parts)


def run_with_live_view(rec: Recorder, duration: float | None) -> dict:
    """Run the recorder with the live view; returns its summary."""
    console = Console(stderr=True)
    with Live(render(rec), console=console, refresh_per_second=4, transient=False) as live:
        return rec.run(duration, on_tick=lambda r: live.update(render(r)))
