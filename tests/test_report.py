"""`retrogait report FILE -o session.html` (issue 9, item 6): a self-contained page, checked as text and
in a real headless browser (Chromium from the system packages; `.ci/run` installs it when missing)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import SAMPLE_DATA

CHECK_IMAGES = """<script>
window.addEventListener('load', () => {  // the load event waits for every image
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0);
  document.title = 'IMAGES ' + ok.length + '/' + imgs.length;
});
</script>"""


@pytest.fixture(scope="module")
def weekly_report(tmp_path_factory):
    """The report of the last weekly session, with the history holding all nine."""
    from retrogait.cli import main

    folder = tmp_path_factory.mktemp("report")
    db = folder / "h.sqlite"
    for args in (["add", *map(str, sorted((SAMPLE_DATA / "weekly").glob("*.rgt"))), "--db", str(db)],
                 ["report", str(SAMPLE_DATA / "weekly" / "p01_2026-02-16.rgt"), "-o", str(folder / "r.html"),
                  "--db", str(db)]):
        try:
            main(args)
        except SystemExit as exc:
            assert not exc.code
    return folder / "r.html", db


def test_report_is_self_contained_and_agrees_with_compare(weekly_report, run_cli):
    page, db = weekly_report
    text = page.read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text) and "<script" not in text
    uris = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    assert len(uris) >= 1 and all(base64.b64decode(u)[:8] == b"\x89PNG\r\n\x1a\n" for u in uris)
    for words in ("Session report: P01", "treadmill", "backward", "Balance metrics", "Compared with the baseline"):
        assert words in text
    code, out, _ = run_cli("compare", "-c", "9", "--json", "--db", db)
    rows = json.loads(out)["rows"]
    section = text.split("Compared with the baseline")[1]
    verdicts = [re.findall(r"<td>(.*?)</td>", r)[-1] for r in re.findall(r"<tr>(.*?)</tr>", section)
                if "<td>" in r]
    assert verdicts == [r["verdict"] for r in rows]


def test_report_in_headless_chromium(weekly_report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    page, _ = weekly_report
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    # as shipped: no console errors, nothing blocked by the page's no-network policy
    shot = tmp_path / "shot.png"
    run = subprocess.run(flags + ["--window-size=1000,1400", f"--screenshot={shot}", page.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert shot.is_file(), run.stderr[-2000:]
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Content Security Policy" in ln]
    assert not console, console
    from matplotlib.image import imread

    pixels = imread(str(shot))[..., :3]
    assert pixels.std() > 0.05 and (pixels < 0.5).mean() > 0.005  # ink on the page, not blank
    # every image decodes (a copy with a checking script; the original allows no scripts)
    probe = tmp_path / "probe.html"
    text = page.read_text()
    text = re.sub(r"<meta http-equiv='Content-Security-Policy'[^>]*>", "", text)
    probe.write_text(text.replace("</body>", CHECK_IMAGES + "</body>"))
    run = subprocess.run(flags + ["--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180)
    n = len(re.findall(r"<img ", text))
    assert f"<title>IMAGES {n}/{n}</title>" in run.stdout, run.stdout[:300]


# --- the session plot (issue 9, item 5): what a clinician should see -------------------------------------

def _analyze(name: str):
    import retrogait

    return retrogait.analyze(retrogait.load_recording(SAMPLE_DATA / name))


def _long_treadmill(result, copies: int):
    """``copies`` back-to-back repeats of ``result``'s strides (a long treadmill session)."""
    import dataclasses

    from retrogait.analysis.result import AnalysisResult, StrideTable

    st = result.strides
    span = float(st.t_end.max()) + 5.0
    tables = []
    for k in range(copies):
        cols = {f.name: getattr(st, f.name) for f in dataclasses.fields(st)}
        for c in ("t_start", "t_end", "t_ic", "t_tc"):
            cols[c] = cols[c] + k * span
        tables.append(StrideTable(**cols))
    return AnalysisResult(strides=StrideTable.concat(tables), summary={"tags": {"condition": "treadmill"}})


def _drawn_points(ax) -> int:
    n = sum(len(line.get_xdata()) for line in ax.get_lines())
    return n + sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))


def _longest_line_m(fig) -> float:
    best = 0.0
    for ax in fig.axes:
        if "(m)" not in ax.get_xlabel():
            continue
        for line in ax.get_lines():
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            if x.size > 1:
                best = max(best, float(np.hypot(np.ptp(x), np.ptp(y))))
    return best


def test_treadmill_plot_draws_no_path_and_two_feet_have_a_legend():
    from retrogait.report.session_plot import on_treadmill, session_figure

    res = _analyze("two_feet_treadmill.rgt")
    assert on_treadmill(res)
    fig = session_figure(res, "two feet")
    assert _longest_line_m(fig) == 0.0                      # no metre-scale path on a belt
    place = fig.axes[0]
    labels = [t.get_text() for t in place.get_legend().get_texts()]
    assert {"left foot", "right foot", "forward", "backward", "mean"} <= set(labels)
    # the two feet's mean strides sit within a step width of each other, not metres apart
    means = [c.get_offsets()[0] for c in place.collections if len(c.get_offsets()) == 1]
    fwd = [m for m in means if m[1] > 0]
    assert len(fwd) == 2 and abs(fwd[0][0] - fwd[1][0]) < 40   # cm
    assert "stride length" in fig.axes[1].get_title()


