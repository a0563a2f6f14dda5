"""``retrogait analyze`` and ``retrogait calibrate`` end to end (native files, device profiles)."""

from __future__ import annotations

import csv
import json

import numpy as np
from scipy.spatial.transform import Rotation

from retrogait.analysis.calibration import DEVICES_ENV
from retrogait.io.fileformat import read_recording, write_recording
from retrogait.simulator import Scenario, SensorSpec, Stand, Walk, simulate

ODD_MOUNT = Rotation.from_euler("xyz", [170, 20, -60], degrees=True).as_matrix()


def save(tmp_path, name, segments, seed=1, mount=None, store_mount=True):
    sc = Scenario(segments=segments, sensor=SensorSpec(rate=100.0, mount=mount, store_mount=store_mount))
    sim = simulate(sc, seed=seed, trajectory=False)
    path = tmp_path / name
    write_recording(path, sim.recording)
    return path, sim


def test_analyze_prints_summary_json_and_stride_csv(tmp_path, run_cli):
    path, sim = save(tmp_path, "bw.rgt", [Stand(3), Walk("backward", n_strides=15, speed=0.6, treadmill=True,
                                                          grade_pct=5.0), Stand(2)])
    code, out, err = run_cli("analyze", path, "--strides", tmp_path / "s.csv")
    assert code == 0, err
    assert "backward" in out and "cadence" in out and "incline" in out
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert len(rows) == len(sim.truth.strides)
    assert {r["direction"] for r in rows} == {"backward"}
    code, out, err = run_cli("analyze", path, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["by_direction"]["backward"]["strides"] == len(sim.truth.strides)
    assert abs(data["summary"]["grade_pct"] - 5.0) < 1.0
    assert len(data["strides"]) == len(sim.truth.strides)


def test_analyze_plot_is_a_png_of_the_expected_size(tmp_path, run_cli):
    import matplotlib.image

    from retrogait.report.session_plot import DPI, FIG_SIZE

    path, _ = save(tmp_path, "mix.rgt", [Stand(2), Walk("forward", n_strides=8), Stand(2),
                                         Walk("backward", n_strides=8, speed=0.6), Stand(2)])
    code, out, err = run_cli("analyze", path, "--plot", tmp_path / "s.png")
    assert code == 0, err
    assert "session plot" in out
    img = matplotlib.image.imread(tmp_path / "s.png")
    assert img.shape[:2] == (int(FIG_SIZE[1] * DPI), int(FIG_SIZE[0] * DPI))
    rgb = img[..., :3]
    # both direction colours are drawn (forward blue, backward vermilion), not an empty canvas
    blue = np.all(np.abs(rgb - np.array([0x00, 0x72, 0xB2]) / 255) < 0.05, axis=-1).sum()
    vermilion = np.all(np.abs(rgb - np.array([0xD5, 0x5E, 0x00]) / 255) < 0.05, axis=-1).sum()
    assert blue > 100 and vermilion > 100


def test_calibrate_profile_then_analyze_uses_it(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv(DEVICES_ENV, str(tmp_path / "devices"))
    cal, _ = save(tmp_path, "cal.rgt", [Stand(4), Walk("forward", n_strides=12), Stand(2)], seed=2,
                  mount=ODD_MOUNT, store_mount=False)
    session, sim = save(tmp_path, "session.rgt", [Stand(3), Walk("backward", n_strides=15, speed=0.5), Stand(2)],
                        seed=3, mount=ODD_MOUNT, store_mount=False)
    code, out, err = run_cli("calibrate", cal, "--device-id", "sim-left")
    assert code == 0, err
    assert (tmp_path / "devices" / "sim-left.json").is_file()
    assert "consistent" in out
    code, out, err = run_cli("analyze", session, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {s["direction"] for s in data["strides"]} == {"backward"}
    assert data["mounts"]["left"]["source"].startswith("profile")


def test_calibrate_apply_stores_mount_in_recording(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv(DEVICES_ENV, str(tmp_path / "none"))
    cal, _ = save(tmp_path, "cal.rgt", [Stand(4), Walk("forward", n_strides=12), Stand(2)], seed=4,
                  mount=ODD_MOUNT, store_mount=False)
    session, _ = save(tmp_path, "session.rgt", [Stand(3), Walk("backward", n_strides=12, speed=0.5), Stand(2)],
                      seed=5, mount=ODD_MOUNT, store_mount=False)
    code, out, err = run_cli("calibrate", cal, "--no-profile", "--apply", session)
    assert code == 0, err
    stored = read_recording(session).streams[0].mount
    assert np.degrees(Rotation.from_matrix(stored @ ODD_MOUNT.T).magnitude()) < 3.0
    code, out, err = run_cli("analyze", session, "--json")
    assert {s["direction"] for s in json.loads(out)["strides"]} == {"backward"}


def test_mount_option_overrides_and_rejects_nonsense(tmp_path, run_cli):
    path, _ = save(tmp_path, "fw.rgt", [Stand(2), Walk("forward", n_strides=8), Stand(2)])
    code, out, err = run_cli("analyze", path, "--mount", "identity", "--json")
    assert code == 0, err
    assert json.loads(out)["mounts"]["left"]["source"] == "argument"
    code, out, err = run_cli("analyze", path, "--mount", "1,2,3")
    assert code == 2 and "--mount" in err
    code, out, err = run_cli("analyze", path, "--foot", "middle")
    assert code == 2


def test_user_errors_have_exit_codes(tmp_path, run_cli):
    code, out, err = run_cli("analyze", tmp_path / "missing.rgt")
    assert code == 3 and "missing.rgt" in err
    path, _ = save(tmp_path, "stand.rgt", [Stand(15)])
    code, out, err = run_cli("analyze", path)
    assert code == 4 and "no strides" in err
    assert "Traceback" not in err


def _rich_text(blocks, width, styled=False, colors="standard"):
    """What rich prints for ``blocks`` on a console ``width`` cells wide (``styled``: a terminal)."""
    import io

    from rich.console import Console

    from retrogait.report.text_tables import Paragraph

    buf = io.StringIO()
    con = Console(file=buf, width=width, highlight=False, force_terminal=styled, color_system=colors if styled else None)
    for b in blocks:
        if isinstance(b, Paragraph):
            con.print(b.markup(), soft_wrap=False)
        else:
            con.print(b.to_rich())
    return buf.getvalue()


def test_the_summary_without_rich_is_what_rich_prints(run_cli, monkeypatch, tmp_path):
    """``analyze`` writes its tables itself when the output is not a terminal (rich costs ~0.1 s to
    import); every character must be rich's, at any width, with warnings, two feet, running, energy."""
    from conftest import SAMPLE_DATA

    from retrogait.commands.analyze import add_energy, run_analysis, summary_blocks
    from retrogait.io.loading import load_recording
    from retrogait.report import text_tables

    monkeypatch.setenv(DEVICES_ENV, str(tmp_path / "no-profiles"))
    for name in ("backward_treadmill_5pct", "two_feet_treadmill", "mixed_session", "calibration_tilted_mount"):
        path = SAMPLE_DATA / f"{name}.rgt"
        result = run_analysis(load_recording(path), None, False)
        add_energy(result, 70.0)
        blocks = summary_blocks(result)
        for width in (80, 100, 132, 60, 40):
            for styled in (False, True):
                plain = [b.plain(width, styled) for b in blocks]
                if width >= 80:
                    assert all(p is not None for p in plain), (name, width)  # the usual case needs no rich
                rich = [_rich_text([b], width, styled) for b in blocks]
                for p, r in zip(plain, rich):
                    assert p is None or p == r, (name, width, styled, p, r)
        monkeypatch.setenv("COLUMNS", "80")
        code, out, err = run_cli("analyze", path, "--mass", "70")
        assert code == 0, err
        assert text_tables.console_mode() == (80, False)
        assert out == _rich_text(blocks, 80)


def test_random_tables_and_lines_without_rich_are_what_rich_prints():
    import random

    from rich.cells import cell_len

    from retrogait.report.text_tables import NARROW_SYMBOLS, Column, Paragraph, Table

    assert all(cell_len(c) == 1 for c in NARROW_SYMBOLS)
    rng = random.Random(12)
    alphabet = "abcdefghij XYZ0123456789.,;-_%/()±°×'\"!?#*+= "

    def text(n):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))
        if rng.random() < 0.2:
            s += rng.choice([" 9:05", " 2026-01-05T09:00:00Z", " a:b", " x :smile: y"])
        return s if rng.random() < 0.1 else s.strip()  # mostly as the commands' text: no space at the ends

    done = 0
    for _ in range(400):
        width = rng.choice([20, 33, 40, 60, 80, 81, 100, 132])
        n = rng.randint(1, 9)
        cols = [Column(text(10), rng.choice(["left", "right"]), rng.random() < 0.5, rng.choice([None, "bold"]))
                for _ in range(n)]
        t = Table(text(90), cols, show_header=rng.random() < 0.7, simple_box=rng.random() < 0.5,
                  collapse_padding=rng.random() < 0.5)
        for _ in range(rng.randint(0, 5)):
            t.add_row(*(text(14) for _ in range(n)))
        para = Paragraph(text(250), *(("warning:", "yellow") if rng.random() < 0.3 else ()))
        styled = rng.random() < 0.5
        colors = rng.choice(["standard", "256", "truecolor"])
        for block in (t, para):
            plain = block.plain(width, styled)
            if plain is not None:
                done += 1
                assert plain == _rich_text([block], width, styled, colors), (block, width, styled)
    assert done > 300  # many random blocks are written without rich (the rest would be squeezed or read as markup)


def test_text_rich_would_read_differently_goes_to_rich(monkeypatch):
    import re

    from rich._emoji_codes import EMOJI

    from retrogait.report import text_tables
    from retrogait.report.text_tables import Column, Paragraph, Table

    assert text_tables._EMOJI_WITHOUT_LETTERS == {k for k in EMOJI if not re.search("[a-z]", k)}
    for odd in ("a [bold]b", "see :smile: here", "thumbs :+1:", "é", "x\ty", "wide 漢字", " lead", ""):
        assert Paragraph(odd).plain(80) is None or odd == "", odd
        assert Table("t", [Column("c")], [(odd,)]).plain(80) is None or odd == "", odd
    assert Paragraph("at 09:00:00Z, 3:1234 and a]b").plain(80) == "at 09:00:00Z, 3:1234 and a]b\n"
    assert Table("t", [Column("c")], [("x" * 10,)]).plain(8) is None  # rich would squeeze it
    monkeypatch.setenv("COLUMNS", "97")
    assert text_tables.console_mode() == (97, False)
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.setenv(name, "1")
        assert text_tables.console_mode() is None
        monkeypatch.delenv(name)


def test_a_reader_that_goes_away_ends_the_summary_as_rich_does(monkeypatch, tmp_path):
    """``retrogait analyze FILE | head -1``: rich exits with code 1 and no traceback on a broken pipe;
    the summary written without rich does the same."""
    import pytest

    from retrogait.report.text_tables import Paragraph, print_blocks

    sink = open(tmp_path / "sink", "w")  # noqa: SIM115 - its descriptor is replaced by /dev/null

    class GoneReader:
        encoding = "utf-8"

        def isatty(self):
            return False

        def fileno(self):
            return sink.fileno()

        def write(self, text):
            raise BrokenPipeError

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", GoneReader())
    with pytest.raises(SystemExit) as exc:
        print_blocks([Paragraph("a line")])
    assert exc.value.code == 1
    sink.close()


def test_result_json_written_by_columns_equals_the_records() -> None:
    """The piped ``--json`` writes the stride rows column by column: the very bytes of the records
    (NaN as null, text columns, vectors split, an empty table)."""
    from retrogait.analysis import analyze
    from retrogait.commands.analyze import dump_json, dump_result_json
    from retrogait.simulator import preset, simulate

    res = analyze(simulate(preset("walk-run", rate=100), seed=4, trajectory=False).recording)
    assert np.isnan(res.strides.flight_time).any() and len(res.strides) > 50
    assert dump_result_json(res) == dump_json(res.to_dict())
    res.strides = res.strides.select(np.zeros(0, dtype=int))
    assert dump_result_json(res) == dump_json(res.to_dict())
