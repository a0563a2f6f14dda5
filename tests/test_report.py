"""`retrogait report FILE -o session.html` (issue 9, item 6): a self-contained page, checked as text and
in a real headless browser (Chromium from the system packages; `.ci/run` installs it when missing)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

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
