"""One comparison engine: `compare` (text and JSON) and `trend` (PNG title, HTML table) show the same
verdicts for the same --baseline/--current, metric by metric (issue 9, item 1)."""

from __future__ import annotations

import html as htmlmod
import json
import re

import pytest
from conftest import SAMPLE_DATA

from retrogait.balance.catalog import METRICS
from retrogait.history import connect
from retrogait.history.reliable_change import is_real
from retrogait.simulator.stride_series import person_sessions
from retrogait.simulator.weekly_sessions import add_simulated_sessions

LABELS = {m.label: name for name, m in METRICS.items()}


@pytest.fixture(scope="module")
def weekly_db(tmp_path_factory):
    from retrogait.cli import main

    db = tmp_path_factory.mktemp("weekly") / "h.sqlite"
    files = sorted((SAMPLE_DATA / "weekly").glob("*.rgt"))
    assert len(files) == 9
    try:
        main(["add", *map(str, files), "--db", str(db)])
    except SystemExit as exc:
        assert not exc.code
    return db


@pytest.fixture(scope="module")
def simulated_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("sim") / "h.sqlite"
    conn = connect(db)
    add_simulated_sessions(conn, "anna", person_sessions(8, 2, change_after_week=4, strides=150, seed=3))
    conn.close()
    return db


def _html_verdicts(text: str) -> dict[tuple[str, str], str]:
    out = {}
    for section in re.split(r"<h2>", text)[1:]:
        direction = section.split("</h2>")[0].lower()
        for row in re.findall(r"<tr>(.*?)</tr>", section):
            cells = [htmlmod.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            if cells:
                out[(direction, LABELS[cells[0].rstrip(" *")])] = cells[-1]
    return out


def _text_verdicts(out: str) -> dict[tuple[str, str], str]:
    found, direction = {}, None
    for line in out.splitlines():
        m = re.match(r"^(\S+): \d+ baseline vs \d+ current sessions", line)
        if m:
            direction = m.group(1)
            continue
        words = line.split()
        if direction and words and words[0] in METRICS:
            verdict = re.split(r"\s{2,}", line.strip())[-1]
            found[(direction, words[0])] = verdict
    return found


@pytest.mark.parametrize("which,periods", [
    ("weekly", ["-b", "2026-W02..2026-W05", "-c", "2026-W06..2026-W08"]),
    ("weekly", []),  # the defaults are shared too
    ("simulated", ["-s", "anna", "-b", "2026-W40..2026-W43", "-c", "2026-W46..2026-W47"]),
])
def test_compare_and_trend_agree(which, periods, weekly_db, simulated_db, run_cli, tmp_path):
    db = weekly_db if which == "weekly" else simulated_db
    code, out, err = run_cli("compare", *periods, "--json", "--db", db)
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert len(rows) >= 10
    from_json = {(r["direction"], r["metric"]): r["verdict"] for r in rows}
    code, out, err = run_cli("compare", *periods, "--db", db)
    assert code == 0, err
    assert _text_verdicts(out) == from_json
    assert max(len(line) for line in out.splitlines()) <= 80 and "e-0" not in out

    png, report = tmp_path / "t.png", tmp_path / "r.html"
    code, out, err = run_cli("trend", *periods, "-m", "stride_time_cv", "-o", png, "--html", report, "--db", db)
    assert code == 0, err
    assert f"backward stride_time_cv: {from_json[('backward', 'stride_time_cv')]})" in out
    assert _html_verdicts(report.read_text()) == from_json
    # the plotted band is the comparison's: the current mean leaves it exactly when the change is
    # beyond noise (before the minimal important change is asked)
    for r in rows:
        if r["band_low"] is None or r["current"] is None or r["verdict"] == "not judged":
            continue
        outside = not (r["band_low"] - 1e-12 <= r["current"] <= r["band_high"] + 1e-12)
        beyond = is_real(r["verdict"]) or r["verdict"] in ("small change", "beyond noise")
        assert outside or not beyond, r  # beyond noise always lies outside the drawn band
        if not METRICS[r["metric"]].rate and r["p_permutation"] is None:
            assert outside == beyond, r  # without the extra tests, the band alone decides


def test_weekly_verdicts_need_noise_and_minimal_important_change(weekly_db, run_cli):
    code, out, _ = run_cli("compare", "-b", "2026-W02..2026-W05", "-c", "2026-W06..2026-W08", "--json",
                           "--db", weekly_db)
    rows = {r["metric"]: r for r in json.loads(out)["rows"]}
    assert rows["speed_mean"]["verdict"] == "not judged"  # the belt speed on a treadmill
    for r in rows.values():
        if is_real(r["verdict"]):
            assert abs(r["change"]) > r["detectable"] and abs(r["change"]) >= r["mic"]
        if r["mic"] is None and r["verdict"] not in ("no real change", "unknown"):
            assert r["verdict"] == "beyond noise"
    assert rows["stride_length_cv"]["verdict"] == "improved"
    assert rows["stride_time_cv"]["verdict"] == "beyond noise"  # real, but no known MIC