def test_sideways_strides_are_drawn_with_the_tables_length():
    from retrogait.report.session_plot import display_length_cm, session_figure

    res = _analyze("mixed_session.rgt")
    st = res.strides
    side = st.direction == "sideways_left"
    assert side.sum() >= 4
    shown = display_length_cm(res)
    assert np.allclose(shown[side], 100 * st.stride_length[side])            # ~51 cm, not ~5 cm
    assert np.allclose(shown[st.direction == "backward"], -100 * st.stride_length[st.direction == "backward"])
    fig = session_figure(res)
    ax_len = fig.axes[2]
    ys = [np.asarray(line.get_ydata()) for line in ax_len.get_lines() if line.get_label() == "side left"]
    assert len(ys) == 1 and np.allclose(np.sort(ys[0]), np.sort(100 * st.stride_length[side]))
    assert 40 < float(np.mean(ys[0])) < 70
    # the foot-placement panel puts a left side step ~50 cm to the left
    place = fig.axes[0]
    green = [c for c in place.collections if len(c.get_offsets()) == 1
             and np.allclose(c.get_edgecolor()[0][:3], (0.0, 0x9E / 255, 0x73 / 255), atol=0.01)]
    assert len(green) == 1 and green[0].get_offsets()[0][0] > 35
    assert fig.axes[1].get_xlabel() == "x (m)"              # overground: a path


def test_long_session_is_summarised_not_a_block_of_points(tmp_path):
    from retrogait.report.session_plot import MAX_POINTS_PER_FOOT, save_session_plot, session_figure

    res = _long_treadmill(_analyze("backward_treadmill_5pct.rgt"), 120)   # ~6 h, 17,000 strides
    assert len(res.strides) > 15000
    fig = session_figure(res, "long")
    place, _, ax_len, ax_cad = fig.axes
    assert _drawn_points(place) <= MAX_POINTS_PER_FOOT + 10
    assert "600 of" in " ".join(t.get_text() for t in place.texts)
    for ax in (ax_len, ax_cad):
        assert _drawn_points(ax) < 200                         # 5-min medians and bands, not 17,000 dots
        assert "per 5 min" in ax.get_title()
        assert ax.get_xlabel() == "time (h)"
    assert np.ptp(ax_len.get_ylim()) >= 20 and np.ptp(ax_cad.get_ylim()) >= 10   # noise not magnified
    med = np.concatenate([line.get_ydata() for line in ax_len.get_lines() if line.get_label() == "backward"])
    assert np.allclose(np.median(med), -100 * np.median(res.strides.stride_length), atol=2.0)
    save_session_plot(res, tmp_path / "long.png")


def test_second_foot_path_is_aligned_to_the_first():
    from retrogait.analysis.result import AnalysisResult, StrideTable
    from retrogait.report.session_plot import _aligned_paths

    t = np.linspace(0, 60, 61)
    left = np.column_stack([t, 1.2 * t, 0.1 * np.sin(t / 5), np.zeros_like(t)])
    ang = np.radians(8.0)                                      # the right foot's heading drifted 8 deg
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    right_xy = (left[:, 1:3] + [0.0, -0.2]) @ rot.T + [3.0, 1.0]
    right = np.column_stack([t, right_xy, np.zeros_like(t)])
    res = AnalysisResult(strides=StrideTable.empty(), paths={"left": left, "right": right})
    raw_gap = np.hypot(*(right[-1, 1:3] - left[-1, 1:3]))
    out = _aligned_paths(res)
    gap = np.hypot(*(out["right"][-1, 1:3] - out["left"][-1, 1:3]))
    assert raw_gap > 5 and gap < 0.3                           # no V: the feet stay a step apart


def test_dollar_in_a_title_does_not_break_the_plot(tmp_path):
    from retrogait.report.session_plot import save_session_plot
    from retrogait.report.text import mpl_literal

    assert mpl_literal("a $5 walk") == r"a \$5 walk"
    save_session_plot(_analyze("backward_treadmill_5pct.rgt"), tmp_path / "p.png", title="$HOME/x_$1.rgt")
    assert (tmp_path / "p.png").stat().st_size > 10_000
    from retrogait.report.session_plot import session_figure

    fig = session_figure(_analyze("backward_treadmill_5pct.rgt"), r"C:\walks\P$1^$.rgt")
    assert fig._suptitle.get_text().startswith(r"C:\walks\P\$1^\$.rgt (treadmill")   # backslashes kept as written
    fig.savefig(tmp_path / "q.png")
